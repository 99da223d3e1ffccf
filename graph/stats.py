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

from ingest.records import EdgeKind, NodeKind

NODE_COUNTS = """
MATCH (n) UNWIND labels(n) AS label
RETURN label, count(*) AS count ORDER BY label
"""

RELATIONSHIP_COUNTS = """
MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS count ORDER BY type
"""

MODEL_LABELS = (*(kind.value for kind in NodeKind), "Source")
MODEL_TYPES = tuple(kind.value for kind in EdgeKind)
# Labels and types come from the model's enums; a count with one static label or type
# is answered from the count store instead of a scan.
MODEL_COUNTS = "RETURN " + ", ".join(
    [f"COUNT {{ MATCH (:{label}) }} AS {label}" for label in MODEL_LABELS]
    + [f"COUNT {{ MATCH ()-[:{kind}]->() }} AS {kind}" for kind in MODEL_TYPES]
)

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
    """Counts of the model's labels and types, read from Neo4j's count store: cheap at
    any size, so pages may call it. Kinds with no element are left out."""
    records, _, _ = driver.execute_query(MODEL_COUNTS, database_=database)
    row = records[0]
    nodes = {label: row[label] for label in MODEL_LABELS if row[label]}
    relationships = {kind: row[kind] for kind in MODEL_TYPES if row[kind]}
    return GraphStats(nodes=nodes, relationships=relationships)


def graph_stats(driver: Driver, database: str | None = None) -> GraphStats:
    """Counts of every label and type, and the content checksum (reads the whole graph)."""
    nodes, _, _ = driver.execute_query(NODE_COUNTS, database_=database)
    rels, _, _ = driver.execute_query(RELATIONSHIP_COUNTS, database_=database)
    counts = GraphStats(
        nodes={r["label"]: r["count"] for r in nodes},
        relationships={r["type"]: r["count"] for r in rels},
    )
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
