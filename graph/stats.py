"""The graph fingerprint: counts per label and relationship type, and a checksum of content.

The checksum is order-independent (a sum of per-element digests) and ignores the ingest
bookkeeping that legitimately changes between identical loads (``Source.loaded_at``), so two
graphs holding the same facts have the same fingerprint however they were loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver

NODE_COUNTS = """
MATCH (n) UNWIND labels(n) AS label
RETURN label, count(*) AS count ORDER BY label
"""

RELATIONSHIP_COUNTS = """
MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS count ORDER BY type
"""

ALL_NODES = "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"

ALL_RELATIONSHIPS = """
MATCH (a)-[r]->(b)
RETURN type(r) AS type, a.key AS start, b.key AS end, properties(r) AS props
"""

_VOLATILE = {"Source": ("loaded_at",)}
_MODULUS = 2**256


@dataclass(frozen=True)
class GraphStats:
    nodes: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)
    checksum: str = ""

    @property
    def node_total(self) -> int:
        return sum(self.nodes.values())

    @property
    def relationship_total(self) -> int:
        return sum(self.relationships.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "nodes": self.nodes,
            "relationships": self.relationships,
            "node_total": self.node_total,
            "relationship_total": self.relationship_total,
            "checksum": self.checksum,
        }


def graph_counts(driver: Driver, database: str | None = None) -> GraphStats:
    """Counts only: cheap enough for a page."""
    nodes, _, _ = driver.execute_query(NODE_COUNTS, database_=database)
    rels, _, _ = driver.execute_query(RELATIONSHIP_COUNTS, database_=database)
    return GraphStats(
        nodes={r["label"]: r["count"] for r in nodes},
        relationships={r["type"]: r["count"] for r in rels},
    )


def graph_stats(driver: Driver, database: str | None = None) -> GraphStats:
    """Counts and the content checksum (reads the whole graph once)."""
    counts = graph_counts(driver, database)
    total = 0
    with driver.session(database=database) as session:
        for record in session.run(ALL_NODES):
            total += _digest(
                ["node", sorted(record["labels"]), _stable(record["labels"], record["props"])]
            )
        for record in session.run(ALL_RELATIONSHIPS):
            props = _stable([], record["props"])
            total += _digest(["rel", record["type"], record["start"], record["end"], props])
    return GraphStats(counts.nodes, counts.relationships, f"{total % _MODULUS:064x}")


def _stable(labels: list[str], props: dict[str, Any]) -> dict[str, Any]:
    """Properties with volatile bookkeeping removed and provenance lists put in one order."""
    volatile = {name for label in labels for name in _VOLATILE.get(label, ())}
    clean = {k: v for k, v in props.items() if k not in volatile}
    if "sources" in clean:
        triples = sorted(zip(clean["sources"], clean["methods"], clean["confidences"], strict=True))
        clean["sources"] = [t[0] for t in triples]
        clean["methods"] = [t[1] for t in triples]
        clean["confidences"] = [t[2] for t in triples]
    return clean


def _digest(value: Any) -> int:
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
