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
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum

from neo4j import Driver, ManagedTransaction

from ingest.collector import collector_paused
from ingest.records import Edge, EdgeKind, Method, NodeKind, NodeRecord, Record, SourceInfo

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
# property map (provenance included); MERGE is kept for what already exists. Every node the
# load touches is looked up once by key (or created); relationships then find their ends by
# element id, valid for the transaction that returned it.
LABEL_COUNTS = (
    "\n".join(
        f"CALL {{ MATCH (n:{kind.value}) RETURN count(n) AS {kind.value} }}" for kind in NodeKind
    )
    + "\nRETURN "
    + ", ".join(kind.value for kind in NodeKind)
)

EXISTING_KEYS = """
UNWIND $keys AS key
MATCH (n:{label} {{key: key}})
RETURN collect([key, elementId(n)]) AS existing
"""

# Labels and types of created facts travel as parameters (dynamic labels, Neo4j 5.26): one
# statement, planned once, creates the nodes of every label, another the relationships.
CREATE_NODES = """
UNWIND $rows AS row
CREATE (n:$(row.label))
SET n = row.props
RETURN collect([row.label, row.props.key, elementId(n)]) AS created
"""

MERGE_NODES = (
    """
UNWIND $rows AS row
MERGE (n:{label} {{key: row.key}})
SET n += row.props
WITH n, row
"""
    + _ADD_PROVENANCE.format(v="n")
    + "RETURN collect([row.key, elementId(n)]) AS merged\n"
)

ADD_NODE_PROVENANCE = """
UNWIND $rows AS row
MATCH (n:{label} {{key: row.key}})
""" + _ADD_PROVENANCE.format(v="n")

CREATE_EDGES = """
UNWIND $rows AS row
MATCH (a) WHERE elementId(a) = row.start
MATCH (b) WHERE elementId(b) = row.end
CREATE (a)-[r:$(row.type)]->(b)
SET r = row.props
RETURN count(r) AS created
"""

MERGE_EDGES = (
    """
UNWIND $rows AS row
MATCH (a) WHERE elementId(a) = row.start
MATCH (b) WHERE elementId(b) = row.end
MERGE (a)-[r:{type} {{key: row.key}}]->(b)
SET r += row.props
WITH r, row
"""
    + _ADD_PROVENANCE.format(v="r")
    + "RETURN count(r) AS merged\n"
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

    It remembers, for the whole load, which nodes this source has already asserted (with
    their element ids) and which it created, so each fact takes the cheapest correct path:
    CREATE for what cannot exist yet, MERGE (with a provenance check) for what may. A label
    with no node at all when the load starts needs no existence check: what this load has
    not created yet cannot exist. Nodes are flushed before edges so a node's own record, not
    an edge that merely mentions it, sets how it was obtained.
    """

    def __init__(self, tx, source_key: str, report: LoadReport, on_progress) -> None:
        self._tx = tx
        self._source = source_key
        self._report = report
        self._on_progress = on_progress
        self._nodes: dict[NodeKind, list[NodeRecord]] = defaultdict(list)
        self._edges: dict[EdgeKind, list[Edge]] = defaultdict(list)
        self._pending = 0
        self._ids: dict[NodeKind, dict[str, str]] = defaultdict(dict)  # asserted: key -> id
        self._created: dict[NodeKind, set[str]] = defaultdict(set)
        self._created_edges: set[tuple[str, str, str, str]] = set()
        self._empty_labels: set[NodeKind] | None = None  # read on the first flush

    def add(self, record: Record) -> int:
        if isinstance(record, NodeRecord):
            self._nodes[record.KIND].append(record)
        elif isinstance(record, Edge):
            self._edges[record.kind].append(record)
        else:
            raise TypeError(f"not a record: {record!r}")
        self._pending += 1
        return self._pending

    def flush(self) -> None:
        # A batch makes thousands of row dicts and no reference cycles: the collector waits
        # (only while the batch is written, not while the caller's records are produced).
        with collector_paused():
            self._flush()

    def _flush(self) -> None:
        if self._pending and self._empty_labels is None:
            counts = self._tx.run(LABEL_COUNTS).single()
            self._empty_labels = {kind for kind in NodeKind if counts and not counts[kind.value]}
        self._write_nodes()
        self._write_edges()
        if self._on_progress and self._pending:
            self._on_progress(self._pending)
        self._nodes.clear()
        self._edges.clear()
        self._pending = 0

    def _write_nodes(self) -> None:
        new: list[dict] = []
        again: dict[NodeKind, list[dict]] = {}
        for kind, records in self._nodes.items():
            ids = self._ids[kind]
            first: dict[str, NodeRecord] = {}  # the first record of each key not yet asserted
            repeated: list[NodeRecord] = []
            for record in records:
                if record.key in ids or record.key in first:
                    repeated.append(record)
                else:
                    first[record.key] = record
            existing = self._existing(kind, list(first))
            ids.update(existing)
            label = kind.value
            new += [
                {"label": label, "props": self._full(record)}
                for key, record in first.items()
                if key not in existing
            ]
            again[kind] = [_merge_row(record) for key, record in first.items() if key in existing]
            again[kind] += [_merge_row(record) for record in repeated]
            self._report.nodes[label] += len(records)
        self._create_nodes(new)
        for kind, rows in again.items():
            if rows:
                statement = MERGE_NODES.format(label=kind.value)
                record = self._tx.run(statement, rows=rows, source=self._source).single()
                self._ids[kind].update(record["merged"] if record else [])

    def _write_edges(self) -> None:
        self._assert_endpoints()
        ids, created = self._ids, self._created
        create: list[dict] = []
        for kind, edges in self._edges.items():
            merge: list[dict] = []
            for edge in edges:
                start, end = edge.start, edge.end
                ends = {"start": ids[start.kind][start.key], "end": ids[end.kind][end.key]}
                fresh_end = start.key in created[start.kind] or end.key in created[end.kind]
                identity = (ends["start"], ends["end"], edge.key, kind.value)
                if fresh_end and identity not in self._created_edges:
                    self._created_edges.add(identity)
                    create.append({**ends, "type": kind.value, "props": self._full(edge)})
                else:
                    merge.append({**ends, **_merge_row(edge)})
            if merge:
                statement = MERGE_EDGES.format(type=kind.value)
                record = self._tx.run(statement, rows=merge, source=self._source).single()
                _check_ends(record and record["merged"], len(merge))
            self._report.relationships[kind.value] += len(edges)
        if create:
            record = self._tx.run(CREATE_EDGES, rows=create).single()
            _check_ends(record and record["created"], len(create))

    def _assert_endpoints(self) -> None:
        """An edge's source asserts its endpoints too: a node only mentioned by edges is
        created as a bare node, and leaves with the last source that mentions it."""
        mentioned: dict[NodeKind, dict[str, Edge]] = defaultdict(dict)  # the first mention
        for edges in self._edges.values():
            for side in ("start", "end"):
                for edge in edges:
                    end = getattr(edge, side)
                    if end.key not in self._ids[end.kind]:
                        mentioned[end.kind].setdefault(end.key, edge)
        bare: list[dict] = []
        for kind, by_key in mentioned.items():
            existing = self._existing(kind, list(by_key))
            self._ids[kind].update(existing)
            bare += [
                {"label": kind.value, "props": self._full(edge, key=key, props={})}
                for key, edge in by_key.items()
                if key not in existing
            ]
            known = [{"key": key, **_provenance(by_key[key])} for key in existing]
            self._run(ADD_NODE_PROVENANCE.format(label=kind.value), known)
        self._create_nodes(bare)

    def _existing(self, kind: NodeKind, keys: list[str]) -> dict[str, str]:
        """Which of ``keys`` exist (as nodes of ``kind``), with their element ids."""
        if not keys or kind in (self._empty_labels or ()):
            return {}
        record = self._tx.run(EXISTING_KEYS.format(label=kind.value), keys=keys).single()
        return dict(record["existing"]) if record else {}

    def _create_nodes(self, rows: list[dict]) -> None:
        if not rows:
            return
        record = self._tx.run(CREATE_NODES, rows=rows).single()
        created = record["created"] if record else []
        if len(created) != len(rows):
            raise RuntimeError(f"created {len(created)} of {len(rows)} nodes")
        for label, key, element_id in created:
            kind = _NODE_KINDS[label]
            self._ids[kind][key] = element_id
            self._created[kind].add(key)

    def _full(self, record: Record, key: str | None = None, props: dict | None = None) -> dict:
        """The complete property map of a fact this source creates, provenance included."""
        full = _properties(record) if props is None else props
        method, confidence = _METHODS[record.provenance.method], record.provenance.confidence
        full["key"] = record.key if key is None else key
        full["sources"] = [self._source]
        full["methods"] = [method]
        full["confidences"] = [confidence]
        full["confidence"] = confidence
        return full

    def _run(self, statement: str, rows: list[dict]) -> None:
        if rows:
            self._tx.run(statement, rows=rows, source=self._source).consume()


def _check_ends(written: int | None, rows: int) -> None:
    """Every end node was asserted by this transaction before its edges: a row that found
    no end (a bug, or a node deleted under the load) fails the load, it is never dropped."""
    if written is None or written < rows:
        raise RuntimeError(f"wrote {written} of {rows} relationships: an end node is missing")


_METHODS = {method: method.value for method in Method}
_NODE_KINDS = {kind.value: kind for kind in NodeKind}
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}


def _properties(record: Record) -> dict:
    """``record.properties()`` (a fresh dict), without the per-call reflection of the default
    ``NodeRecord.properties`` for node classes that do not override it."""
    cls = type(record)
    if cls.properties is not NodeRecord.properties:
        return dict(record.properties())
    names = _NODE_FIELDS.get(cls)
    if names is None:
        names = _NODE_FIELDS[cls] = tuple(
            f.name for f in fields(cls) if f.name not in ("key", "provenance")
        )
    values = {}
    for name in names:
        value = getattr(record, name)
        if value is None or value == "":
            continue
        if isinstance(value, StrEnum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        values[name] = value
    return values


def _merge_row(record: Record) -> dict:
    return {"key": record.key, "props": _properties(record), **_provenance(record)}


def _provenance(record: Record) -> dict:
    return {
        "method": _METHODS[record.provenance.method],
        "confidence": record.provenance.confidence,
    }


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
