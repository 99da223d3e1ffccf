"""Pausing Python's cyclic garbage collector around bulk work.

Reading an inventory and writing a source build hundreds of thousands of small objects
(records, row dicts) that form no reference cycles. Each full pass of the cyclic collector
walks every object alive, the caller's too, and while the bulk work allocates it runs
many of them: for the 10,000-integration inventory they cost more than the work itself.
The collector is paused, not skipped: it resumes as soon as the work is done, and anything
left unreachable meanwhile is collected then.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the ``with`` block (it stays off if it was off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
