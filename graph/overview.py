"""The Overview analysis: what the graph holds, which server holds it, and what was loaded.

It needs no Cypher of its own: counts come from ``graph.stats``, the version from
``graph.connection`` and the loaded sources from ``graph.sources``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from neo4j import Driver

from graph.connection import server_version
from graph.sources import list_sources
from graph.stats import graph_counts
from ingest.records import EdgeKind, NodeKind

SOURCE_LABEL = "Source"
DOMAIN_LABELS: tuple[str, ...] = tuple(kind.value for kind in NodeKind)
# Every label and type of the model is listed, so a kind with nothing in it still shows as 0.
NODE_LABELS: tuple[str, ...] = (*DOMAIN_LABELS, SOURCE_LABEL)
RELATIONSHIP_TYPES: tuple[str, ...] = tuple(kind.value for kind in EdgeKind)
SOURCE_COLUMNS: tuple[str, ...] = (
    "key",
    "kind",
    "uri",
    "loaded_at",
    "age",
    "nodes",
    "relationships",
    "report",
)


@dataclass(frozen=True)
class Overview:
    server_version: str
    nodes: dict[str, int]  # every label of NODE_LABELS first, then any other label found
    relationships: dict[str, int]  # likewise for RELATIONSHIP_TYPES

    @property
    def node_total(self) -> int:
        return sum(self.nodes.values())

    @property
    def relationship_total(self) -> int:
        return sum(self.relationships.values())

    @property
    def is_empty(self) -> bool:
        """No facts yet; ``Source`` bookkeeping alone does not count as content."""
        return not any(self.nodes.get(label, 0) for label in DOMAIN_LABELS)

    def relationship_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"type": list(self.relationships), "count": list(self.relationships.values())}
        )


def overview(driver: Driver, database: str | None = None) -> Overview:
    counts = graph_counts(driver, database)
    return Overview(
        server_version=server_version(driver, database),
        nodes=_with_zeros(NODE_LABELS, counts.nodes),
        relationships=_with_zeros(RELATIONSHIP_TYPES, counts.relationships),
    )


def sources_frame(
    driver: Driver, database: str | None = None, now: datetime | None = None
) -> pd.DataFrame:
    """One row per loaded source; ``age`` is measured from ``now`` (default: the current time)."""
    now = now or datetime.now(UTC)
    rows = [
        {
            "key": source.key,
            "kind": source.kind,
            "uri": source.uri,
            "loaded_at": source.loaded_at,
            "age": human_age(now - source.loaded_at) if source.loaded_at else "unknown",
            "nodes": source.node_count,
            "relationships": source.relationship_count,
            "report": report_line(source.summary),
        }
        for source in list_sources(driver, database)
    ]
    return pd.DataFrame(rows, columns=list(SOURCE_COLUMNS))


def report_line(summary: dict) -> str:
    """The ingester's reconciliation as one line: "70 rows read = 68 accepted + 2 rejected"."""
    if "read" not in summary:
        return ""
    line = (
        f"{summary['read']} {summary.get('unit', 'records')} read = "
        f"{summary.get('accepted', 0)} accepted + {summary.get('rejected', 0)} rejected"
    )
    warnings = summary.get("warnings") or 0
    return line + (f"; {warnings} warnings" if warnings else "")


def human_age(elapsed: timedelta) -> str:
    """A coarse "how long ago": the table is read at a glance, not to the second."""
    seconds = int(elapsed.total_seconds())
    if seconds < 60:  # also absorbs small clock differences between app and server
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return "1 day ago" if days == 1 else f"{days} days ago"


def _with_zeros(expected: tuple[str, ...], found: dict[str, int]) -> dict[str, int]:
    counts = {name: found.get(name, 0) for name in expected}
    counts.update({name: n for name, n in sorted(found.items()) if name not in counts})
    return counts
