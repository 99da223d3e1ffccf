"""The integration audit board: every integration with its traffic light, the systems with
the most trouble, and the data-quality findings of the inventory."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from neo4j import Driver

# Bidirectional integrations have two system pairs; the board shows one row per integration.
INTEGRATIONS = """
MATCH (i:Integration)
OPTIONAL MATCH (s:System)-[:FLOWS_TO]->(i)
OPTIONAL MATCH (i)-[:FLOWS_TO]->(t:System)
WITH i, collect(DISTINCT s.key) AS sources, collect(DISTINCT t.key) AS targets
RETURN i.key AS key, coalesce(i.name, i.key) AS name,
       head(sources) AS source_system, head(targets) AS target_system,
       i.direction AS direction, i.status AS status, i.owner AS owner,
       i.classification AS classification, i.transport AS transport,
       i.frequency AS frequency, i.monitoring AS monitoring,
       i.last_reviewed AS last_reviewed
ORDER BY key
"""

TROUBLED_SYSTEMS = """
MATCH (s:System)-[:FLOWS_TO]-(i:Integration)
WHERE i.status IN ['red', 'yellow']
WITH s, count(DISTINCT CASE WHEN i.status = 'red' THEN i END) AS red,
     count(DISTINCT CASE WHEN i.status = 'yellow' THEN i END) AS yellow
RETURN s.key AS system, coalesce(s.name, s.key) AS name, red, yellow
ORDER BY red DESC, yellow DESC, system
LIMIT $limit
"""

FINDINGS = """
MATCH (f:Issue)
WHERE f.category IS NOT NULL AND f.category <> 'known_issue'
OPTIONAL MATCH (f)-[:AFFECTS]->(target)
RETURN f.category AS rule, f.title AS finding, f.evidence AS evidence,
       collect(target.key) AS affects, f.sources AS sources
ORDER BY rule, evidence
"""

STATUSES = ("green", "yellow", "red")
BOARD_COLUMNS = (
    "key",
    "name",
    "source_system",
    "target_system",
    "direction",
    "status",
    "owner",
    "classification",
    "transport",
    "frequency",
    "monitoring",
    "last_reviewed",
)


@dataclass(frozen=True)
class BoardFilter:
    """Empty tuples mean "any". Values are compared as stored (lower-case enums)."""

    statuses: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    transports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Board:
    integrations: pd.DataFrame
    status_counts: dict[str, int] = field(default_factory=dict)


def integration_board(
    driver: Driver, database: str | None = None, board_filter: BoardFilter | None = None
) -> Board:
    """All integrations (filtered) with a count per traffic light of the filtered rows."""
    records, _, _ = driver.execute_query(INTEGRATIONS, database_=database)
    frame = pd.DataFrame([r.data() for r in records], columns=list(BOARD_COLUMNS))
    frame = apply_filter(frame, board_filter or BoardFilter())
    counts = {status: int((frame["status"] == status).sum()) for status in STATUSES}
    counts["unrated"] = int(frame["status"].isna().sum())
    return Board(frame.reset_index(drop=True), counts)


def apply_filter(frame: pd.DataFrame, board_filter: BoardFilter) -> pd.DataFrame:
    for column, wanted in (
        ("status", board_filter.statuses),
        ("owner", board_filter.owners),
        ("classification", board_filter.classifications),
        ("transport", board_filter.transports),
    ):
        if wanted:
            frame = frame[frame[column].isin(wanted)]
    return frame


def troubled_systems(driver: Driver, database: str | None = None, limit: int = 10) -> pd.DataFrame:
    """Systems ranked by how many red, then yellow, integrations touch them."""
    records, _, _ = driver.execute_query(TROUBLED_SYSTEMS, limit=limit, database_=database)
    return pd.DataFrame([r.data() for r in records], columns=["system", "name", "red", "yellow"])


def findings(driver: Driver, database: str | None = None) -> pd.DataFrame:
    """Data-quality findings of the ingested inventories, with where each was found."""
    records, _, _ = driver.execute_query(FINDINGS, database_=database)
    return pd.DataFrame(
        [r.data() for r in records], columns=["rule", "finding", "evidence", "affects", "sources"]
    )
