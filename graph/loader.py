"""Writes one source's records into the graph: idempotent, replace-per-source, all or nothing.

Every node and relationship carries three parallel lists, ``sources``, ``methods`` and
``confidences``: which sources assert it and how each obtained it (``confidence`` holds the
best of them). Loading a source:

1. skips when the stored ``Source`` node has the same content hash (unless forced);
2. otherwise, in **one transaction**, retracts everything the source asserted before
   (facts asserted by another source too only lose this source from their lists),
   then MERGEs the new records in batches and stores the ``Source`` node.

A failure anywhere rolls the transaction back, so the graph stays as it was.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from neo4j import Driver, ManagedTransaction

from ingest.records import Edge, EdgeKind, NodeKind, NodeRecord, Record, SourceInfo

DEFAULT_BATCH_SIZE = 5_000

# Labels and relationship types only ever come from the NodeKind / EdgeKind enums:
# they are formatted into the statements below, values always travel as parameters.
_ADD_PROVENANCE = """
FOREACH (_ IN CASE WHEN $source IN coalesce({v}.sources, []) THEN [] ELSE [1] END |
  SET {v}.sources = coalesce({v}.sources, []) + $source,
      {v}.methods = coalesce({v}.methods, []) + row.method,
      {v}.confidences = coalesce({v}.confidences, []) + row.confidence)
SET {v}.confidence = reduce(best = 0.0, c IN {v}.confidences |
                            CASE WHEN c > best THEN c ELSE best END)
"""

MERGE_NODES = """
UNWIND $rows AS row
MERGE (n:{label} {{key: row.key}})
SET n += row.props
WITH n, row
""" + _ADD_PROVENANCE.format(v="n")

MERGE_EDGES = (
    """
UNWIND $rows AS row
MERGE (a:{start} {{key: row.start}})
WITH a, row
"""
    + _ADD_PROVENANCE.format(v="a")
    + """
MERGE (b:{end} {{key: row.end}})
WITH a, b, row
"""
    + _ADD_PROVENANCE.format(v="b")
    + """
MERGE (a)-[r:{type} {{key: row.key}}]->(b)
SET r += row.props
WITH r, row
"""
    + _ADD_PROVENANCE.format(v="r")
)

FIND_SOURCE = "MATCH (s:Source {key: $source}) RETURN s.content_hash AS content_hash"

# Retraction: relationships first, then nodes. A fact this source alone asserted is
# deleted; a fact others assert too keeps their entries of the three lists.
DELETE_SOLE_RELS = """
MATCH (n)-[r]->() WHERE $source IN n.sources AND r.sources = [$source]
DELETE r
RETURN count(r) AS deleted
"""

DELETE_SOLE_NODES = """
MATCH (n) WHERE n.sources = [$source]
DETACH DELETE n
RETURN count(n) AS deleted
"""

_DROP_PROVENANCE = """
WITH {v}, [i IN range(0, size({v}.sources) - 1) WHERE {v}.sources[i] <> $source] AS keep
WITH {v}, [i IN keep | {v}.sources[i]] AS sources, [i IN keep | {v}.methods[i]] AS methods,
     [i IN keep | {v}.confidences[i]] AS confidences
SET {v}.sources = sources, {v}.methods = methods, {v}.confidences = confidences,
    {v}.confidence = reduce(best = 0.0, c IN confidences | CASE WHEN c > best THEN c ELSE best END)
RETURN count({v}) AS kept
"""

UNSHARE_RELS = (
    "MATCH (n)-[r]->() WHERE $source IN n.sources AND $source IN r.sources\n"
    + _DROP_PROVENANCE.format(v="r")
)

UNSHARE_NODES = "MATCH (n) WHERE $source IN n.sources\n" + _DROP_PROVENANCE.format(v="n")

UPSERT_SOURCE = """
MERGE (s:Source {key: $source})
SET s.kind = $kind, s.uri = $uri, s.content_hash = $content_hash,
    s.loaded_at = datetime($loaded_at), s.node_count = $node_count,
    s.relationship_count = $relationship_count, s.counts = $counts
"""

DELETE_SOURCE = "MATCH (s:Source {key: $source}) DELETE s"


@dataclass
class LoadReport:
    """What one load did. ``nodes`` and ``relationships`` count records written per kind."""

    source: str
    skipped: bool = False
    nodes: Counter[str] = field(default_factory=Counter)
    relationships: Counter[str] = field(default_factory=Counter)
    retracted: int = 0
    seconds: float = 0.0

    @property
    def elements(self) -> int:
        return sum(self.nodes.values()) + sum(self.relationships.values())


ProgressCallback = Callable[[int], None]


def load_source(
    driver: Driver,
    source: SourceInfo,
    records: Iterable[Record],
    *,
    database: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
) -> LoadReport:
    """Load ``records`` as the complete set of facts asserted by ``source``."""
    started = time.perf_counter()
    report = LoadReport(source=source.key)
    with driver.session(database=database) as session:
        stored_hash = session.execute_read(_stored_hash, source.key)
        if stored_hash == source.content_hash and not force:
            report.skipped = True
            return report
        # One explicit transaction: the whole source commits or nothing does.
        with session.begin_transaction() as tx:
            if stored_hash is not None:
                report.retracted = _retract(tx, source.key)
            merge_records(tx, source.key, records, report, batch_size, on_progress)
            _upsert_source(tx, source, report)
            tx.commit()
    report.seconds = time.perf_counter() - started
    return report


def forget_source(driver: Driver, source_key: str, *, database: str | None = None) -> int:
    """Remove every fact ``source_key`` asserted, and the source itself; returns facts touched."""
    with driver.session(database=database) as session, session.begin_transaction() as tx:
        touched = _retract(tx, source_key)
        tx.run(DELETE_SOURCE, source=source_key).consume()
        tx.commit()
    return touched


def _stored_hash(tx: ManagedTransaction, source_key: str) -> str | None:
    record = tx.run(FIND_SOURCE, source=source_key).single()
    return None if record is None else record["content_hash"]


def _retract(tx, source_key: str) -> int:
    touched = 0
    for statement in (DELETE_SOLE_RELS, UNSHARE_RELS, DELETE_SOLE_NODES, UNSHARE_NODES):
        record = tx.run(statement, source=source_key).single()
        touched += record[0] if record else 0
    return touched


def merge_records(
    tx,
    source_key: str,
    records: Iterable[Record],
    report: LoadReport,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> None:
    """MERGE ``records`` as facts of ``source_key`` inside ``tx``, retracting nothing.
    Idempotent on its own: merging the same records again changes no node or edge."""
    batches = _Batches(tx, source_key, report, on_progress)
    for record in records:
        if batches.add(record) >= batch_size:
            batches.flush()
    batches.flush()


class _Batches:
    """Buffers rows per statement; nodes are always flushed before edges so that a node's
    own record, not an edge that merely mentions it, sets how it was obtained."""

    def __init__(self, tx, source_key: str, report: LoadReport, on_progress) -> None:
        self._tx = tx
        self._source = source_key
        self._report = report
        self._on_progress = on_progress
        self._nodes: dict[NodeKind, list[dict]] = defaultdict(list)
        self._edges: dict[tuple[EdgeKind, NodeKind, NodeKind], list[dict]] = defaultdict(list)
        self._pending = 0

    def add(self, record: Record) -> int:
        if isinstance(record, NodeRecord):
            self._nodes[record.KIND].append(_node_row(record))
        elif isinstance(record, Edge):
            group = (record.kind, record.start.kind, record.end.kind)
            self._edges[group].append(_edge_row(record))
        else:
            raise TypeError(f"not a record: {record!r}")
        self._pending += 1
        return self._pending

    def flush(self) -> None:
        for kind, rows in self._nodes.items():
            self._run(MERGE_NODES.format(label=kind.value), rows)
            self._report.nodes[kind.value] += len(rows)
        for (kind, start, end), rows in self._edges.items():
            statement = MERGE_EDGES.format(type=kind.value, start=start.value, end=end.value)
            self._run(statement, rows)
            self._report.relationships[kind.value] += len(rows)
        if self._on_progress and self._pending:
            self._on_progress(self._pending)
        self._nodes.clear()
        self._edges.clear()
        self._pending = 0

    def _run(self, statement: str, rows: list[dict]) -> None:
        if rows:
            self._tx.run(statement, rows=rows, source=self._source).consume()


def _node_row(record: NodeRecord) -> dict:
    return {
        "key": record.key,
        "props": record.properties(),
        "method": record.provenance.method.value,
        "confidence": record.provenance.confidence,
    }


def _edge_row(edge: Edge) -> dict:
    return {
        "start": edge.start.key,
        "end": edge.end.key,
        "key": edge.key,
        "props": edge.properties(),
        "method": edge.provenance.method.value,
        "confidence": edge.provenance.confidence,
    }


def _upsert_source(tx, source: SourceInfo, report: LoadReport) -> None:
    counts = [f"{kind}={n}" for kind, n in sorted((report.nodes + report.relationships).items())]
    tx.run(
        UPSERT_SOURCE,
        source=source.key,
        kind=source.kind,
        uri=source.uri,
        content_hash=source.content_hash,
        loaded_at=datetime.now(UTC).isoformat(),
        node_count=sum(report.nodes.values()),
        relationship_count=sum(report.relationships.values()),
        counts=counts,
    ).consume()
