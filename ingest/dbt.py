"""dbt projects: models, sources and seeds from ``manifest.json``, lineage from compiled SQL.

Reads manifests of schema v7 to v12 (older and newer ones are tried, with a warning). A
model's compiled SQL (``dbt compile`` writes it into the manifest) gives column-level
lineage through the same engine as ``.sql`` files: it is read as ``CREATE VIEW <relation> AS
<compiled SQL>`` (``CREATE TABLE`` for the other materializations), the prefix on the first
line so that the lines of the result are the lines of the compiled SQL. ``depends_on`` gives
table-level lineage even when the SQL is missing (a manifest of ``dbt parse``) or does not
parse. Descriptions, owners, tags, meta and documented column types come along.

Column lists that resolve ``SELECT *`` and unqualified columns, first found first used per
table: the caller's schema; ``catalog.json`` next to the manifest (``dbt docs generate``);
the columns a model's own compiled SQL produces (models are read parents first, so a child
sees them); the documented columns of sources, seeds and of models whose SQL cannot tell.

Ephemeral models are not relations: dbt inlines them as CTEs into their children's
compiled SQL. They are counted but not listed, and a child's ``depends_on`` goes through
them to their own parents.

Problems are reported with a JSON pointer into the manifest (``/nodes/model.shop.orders``)
and never stop the rest of the project; ``read`` = ``accepted`` + ``rejected`` counts the
models, snapshots, seeds and sources.
"""

from __future__ import annotations

import graphlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from ingest.sql_lineage import StatementLineage, lineage_of_text
from ingest.sql_schema_registry import SchemaRegistry

# dbt adapter -> sqlglot dialect
ADAPTER_DIALECTS = {
    "athena": "athena",
    "bigquery": "bigquery",
    "clickhouse": "clickhouse",
    "databricks": "databricks",
    "doris": "doris",
    "dremio": "dremio",
    "duckdb": "duckdb",
    "exasol": "exasol",
    "fabric": "fabric",
    "glue": "spark",
    "hive": "hive",
    "materialize": "materialize",
    "mysql": "mysql",
    "oracle": "oracle",
    "postgres": "postgres",
    "presto": "presto",
    "redshift": "redshift",
    "risingwave": "risingwave",
    "singlestore": "singlestore",
    "snowflake": "snowflake",
    "spark": "spark",
    "sqlite": "sqlite",
    "sqlserver": "tsql",
    "starrocks": "starrocks",
    "synapse": "tsql",
    "teradata": "teradata",
    "trino": "trino",
}
SCHEMA_VERSIONS = range(7, 13)
_DATASETS = ("model", "snapshot", "seed", "source")
_WITH_SQL = ("model", "snapshot")
_VERBS = {"view": "VIEW", "materialized_view": "MATERIALIZED VIEW"}  # else TABLE
_VERSION = re.compile(r"/v(\d+)\.json$")


class DbtManifestError(ValueError):
    """The manifest cannot be read at all; one line naming the file."""


@dataclass
class DbtNode:
    unique_id: str
    resource_type: str  # model, snapshot, seed, source
    relation_parts: tuple[str, ...]  # unquoted, normalised like the SQL that reads it
    materialized: str | None
    description: str | None
    owner: str | None
    tags: tuple[str, ...]
    meta: dict[str, Any]
    columns: dict[str, dict[str, str | None]]  # name -> {"data_type", "description"}
    original_file_path: str | None
    depends_on: tuple[str, ...]  # unique ids; through ephemeral models to their parents

    @property
    def relation(self) -> str:
        return ".".join(self.relation_parts)

    @property
    def file(self) -> str | None:
        return self.original_file_path


@dataclass
class DbtProject:
    path: Path
    dialect: str | None
    schema_version: int | None = None
    nodes: list[DbtNode] = field(default_factory=list)
    lineage: list[StatementLineage] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # rejected nodes: pointer + reason
    warnings: list[str] = field(default_factory=list)
    read: int = 0
    rejected: int = 0
    registry: SchemaRegistry | None = None  # every column list known, for the records

    @property
    def accepted(self) -> int:
        return self.read - self.rejected

    def pointer(self, section: str, unique_id: str, *rest: str) -> str:
        parts = "/".join(_escape(p) for p in (section, unique_id, *rest))
        return f"{self.path}#/{parts}"


def read_manifest(path: Path, *, schema: Mapping | None = None) -> DbtProject:
    """The project of ``manifest.json``; ``schema`` ({"db.schema.table": {column: type}})
    takes precedence over every column list the project has."""
    path = Path(path)
    manifest = _load(path)
    project = _project(path, manifest.get("metadata"))
    reader = _NodeReader(project, manifest)
    project.nodes = list(reader.nodes())
    project.registry = _registry(project, schema)
    _lineage(project, manifest["nodes"])
    return project


def _load(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_bytes())
    except OSError as e:
        raise DbtManifestError(f"{path}: cannot read the manifest: {e.strerror}") from e
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError
        raise DbtManifestError(f"{path}: not a JSON dbt manifest: {e}") from e
    if not isinstance(manifest, dict) or not isinstance(manifest.get("nodes"), dict):
        raise DbtManifestError(f"{path}: no 'nodes' object: not a dbt manifest.json")
    return manifest


def _project(path: Path, metadata: Any) -> DbtProject:
    metadata = metadata if isinstance(metadata, dict) else {}
    adapter = str(metadata.get("adapter_type") or "").lower() or None
    project = DbtProject(path, ADAPTER_DIALECTS.get(adapter or ""))
    if project.dialect is None:
        found = f"unknown adapter {adapter!r}" if adapter else "no adapter_type"
        project.warnings.append(
            f"{path}#/metadata/adapter_type: {found}; the SQL is read as ANSI SQL"
        )
    version = _VERSION.search(str(metadata.get("dbt_schema_version") or ""))
    project.schema_version = int(version.group(1)) if version else None
    if project.schema_version not in SCHEMA_VERSIONS:
        found = f"v{project.schema_version}" if version else "no dbt_schema_version"
        project.warnings.append(
            f"{path}#/metadata/dbt_schema_version: {found}; read as v7-v12, which it may not match"
        )
    return project


# -- nodes -----------------------------------------------------------------------------


class _NodeReader:
    """The datasets of a manifest, with their metadata; rejects what has no relation."""

    def __init__(self, project: DbtProject, manifest: dict):
        self.project = project
        self.manifest = manifest
        self.groups = _group_owners(manifest.get("groups"))
        self.ephemeral: dict[str, tuple[str, ...]] = {}  # unique id -> its parents

    def nodes(self) -> Iterator[DbtNode]:
        found = []
        for section, unique_id, raw in self._entries():
            node = self._node(section, unique_id, raw)
            if node is not None:
                found.append(node)
        for node in found:  # after all, since a child may come before its ephemeral parent
            yield replace(node, depends_on=self._through_ephemeral(node.depends_on))

    def _entries(self) -> Iterator[tuple[str, str, Any]]:
        for section in ("nodes", "sources"):
            entries = self.manifest.get(section)
            if entries is None and section == "sources":
                continue
            if not isinstance(entries, dict):
                self.project.warnings.append(f"{self.project.path}#/{section}: not an object")
                continue
            for unique_id, raw in entries.items():
                yield section, unique_id, raw

    def _node(self, section: str, unique_id: str, raw: Any) -> DbtNode | None:
        if not isinstance(raw, dict):
            return self._reject(section, unique_id, "not an object")
        kind = raw.get("resource_type")
        if kind not in _DATASETS:
            return None  # tests, analyses, operations ...: not datasets
        self.project.read += 1
        config = _object(raw.get("config"))
        if config.get("materialized") == "ephemeral":
            self.ephemeral[unique_id] = _depends_on(raw)
            return None
        parts = _relation_parts(raw, self.project.dialect)
        if parts is None:
            return self._reject(section, unique_id, "no relation_name, database/schema or name")
        meta = {**_object(config.get("meta")), **_object(raw.get("meta"))}
        return DbtNode(
            unique_id=unique_id,
            resource_type=kind,
            relation_parts=parts,
            materialized=config.get("materialized") or ("seed" if kind == "seed" else None),
            description=raw.get("description") or None,
            owner=self._owner(raw, config, meta),
            tags=_tags(raw, config),
            meta=meta,
            columns=self._columns(section, unique_id, raw, config),
            original_file_path=raw.get("original_file_path"),
            depends_on=_depends_on(raw),
        )

    def _reject(self, section: str, unique_id: str, why: str) -> None:
        self.project.rejected += 1
        self.project.problems.append(f"{self.project.pointer(section, unique_id)}: {why}")

    def _owner(self, raw: dict, config: dict, meta: dict) -> str | None:
        source_meta = _object(raw.get("source_meta"))
        owner = _person(meta.get("owner") or source_meta.get("owner"))
        group = raw.get("group") or config.get("group")
        return owner or (self.groups.get(group) if isinstance(group, str) else None)

    def _columns(self, section: str, unique_id: str, raw: dict, config: dict) -> dict:
        """Documented columns; a seed's ``column_types`` types the undocumented."""
        columns: dict[str, dict[str, str | None]] = {}
        for key, spec in _object(raw.get("columns")).items():
            if not isinstance(spec, dict):
                where = self.project.pointer(section, unique_id, "columns", str(key))
                self.project.warnings.append(f"{where}: not an object; column ignored")
                continue
            name = str(spec.get("name") or key)
            columns[name] = {
                "data_type": _text(spec.get("data_type")),
                "description": _text(spec.get("description")),
            }
        for name, kind in _object(config.get("column_types")).items():
            spec = columns.setdefault(str(name), {"data_type": None, "description": None})
            spec["data_type"] = spec["data_type"] or _text(kind)
        return columns

    def _through_ephemeral(self, parents: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        pending, seen = list(parents), set()
        while pending:
            parent = pending.pop(0)
            if parent in seen:
                continue
            seen.add(parent)
            if parent in self.ephemeral:
                pending[:0] = self.ephemeral[parent]
            else:
                out.append(parent)
        return tuple(out)


def _object(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _depends_on(raw: dict) -> tuple[str, ...]:
    nodes = _object(raw.get("depends_on")).get("nodes")
    return tuple(str(n) for n in nodes) if isinstance(nodes, list) else ()


def _tags(raw: dict, config: dict) -> tuple[str, ...]:
    tags = [raw.get("tags"), config.get("tags")]
    found = [t for ts in tags if isinstance(ts, list) for t in ts]
    found += [t for t in tags if isinstance(t, str)]  # config: {tags: "one"}
    return tuple(dict.fromkeys(str(t) for t in found))


def _person(value: Any) -> str | None:
    """An owner as people write it: text, a list of them, or {name, email}."""
    if isinstance(value, dict):
        return _text(value.get("email") or value.get("name"))
    if isinstance(value, list):
        return ", ".join(p for p in map(_person, value) if p) or None
    return _text(value)


def _group_owners(groups: Any) -> dict[str, str]:
    owners = {}
    for group in _object(groups).values():
        if isinstance(group, dict) and group.get("name"):
            owner = _person(group.get("owner"))
            if owner:
                owners[str(group["name"])] = owner
    return owners


def _relation_parts(raw: dict, dialect: str | None) -> tuple[str, ...] | None:
    table = _relation(raw, dialect)
    if table is None:
        return None
    table = normalize_identifiers(table, dialect=dialect)
    return tuple(part.name for part in table.parts)


def _relation(raw: dict, dialect: str | None) -> exp.Table | None:
    """``relation_name`` as dbt quotes it, else database.schema.(identifier|alias|name)."""
    name = raw.get("relation_name")
    if isinstance(name, str) and name.strip():
        try:
            return exp.to_table(name, dialect=dialect)
        except Exception:  # sqlglot's errors vary; a name it cannot read is no relation
            return None
    this = raw.get("identifier") or raw.get("alias") or raw.get("name")
    if not isinstance(this, str) or not this:
        return None
    db, catalog = (_text(raw.get(key)) for key in ("schema", "database"))
    return exp.table_(this, db, catalog)


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


# -- column lists ----------------------------------------------------------------------


def _registry(project: DbtProject, schema: Mapping | None) -> SchemaRegistry:
    """The caller's schema and catalog.json first; then what sources and seeds document
    (models get theirs as their SQL is read, see ``_learn``)."""
    registry = SchemaRegistry.from_mapping(schema or {}, project.dialect)
    catalog = project.path.parent / "catalog.json"
    if catalog.is_file():
        _read_catalog(project, registry, catalog)
    for node in project.nodes:
        if node.resource_type in ("source", "seed") and node.columns:
            _add_new(registry, node.relation, _documented(node, project.dialect))
    return registry


def _add_new(registry: SchemaRegistry, relation: str, columns: dict[str, str]) -> None:
    """Only a table with no column list yet: the first source of columns is the best."""
    if columns and registry.lookup(relation) is None:
        registry.add(relation, columns)


def _documented(node: DbtNode, dialect: str | None) -> dict[str, str]:
    return {_column(name, dialect): spec["data_type"] or "" for name, spec in node.columns.items()}


def _column(name: str, dialect: str | None, *, quoted: bool = False) -> str:
    identifier = exp.to_identifier(name, quoted=True if quoted else None)
    return normalize_identifiers(identifier, dialect=dialect).name


def _read_catalog(project: DbtProject, registry: SchemaRegistry, path: Path) -> None:
    """catalog.json holds every relation's real column list and types, as stored."""
    try:
        catalog = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as e:
        project.warnings.append(f"{path}: not used: {e}")
        return
    relations = {n.unique_id: n.relation for n in project.nodes}
    stored = project.dialect is not None  # names as stored: exact, when the dialect is known
    for section in ("nodes", "sources"):
        for unique_id, entry in _object(_object(catalog).get(section)).items():
            columns = [c for c in _object(_object(entry).get("columns")).values() if c]
            if unique_id in relations and columns:
                ordered = sorted(columns, key=lambda c: c.get("index") or 0)
                _add_new(registry, relations[unique_id], {
                    _column(str(c["name"]), project.dialect, quoted=stored): c.get("type") or ""
                    for c in ordered
                    if c.get("name")
                })  # fmt: skip


# -- lineage ---------------------------------------------------------------------------


def _lineage(project: DbtProject, raw_nodes: dict) -> None:
    index = {node.unique_id: i for i, node in enumerate(project.nodes)}
    with_sql = [n for n in project.nodes if n.resource_type in _WITH_SQL]
    compiled = {n.unique_id: _compiled_sql(raw_nodes.get(n.unique_id)) for n in with_sql}
    if with_sql and not any(compiled.values()):
        project.warnings.append(
            f"{project.path}: no model has compiled SQL (a manifest of 'dbt parse'?), so "
            "table-level lineage only; run 'dbt compile' to get column lineage"
        )
    for node in _parents_first(project, with_sql):
        sql = compiled[node.unique_id]
        if sql is None:
            _no_sql(project, node, raw_nodes.get(node.unique_id), any(compiled.values()))
            _add_new(project.registry, node.relation, _documented(node, project.dialect))
            continue
        results = _model_lineage(project, node, raw_nodes[node.unique_id], sql)
        project.lineage.extend(replace(r, index=index[node.unique_id]) for r in results)
        _learn(project, node, results)
    project.lineage.sort(key=lambda r: r.index)


def _compiled_sql(raw: Any) -> str | None:
    raw = _object(raw)
    if raw.get("language") == "python":
        return None
    sql = raw.get("compiled_code") or raw.get("compiled_sql")  # v7+ / older
    return sql if isinstance(sql, str) and sql.strip() else None


def _no_sql(project: DbtProject, node: DbtNode, raw: Any, others_have_it: bool) -> None:
    where = project.pointer("nodes", node.unique_id)
    if _object(raw).get("language") == "python":
        project.warnings.append(f"{where}: a Python model, so table-level lineage only")
    elif others_have_it:
        project.warnings.append(
            f"{where}: no compiled SQL, so table-level lineage only "
            "(run 'dbt compile' to get column lineage)"
        )


def _parents_first(project: DbtProject, nodes: list[DbtNode]) -> list[DbtNode]:
    """Parents before children, so that a child's ``SELECT *`` sees its parents' columns;
    the manifest's order among independent nodes."""
    by_id = {node.unique_id: node for node in nodes}
    sorter = graphlib.TopologicalSorter(
        {n.unique_id: [p for p in n.depends_on if p in by_id] for n in nodes}
    )
    try:
        return [by_id[unique_id] for unique_id in sorter.static_order()]
    except graphlib.CycleError as e:
        project.warnings.append(
            f"{project.path}: models depend on each other in a cycle ({' -> '.join(e.args[1])});"
            " read in the manifest's order"
        )
        return nodes


def _model_lineage(project: DbtProject, node: DbtNode, raw: dict, sql: str):
    verb = _VERBS.get(node.materialized or "", "TABLE")
    # quoted: the parts are normalised already, and must stay as they are
    fallback = exp.table_(*reversed(node.relation_parts[-3:]), quoted=True)
    relation = raw.get("relation_name") or fallback.sql(dialect=project.dialect)
    # The prefix shares the first line: the lines of the result are the compiled SQL's.
    statement = f"CREATE {verb} {relation} AS {sql.rstrip().rstrip(';')}"
    return lineage_of_text(
        statement,
        file=node.original_file_path or node.unique_id,
        dialect=project.dialect,
        schema=project.registry,
    )


def _learn(project: DbtProject, node: DbtNode, results: list[StatementLineage]) -> None:
    """The columns the model's SQL produces (typed by its docs), else its documented ones."""
    documented = _documented(node, project.dialect)
    produced: dict[str, str] = {}
    for result in results:
        if result.error or result.kind not in ("create_view", "create_table_as"):
            continue
        prefix = result.targets[0] + "." if result.targets else ""
        names = [c.target.removeprefix(prefix) for c in result.columns]
        if names and "*" not in names:
            produced = {name: documented.get(name, "") for name in names}
    _add_new(project.registry, node.relation, produced or documented)
