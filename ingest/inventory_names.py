"""System names of an inventory: which names are systems, which are aliases of one, and
which are only mentioned. Names are compared by ``system_key``, never by looks: merging
names that merely look alike is left to the owner (see ``probable_duplicate_system``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from ingest.inventory_files import InventoryError, Location, load_safe_yaml
from ingest.inventory_findings import SystemName
from ingest.inventory_rows import SystemRow, as_text, cached_system_key
from ingest.records import system_key

RowT = TypeVar("RowT")
AliasEntry = tuple[str, str, str]  # alias, canonical name, where it was declared


@dataclass(frozen=True)
class Accepted(Generic[RowT]):
    row: RowT
    location: Location


def keyable(name: str) -> bool:
    """Whether ``name`` has a letter or digit that ``system_key`` keeps."""
    try:
        system_key(name)
    except ValueError:
        return False
    return True


def read_alias_file(path: Path, warnings: list[str]) -> list[AliasEntry]:
    """``{alias: canonical name}``; entries that are not two names are reported and skipped."""
    data = load_safe_yaml(path)
    if data is None:
        return []
    if not isinstance(data, dict):
        raise InventoryError(f"{path}: expected a mapping of alias: canonical system name")
    entries: list[AliasEntry] = []
    for alias, canonical in data.items():
        pair = (as_text(alias) or "", as_text(canonical) or "")
        if not all(keyable(name) for name in pair):
            warnings.append(f"{path}: entry {alias!r}: {canonical!r} is not two names; ignored")
            continue
        entries.append((*pair, str(path)))
    return entries


class SystemNames:
    """The systems of the inventory: those with a systems row (``defined``), those only
    mentioned elsewhere, and the aliases that lead from other names to them."""

    def __init__(self, warnings: list[str]) -> None:
        self.defined: dict[str, Accepted[SystemRow]] = {}
        self.mentioned: dict[str, tuple[str, Location]] = {}  # key -> first spelling, where
        self.aliases_of: dict[str, list[str]] = defaultdict(list)
        self._alias_to: dict[str, str] = {}
        self._warnings = warnings

    def define(self, system: Accepted[SystemRow]) -> None:
        self.defined[system_key(system.row.name)] = system

    def add_alias(self, alias: str, canonical: str, origin: str) -> None:
        """``canonical`` is a system key."""
        alias_key = system_key(alias)
        if alias_key == canonical or self._alias_to.get(alias_key) == canonical:
            return
        if alias_key in self.defined:
            self._warnings.append(
                f"{origin}: alias {alias!r} of {self.display(canonical)!r} is itself a system"
                f" of the systems sheet; alias ignored"
            )
        elif alias_key in self._alias_to:
            self._warnings.append(
                f"{origin}: alias {alias!r} already leads to"
                f" {self.display(self._alias_to[alias_key])!r}; ignored for"
                f" {self.display(canonical)!r}"
            )
        else:
            self._alias_to[alias_key] = canonical
            self.aliases_of[canonical].append(alias)

    def resolve(self, name: str) -> str:
        key = cached_system_key(name)
        return self._alias_to.get(key, key)

    def mention(self, name: str, location: Location) -> str:
        """The key ``name`` stands for; remembers where an unknown system was first named."""
        key = self.resolve(name)
        if key not in self.defined:
            self.mentioned.setdefault(key, (name, location))
        return key

    def known(self, key: str) -> bool:
        return key in self.defined or key in self.mentioned

    def display(self, key: str) -> str:
        if key in self.defined:
            return self.defined[key].row.name
        return self.mentioned[key][0] if key in self.mentioned else key

    def entries(self) -> list[SystemName]:
        """Systems rows first, in sheet order, then the other names in order of mention."""
        return [
            SystemName(key, item.row.name, True, item.location.at("name"))
            for key, item in self.defined.items()
        ] + [
            SystemName(key, name, False, location)
            for key, (name, location) in self.mentioned.items()
        ]
