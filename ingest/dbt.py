"""dbt projects: models, sources and seeds from ``manifest.json``, lineage from compiled SQL.

Reads manifests of schema v7 to v12. A model's compiled SQL (``dbt compile`` writes it
into the manifest) gives column-level lineage, through the same engine as ``.sql`` files;
its ``depends_on`` gives table-level lineage even when the SQL is missing or does not parse.
Descriptions, owners, tags and documented column types come along. When ``catalog.json``
lies next to the manifest (``dbt docs generate``), its column lists resolve ``SELECT *``.

Problems are reported with a JSON pointer into the manifest (``/nodes/model.shop.orders``)
and never stop the rest of the project.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from ingest.sql_lineage import StatementLineage, lineage_of_text
from ingest.sql_schema_registry import SchemaRegistry
from ingest.sql_trace import table_name

# dbt adapter -> sqlglot dialect
ADAPTER_DIALECTS = {
    "postgres": "postgres",
    "redshift": "redshift",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "databricks": "databricks",
    "spark": "spark",
    "duckdb": "duckdb",
    "sqlserver": "tsql",
    "fabric": "tsql",
    "synapse": "tsql",
    "trino": "trino",
    "athena": "athena",
    "clickhouse": "clickhouse",
    "oracle": "oracle",
    "mysql": "mysql",
    "teradata": "teradata",
    "sqlite": "sqlite",
}
_RELATIONS = ("model", "snapshot", "seed")
_TABLE_MATERIALIZATIONS = ("table", "incremental", "snapshot", "seed")


class DbtManifestError(ValueError):
    """The manifest cannot be read at all."""


@dataclass
class DbtNode:
    unique_id: str
    resource_type: str  # model, snapshot, seed, source
    relation: str  # normalised like the SQL that reads it
    materialized: str | None
    description: str | None
    owner: str | None
    tags: tuple[str, ...]
    columns: dict[str, dict[str, str | None]]  # name -> {"data_type", "description"}
    file: str | None
    depends_on: tuple[str, ...]


@dataclass
class DbtProject:
    path: Path
    dialect: str | None
    nodes: list[DbtNode] = field(default_factory=list)
    lineage: list[StatementLineage] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    read: int = 0
    rejected: int = 0
    registry: SchemaRegistry | None = None

    @property
    def accepted(self) -> int:
        return self.read - self.rejected


def read_manifest(path: Path, *, schema: Mapping | None = None) -> DbtProject:
    path = Path(path)
    manifest = _load(path)
    adapter = (manifest.get("metadata") or {}).get("adapter_type")
    dialect = ADAPTER_DIALECTS.get(str(adapter).lower()) if adapter else None
    project = DbtProject(path, dialect)
    if adapter and dialect is None:
        project.warnings.append(f"{path}#/metadata/adapter_type: unknown adapter {adapter!r}")
    entries = [("nodes", k, v) for k, v in manifest["nodes"].items()]
    entries += [("sources", k, v) for k, v in (manifest.get("sources") or {}).items()]
    for section, unique_id, raw in entries:
        node = _node(project, section, unique_id, raw)
        if node is not None:
            project.nodes.append(node)
    project.registry = _registry(project, schema, path.parent / "catalog.json")
    _lineage(project, manifest)
    return project


def _load(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise DbtManifestError(f"{path}: cannot read the manifest: {e.strerror}") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DbtManifestError(f"{path}: not a JSON dbt manifest: {e}") from e
    if not isinstance(manifest, dict) or not isinstance(manifest.get("nodes"), dict):
        raise DbtManifestError(f"{path}: no 'nodes' object: not a dbt manifest.json")
    return manifest


def _node(project: DbtProject, section: str, unique_id: str, raw) -> DbtNode | None:
    if not isinstance(raw, dict):
        return _reject(project, section, unique_id, "not an object")
    kind = raw.get("resource_type")
    if kind not in (*_RELATIONS, "source"):
        return None  # tests, analyses, macros, exposures: not datasets
    project.read += 1
    relation = _relation(raw, project.dialect)
    if relation is None:
        return _reject(project, section, unique_id, "no relation_name, database/schema or name")
    config = raw.get("config") or {}
    meta = {**(config.get("meta") or {}), **(raw.get("meta") or {})}
    return DbtNode(
        unique_id=unique_id,
        resource_type=kind,
        relation=relation,
        materialized=config.get("materialized"),
        description=raw.get("description") or None,
        owner=_owner(meta, raw),
        tags=tuple(str(t) for t in raw.get("tags") or ()),
        columns=_columns(raw.get("columns")),
        file=raw.get("original_file_path"),
        depends_on=tuple((raw.get("depends_on") or {}).get("nodes") or ()),
    )


def _reject(project: DbtProject, section: str, unique_id: str, why: str) -> None:
    project.rejected += 1
    project.problems.append(f"{project.path}#/{section}/{unique_id}: {why}")
    return None


def _relation(raw: dict, dialect: str | None) -> str | None:
    name = raw.get("relation_name")
    if not name:
        parts = [raw.get("database"), raw.get("schema")]
        parts.append(raw.get("identifier") or raw.get("alias") or raw.get("name"))
        if not parts[-1]:
            return None
        name = ".".join(exp.to_identifier(p).sql() for p in parts if p)
    try:
        table = exp.to_table(name, dialect=dialect)
    except Exception:
        return None
    return table_name(normalize_identifiers(table, dialect=dialect))


def _owner(meta: dict, raw: dict) -> str | None:
    owner = meta.get("owner") or (raw.get("group") and f"group:{raw['group']}")
    return str(owner) if owner else None


def _columns(raw) -> dict[str, dict[str, str | None]]:
    if not isinstance(raw, dict):
        return {}
    return {
        str(name): {
            "data_type": (spec or {}).get("data_type") or None,
            "description": (spec or {}).get("description") or None,
        }
        for name, spec in raw.items()
    }


def _registry(project: DbtProject, schema, catalog: Path) -> SchemaRegistry:
    registry = SchemaRegistry.from_mapping(schema or {}, project.dialect)
    for node in project.nodes:
        if node.columns:
            registry.add(node.relation, _normal_columns(node, project.dialect))
    if catalog.is_file():
        _read_catalog(project, registry, catalog)
    return registry


def _normal_columns(node: DbtNode, dialect) -> dict[str, str]:
    out = {}
    for name, spec in node.columns.items():
        ident = normalize_identifiers(exp.to_identifier(name), dialect=dialect)
        out[ident.name] = spec["data_type"] or ""
    return out


def _read_catalog(project: DbtProject, registry: SchemaRegistry, path: Path) -> None:
    """catalog.json holds every relation's real column list and types."""
    try:
        catalog = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        project.warnings.append(f"{path}: not used: {e}")
        return
    relations = {n.unique_id: n.relation for n in project.nodes}
    for section in ("nodes", "sources"):
        for unique_id, entry in (catalog.get(section) or {}).items():
            relation = relations.get(unique_id)
            columns = (entry or {}).get("columns") or {}
            if relation and columns:
                ordered = sorted(columns.values(), key=lambda c: c.get("index") or 0)
                types = {c.get("name", ""): c.get("type") or "" for c in ordered}
                registry.add(relation, _normal_columns_of(types, project.dialect))


def _normal_columns_of(types: dict[str, str], dialect) -> dict[str, str]:
    return {
        normalize_identifiers(exp.to_identifier(n), dialect=dialect).name: t
        for n, t in types.items()
        if n
    }


def _lineage(project: DbtProject, manifest: dict) -> None:
    nodes = manifest["nodes"]
    for index, node in enumerate(project.nodes):
        if node.resource_type not in ("model", "snapshot"):
            continue
        raw = nodes.get(node.unique_id) or {}
        sql = raw.get("compiled_code") or raw.get("compiled_sql")
        file = node.file or node.unique_id
        if not sql:
            project.warnings.append(
                f"{project.path}#/nodes/{node.unique_id}: no compiled SQL, so table-level "
                "lineage only (run 'dbt compile' to get column lineage)"
            )
            continue
        relation = raw.get("relation_name") or node.relation  # as dbt quotes it
        project.lineage.extend(_model_lineage(project, node, relation, sql, file, index))


def _model_lineage(project, node: DbtNode, relation: str, sql: str, file: str, index: int):
    verb = "TABLE" if node.materialized in _TABLE_MATERIALIZATIONS else "VIEW"
    # Same first line, so the lines of the result are the lines of the compiled SQL.
    statement = f"CREATE {verb} {relation} AS {sql.strip().rstrip(';')}"
    results = lineage_of_text(
        statement, file=file, dialect=project.dialect, schema=project.registry
    )
    return [_renumbered(r, index) for r in results]


def _renumbered(result: StatementLineage, index: int) -> StatementLineage:
    return replace(result, index=index)
