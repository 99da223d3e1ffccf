"""Writes one source's records into the graph: idempotent, replace-per-source, all or nothing.

Every node and relationship carries three parallel lists, ``sources``, ``methods`` and
``confidences``: which sources assert it and how each obtained it (``confidence`` holds the
best of them). Loading a source:

1. skips when the stored ``Source`` node has the same content hash (unless forced);
2. otherwise, in **one transaction**, retracts everything the source asserted before
   (facts asserted by another source too only lose this source from their lists),
   then writes the new records in batches and stores the ``Source`` node.

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
SUMMARY_PREFIX = "summary_"  # SourceInfo.summary entries are stored as summary_<name>

# Labels and relationship types only ever come from the NodeKind / EdgeKind enums:
# they are formatted into the statements below, values always travel as parameters.
_ADD_PROVENANCE = """
FOREACH (_ IN CASE WHEN $source IN coalesce({v}.sources, []) THEN [] ELSE [1] END |
  SET {v}.sources = coalesce({v}.sources, []) + $source,
      {v}.methods = coalesce({v}.methods, []) + row.method,
      {v}.confidences = coalesce({v}.confidences, []) + row.confidence)
SET {v}.confidence = reduce(best = 0.0, c IN {v}.confidences |
                            CASE WHEN c > best THEN c ELSE best END)
REMOVE {v}.retracting
"""

# Fast path: nodes and relationships that do not exist yet are CREATEd with their whole
# property map (provenance included); MERGE is kept for what already exists.
EXISTING_KEYS = """
UNWIND $keys AS key
MATCH (n:{label} {{key: key}})
RETURN collect(key) AS existing
"""

CREATE_NODES = """
UNWIND $rows AS row
CREATE (n:{label})
SET n = row.props
"""

MERGE_NODES = """
UNWIND $rows AS row
MERGE (n:{label} {{key: row.key}})
SET n += row.props
WITH n, row
""" + _ADD_PROVENANCE.format(v="n")

ADD_NODE_PROVENANCE = """
UNWIND $rows AS row
MATCH (n:{label} {{key: row.key}})
""" + _ADD_PROVENANCE.format(v="n")

CREATE_EDGES = """
UNWIND $rows AS row
MATCH (a:{start} {{key: row.start}})
MATCH (b:{end} {{key: row.end}})
CREATE (a)-[r:{type}]->(b)
SET r = row.props
"""

MERGE_EDGES = """
UNWIND $rows AS row
MATCH (a:{start} {{key: row.start}})
MATCH (b:{end} {{key: row.end}})
MERGE (a)-[r:{type} {{key: row.key}}]->(b)
SET r += row.props
WITH r, row
""" + _ADD_PROVENANCE.format(v="r")

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

# Replacing a source keeps its facts in place: what only this source asserted is emptied
# and marked, the new records re-assert (and unmark) what they still contain, and the
# sweep deletes what stayed marked. Deleting first and re-creating in the same
# transaction is several times slower: every key lookup then wades through the deletions.
EMPTY_SOLE_RELS = """
MATCH (n)-[r]->() WHERE $source IN n.sources AND r.sources = [$source]
SET r = {key: r.key, sources: [], methods: [], confidences: [], retracting: $source}
RETURN count(r) AS emptied
"""

EMPTY_SOLE_NODES = """
MATCH (n) WHERE n.sources = [$source]
SET n = {key: n.key, sources: [], methods: [], confidences: [], retracting: $source}
RETURN count(n) AS emptied
"""

SWEEP_RELS = """
MATCH ()-[r:{type}]->() WHERE r.retracting = $source
DELETE r
"""

SWEEP_NODES = """
MATCH (n:{label}) WHERE n.retracting = $source
DETACH DELETE n
"""

UNSHARE_RELS = (
    "MATCH (n)-[r]->() WHERE $source IN n.sources AND $source IN r.sources\n"
    + _DROP_PROVENANCE.format(v="r")
)

UNSHARE_NODES = "MATCH (n) WHERE $source IN n.sources\n" + _DROP_PROVENANCE.format(v="n")

# SET s = $props replaces every property, so nothing of an earlier load's report lingers.
UPSERT_SOURCE = """
MERGE (s:Source {key: $props.key})
SET s = $props
SET s.loaded_at = datetime($loaded_at)
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
                report.retracted = _unassert(tx, source.key)
            merge_records(tx, source.key, records, report, batch_size, on_progress)
            if stored_hash is not None:
                _sweep(tx, source.key)
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


def _unassert(tx, source_key: str) -> int:
    """Empty and mark what only this source asserts; unshare the rest (see _sweep)."""
    statements = (EMPTY_SOLE_RELS, UNSHARE_RELS, EMPTY_SOLE_NODES, UNSHARE_NODES)
    return _count_touched(tx, source_key, statements)


def _sweep(tx, source_key: str) -> None:
    for kind in EdgeKind:
        tx.run(SWEEP_RELS.format(type=kind.value), source=source_key).consume()
    for label in NodeKind:
        tx.run(SWEEP_NODES.format(label=label.value), source=source_key).consume()


def _retract(tx, source_key: str) -> int:
    """Delete what only this source asserts; unshare the rest."""
    statements = (DELETE_SOLE_RELS, UNSHARE_RELS, DELETE_SOLE_NODES, UNSHARE_NODES)
    return _count_touched(tx, source_key, statements)


def _count_touched(tx, source_key: str, statements: tuple[str, ...]) -> int:
    touched = 0
    for statement in statements:
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
    """Write ``records`` as facts of ``source_key`` inside ``tx``, retracting nothing.
    Idempotent on its own: writing the same records again changes no node or edge."""
    writer = _SourceWriter(tx, source_key, report, on_progress)
    for record in records:
        if writer.add(record) >= batch_size:
            writer.flush()
    writer.flush()


class _SourceWriter:
    """Buffers one source's records and writes them batch by batch.

    It remembers, for the whole load, which nodes this source has already asserted and which
    it created, so each fact takes the cheapest correct path: CREATE for what cannot exist
    yet, MERGE (with a provenance check) for what may. Nodes are flushed before edges so a
    node's own record, not an edge that merely mentions it, sets how it was obtained.
    """

    def __init__(self, tx, source_key: str, report: LoadReport, on_progress) -> None:
        self._tx = tx
        self._source = source_key
        self._report = report
        self._on_progress = on_progress
        self._nodes: dict[NodeKind, list[dict]] = defaultdict(list)
        self._edges: dict[tuple[EdgeKind, NodeKind, NodeKind], list[dict]] = defaultdict(list)
        self._pending = 0
        self._asserted: dict[NodeKind, set[str]] = defaultdict(set)
        self._created: dict[NodeKind, set[str]] = defaultdict(set)
        self._created_edges: set[tuple[str, str, str, str]] = set()

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
            self._write_nodes(kind, rows)
            self._report.nodes[kind.value] += len(rows)
        for (kind, start, end), rows in self._edges.items():
            self._write_edges(kind, start, end, rows)
            self._report.relationships[kind.value] += len(rows)
        if self._on_progress and self._pending:
            self._on_progress(self._pending)
        self._nodes.clear()
        self._edges.clear()
        self._pending = 0

    def _write_nodes(self, kind: NodeKind, rows: list[dict]) -> None:
        asserted = self._asserted[kind]
        first, repeated = _split_first(rows, asserted)
        existing = self._existing(kind, [row["key"] for row in first])
        new = [row for row in first if row["key"] not in existing]
        self._run(CREATE_NODES.format(label=kind.value), [self._full(row) for row in new])
        again = [row for row in first if row["key"] in existing] + repeated
        self._run(MERGE_NODES.format(label=kind.value), again)
        asserted.update(row["key"] for row in first)
        self._created[kind].update(row["key"] for row in new)

    def _write_edges(
        self, kind: EdgeKind, start: NodeKind, end: NodeKind, rows: list[dict]
    ) -> None:
        self._assert_endpoints(start, rows, "start")
        self._assert_endpoints(end, rows, "end")
        create: list[dict] = []
        merge: list[dict] = []
        for row in rows:
            identity = (kind.value, row["start"], row["end"], row["key"])
            fresh_end = row["start"] in self._created[start] or row["end"] in self._created[end]
            if fresh_end and identity not in self._created_edges:
                self._created_edges.add(identity)
                create.append(row)
            else:
                merge.append(row)
        names = {"type": kind.value, "start": start.value, "end": end.value}
        self._run(CREATE_EDGES.format(**names), [self._full(row) for row in create])
        self._run(MERGE_EDGES.format(**names), merge)

    def _assert_endpoints(self, kind: NodeKind, rows: list[dict], side: str) -> None:
        """An edge's source asserts its endpoints too: a node only mentioned by edges is
        created as a bare node, and leaves with the last source that mentions it."""
        asserted = self._asserted[kind]
        mentioned: dict[str, dict] = {}
        for row in rows:
            if row[side] not in asserted:
                mentioned.setdefault(row[side], row)
        if not mentioned:
            return
        existing = self._existing(kind, list(mentioned))
        bare = [
            self._full({"key": key, "props": {}, **_provenance_of(row)})
            for key, row in mentioned.items()
            if key not in existing
        ]
        self._run(CREATE_NODES.format(label=kind.value), bare)
        known = [{"key": key, **_provenance_of(mentioned[key])} for key in existing]
        self._run(ADD_NODE_PROVENANCE.format(label=kind.value), known)
        asserted.update(mentioned)
        self._created[kind].update(key for key in mentioned if key not in existing)

    def _existing(self, kind: NodeKind, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        record = self._tx.run(EXISTING_KEYS.format(label=kind.value), keys=keys).single()
        return set(record["existing"]) if record else set()

    def _full(self, row: dict) -> dict:
        """The complete property map of a fact this source creates (edge rows keep their ends)."""
        props = {**row["props"], "key": row["key"], "sources": [self._source]}
        props |= {"methods": [row["method"]], "confidences": [row["confidence"]]}
        props["confidence"] = row["confidence"]
        ends = {"start": row["start"], "end": row["end"]} if "start" in row else {}
        return {"props": props, **ends}

    def _run(self, statement: str, rows: list[dict]) -> None:
        if rows:
            self._tx.run(statement, rows=rows, source=self._source).consume()


def _split_first(rows: list[dict], asserted: set[str]) -> tuple[list[dict], list[dict]]:
    """Rows whose node this load has not asserted yet (first of each key), and the rest."""
    first: list[dict] = []
    repeated: list[dict] = []
    seen: set[str] = set()
    for row in rows:
        key = row["key"]
        (repeated if key in asserted or key in seen else first).append(row)
        seen.add(key)
    return first, repeated


def _node_row(record: NodeRecord) -> dict:
    return {"key": record.key, "props": record.properties(), **_provenance(record)}


def _edge_row(edge: Edge) -> dict:
    ends = {"start": edge.start.key, "end": edge.end.key}
    return {**ends, "key": edge.key, "props": edge.properties(), **_provenance(edge)}


def _provenance(record: Record) -> dict:
    return {"method": record.provenance.method.value, "confidence": record.provenance.confidence}


def _provenance_of(row: dict) -> dict:
    return {"method": row["method"], "confidence": row["confidence"]}


def _upsert_source(tx, source: SourceInfo, report: LoadReport) -> None:
    counts = [f"{kind}={n}" for kind, n in sorted((report.nodes + report.relationships).items())]
    props = {
        "key": source.key,
        "kind": source.kind,
        "uri": source.uri,
        "content_hash": source.content_hash,
        "node_count": sum(report.nodes.values()),
        "relationship_count": sum(report.relationships.values()),
        "counts": counts,
    }
    props |= {f"{SUMMARY_PREFIX}{name}": value for name, value in source.summary.items()}
    tx.run(UPSERT_SOURCE, props=props, loaded_at=datetime.now(UTC).isoformat()).consume()
