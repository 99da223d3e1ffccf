"""SQL scripts as graph records: datasets, fields and their value and filter flows.

Each path ingested (a folder of scripts, or one script) is one source: re-ingesting it
replaces exactly its facts, and a script deleted from the folder takes its facts along. Tables
land in systems through a system map (``warehouse: ["analytics.*"]``); a table no pattern
matches goes to the default system. Every flow keeps the statement's transform, its
``file:line`` and a confidence (lower where a star or an ambiguous column had to be
resolved without a schema).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from ingest.pii import pii_properties
from ingest.records import (
    DECLARED,
    Dataset,
    DatasetKind,
    Edge,
    Field,
    FlowKind,
    Method,
    Provenance,
    Record,
    SourceInfo,
    System,
    contains,
    dataset_key,
    field_key,
    flows_to,
    ref,
    system_key,
)
from ingest.sql_lineage import StatementLineage, lineage_of_paths, sql_files
from ingest.sql_schema_registry import SchemaRegistry

SQL_KIND = "sql"
DEFAULT_SYSTEM = "warehouse"
# Bumped whenever the facts drawn from unchanged SQL may change, so sources reload.
LINEAGE_VERSION = "2"

_WRITES = {"create_view": DatasetKind.VIEW, "create_table_as": DatasetKind.TABLE}


class SystemLookup(Protocol):
    def system_for(self, table: str) -> str | None: ...


@dataclass
class SqlSource:
    """One script: its source description, its records and its statements' lineage."""

    info: SourceInfo
    records: list[Record]
    statements: list[StatementLineage]

    @property
    def errors(self) -> list[str]:
        # the error says "line N: why", N being where in the statement the parser stopped
        return [f"{s.file}:{s.error.removeprefix('line ')}" for s in self.statements if s.error]

    @property
    def warnings(self) -> list[str]:
        return [f"{s.file}:{s.line}: {w}" for s in self.statements for w in s.warnings]


@dataclass
class SqlRun:
    sources: list[SqlSource] = field(default_factory=list)

    @property
    def statements(self) -> list[StatementLineage]:
        return [s for source in self.sources for s in source.statements]


def read_sql(
    paths: Iterable[Path],
    *,
    dialect: str | None = None,
    schema: dict | None = None,
    systems: SystemLookup | None = None,
    default_system: str = DEFAULT_SYSTEM,
    workers: int = 1,
) -> SqlRun:
    """Lineage of every ``.sql`` file under ``paths`` as graph records: one source per path
    given (a folder of scripts is one source), every flow naming its own file and line."""
    roots = [Path(p) for p in paths]
    files = sql_files(roots)
    registry = SchemaRegistry.from_mapping(schema or {}, dialect)
    results = lineage_of_paths(files, dialect=dialect, schema=registry, workers=workers)
    by_file: dict[str, list[StatementLineage]] = {str(f): [] for f in files}
    for result in results:
        by_file[result.file].append(result)
    namer = _Namer(registry, systems, default_system)
    run_hash = _run_fingerprint(dialect, schema, systems, default_system, registry)
    return SqlRun([_source(root, by_file, namer, run_hash) for root in roots])


def _source(root: Path, by_file: dict, namer, run_hash: str) -> SqlSource:
    """One path's scripts. Shared tables and columns are asserted once, not once per script:
    a folder is loaded as one source, and re-ingesting it replaces exactly its facts."""
    builder = _Builder(namer)
    digest = hashlib.sha256(run_hash.encode())
    statements: list[StatementLineage] = []
    for path in sql_files([root]):
        builder.start_file(str(path))
        digest.update(f"\0{path.relative_to(root) if root.is_dir() else path.name}\0".encode())
        digest.update(path.read_bytes())
        for statement in by_file.get(str(path), []):
            statements.append(statement)
            if not statement.error:
                builder.statement(statement)
    failed = sum(1 for s in statements if s.error)
    info = SourceInfo(
        key=f"{SQL_KIND}:{root.resolve().as_posix()}",
        kind=SQL_KIND,
        uri=str(root),
        content_hash=digest.hexdigest(),
        summary={
            "unit": "statements",
            "read": len(statements),
            "accepted": len(statements) - failed,
            "rejected": failed,
            "warnings": sum(len(s.warnings) for s in statements),
        },
    )
    return SqlSource(info, builder.records(), statements)


def dbt_source(
    project,
    *,
    systems: SystemLookup | None = None,
    default_system: str = DEFAULT_SYSTEM,
) -> SqlSource:
    """A dbt project (``ingest.dbt.read_manifest``) as one source: its relations with their
    descriptions and owners, ``depends_on`` as declared table-level flows, and the column
    lineage of the compiled SQL."""
    namer = _Namer(project.registry, systems, default_system)
    builder = _Builder(namer, str(project.path))
    relations = {node.unique_id: node.relation for node in project.nodes}
    for node in project.nodes:
        builder.describe(node)
    for node in project.nodes:
        for parent in node.depends_on:
            if parent in relations:
                builder.declared_flow(relations[parent], node.relation, node.file)
    for statement in project.lineage:
        if not statement.error:
            builder.statement(statement)
    failed = sum(1 for s in project.lineage if s.error)
    raw = project.path.read_bytes()
    fingerprint = _run_fingerprint(project.dialect, None, systems, default_system, namer.registry)
    info = SourceInfo(
        key=f"dbt:{project.path.resolve().as_posix()}",
        kind="dbt",
        uri=str(project.path),
        content_hash=hashlib.sha256(raw + fingerprint.encode()).hexdigest(),
        summary={
            "unit": "nodes",
            "read": project.read,
            "accepted": project.accepted,
            "rejected": project.rejected,
            "statements_failed": failed,
            "warnings": len(project.warnings) + sum(len(s.warnings) for s in project.lineage),
        },
    )
    return SqlSource(info, builder.records(), project.lineage)


class _Namer:
    """Table name -> (system key, dataset name); names written with fewer parts than a known
    table take the known table's full name, so ``orders`` and ``analytics.orders`` meet."""

    def __init__(self, registry: SchemaRegistry, systems, default_system: str):
        self.registry = registry
        self.systems = systems
        self.default = system_key(default_system)

    def dataset(self, table: str) -> tuple[str, str]:
        name = self.registry.canonical(table)
        system = self.systems.system_for(name) if self.systems is not None else None
        return (system_key(system) if system else self.default), name


class _Builder:
    def __init__(self, namer: _Namer, file: str = ""):
        self.namer = namer
        self.file = file
        self.nodes: dict[str, Record] = {}
        self.edges: dict[tuple, Edge] = {}
        self.temporary: set[str] = set()

    def start_file(self, file: str) -> None:
        """Temporary tables live as long as their script's session."""
        self.file = file
        self.temporary = set()

    def records(self) -> list[Record]:
        return [*self.nodes.values(), *self.edges.values()]

    def statement(self, s: StatementLineage) -> None:
        self.temporary.update(s.temp_tables)
        evidence = f"{s.file}:{s.line}"
        written = _WRITES.get(s.kind)
        targets = [self.dataset(t, written) for t in s.targets]
        sources = [self.dataset(t) for t in s.sources]
        for f in s.fields:
            table, _, column = f.name.rpartition(".")
            self.field(table, column, f.type or None)
        for target in targets:
            for source in sources:
                if source.key != target.key:
                    self.flow(source, target, FlowKind.VALUE, None, evidence, 1.0)
        for column in s.columns:
            self.column(column, evidence)
        for target in targets:
            for filtered in s.filters:
                table, _, name = filtered.rpartition(".")
                self.flow(self.field(table, name), target, FlowKind.FILTER, None, evidence, 1.0)

    def describe(self, node) -> None:
        """A dbt relation with what the project says of it."""
        kind = DatasetKind.VIEW if node.materialized == "view" else DatasetKind.TABLE
        dataset = self.dataset(node.relation, kind)
        self.nodes[dataset.key] = replace(
            dataset,
            description=node.description,
            owner=node.owner,
            tags=node.tags or None,
            provenance=DECLARED,
        )
        for name, spec in node.columns.items():
            found = self.field(node.relation, name.lower(), spec["data_type"])
            self.nodes[found.key] = replace(
                found, description=spec["description"], provenance=DECLARED
            )

    def declared_flow(self, upstream: str, downstream: str, file: str | None) -> None:
        self.flow(
            self.dataset(upstream),
            self.dataset(downstream),
            FlowKind.VALUE,
            None,
            file,
            1.0,
            DECLARED,
        )

    def column(self, column, evidence: str) -> None:
        table, _, name = column.target.rpartition(".")
        if not table:
            return  # a plain SELECT's output goes nowhere
        target = self.field(table, name)
        for source in column.sources:
            source_table, _, source_name = source.rpartition(".")
            upstream = self.field(source_table, source_name)
            self.flow(
                upstream, target, FlowKind.VALUE, column.transform, evidence, column.confidence
            )

    def dataset(self, table: str, kind: DatasetKind | None = None) -> Dataset:
        system, name = self.namer.dataset(table)
        temporary = table in self.temporary
        if temporary:
            name = f"{self.file}::{name}"  # session-scoped: one per script
        key = dataset_key(system, name)
        if system not in self.nodes:
            self.nodes[system] = System(system, name=system, provenance=_PARSED)
        if key not in self.nodes or (kind and self.nodes[key].kind is None):
            self.nodes[key] = Dataset(
                key,
                name=name,
                system=system,
                kind=kind,
                temporary=True if temporary else None,
                provenance=_PARSED,
            )
            self._edge(contains(self.nodes[system], self.nodes[key], _PARSED))
        return self.nodes[key]

    def field(self, table: str, name: str, type_: str | None = None) -> Field:
        dataset = self.dataset(table)
        key = field_key(dataset.key, name)
        if key not in self.nodes or (type_ and self.nodes[key].type is None):
            pii = pii_properties(name, type=type_, context=table)
            self.nodes[key] = Field(
                key, name=name, dataset=dataset.key, type=type_, provenance=_PARSED, **pii
            )
            self._edge(contains(dataset, self.nodes[key], _PARSED))
        return self.nodes[key]

    def flow(
        self, upstream, downstream, kind: FlowKind, transform, evidence, confidence, how=None
    ) -> None:
        edge = flows_to(
            ref(upstream),
            ref(downstream),
            flow_kind=kind,
            transform=transform,
            evidence=evidence,
            provenance=how or Provenance(Method.PARSED, confidence),
        )
        key = (edge.start, edge.end, edge.key)
        if key not in self.edges:  # the first statement that writes a flow describes it
            self.edges[key] = edge

    def _edge(self, edge: Edge) -> None:
        self.edges.setdefault((edge.kind, edge.start, edge.end, edge.key), edge)


_PARSED = Provenance(Method.PARSED, 1.0)


def _run_fingerprint(dialect, schema, systems, default_system, registry) -> str:
    """What besides a file's own text decides its facts: options, schema, DDL of the run."""
    parts = {
        "version": LINEAGE_VERSION,
        "dialect": dialect,
        "schema": schema,
        "systems": repr(getattr(systems, "fingerprint", systems)),
        "default": default_system,
        "known": registry.fingerprint(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
