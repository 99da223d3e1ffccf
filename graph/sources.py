"""What has been ingested: one row per ``Source`` node."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import Driver

from graph.loader import SUMMARY_PREFIX

LIST_SOURCES = """
MATCH (s:Source) WHERE $kind IS NULL OR s.kind = $kind
RETURN s.key AS key, s.kind AS kind, s.uri AS uri, s.content_hash AS content_hash,
       s.loaded_at AS loaded_at, s.node_count AS node_count,
       s.relationship_count AS relationship_count, s.counts AS counts,
       properties(s) AS props
ORDER BY s.kind, s.key
"""


@dataclass(frozen=True)
class SourceSummary:
    key: str
    kind: str
    uri: str
    content_hash: str
    loaded_at: datetime | None
    node_count: int
    relationship_count: int
    counts: tuple[str, ...]
    summary: dict[str, Any]  # the ingester's reconciliation report, if it gave one


def list_sources(
    driver: Driver, database: str | None = None, kind: str | None = None
) -> list[SourceSummary]:
    records, _, _ = driver.execute_query(LIST_SOURCES, kind=kind, database_=database)
    return [
        SourceSummary(
            key=r["key"],
            kind=r["kind"],
            uri=r["uri"],
            content_hash=r["content_hash"],
            loaded_at=r["loaded_at"].to_native() if r["loaded_at"] is not None else None,
            node_count=r["node_count"] or 0,
            relationship_count=r["relationship_count"] or 0,
            counts=tuple(r["counts"] or ()),
            summary={
                name.removeprefix(SUMMARY_PREFIX): value
                for name, value in r["props"].items()
                if name.startswith(SUMMARY_PREFIX)
            },
        )
        for r in records
    ]
