"""The ``flowatlas`` command line: thin commands over ``ingest/`` and ``graph/``."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from neo4j import Driver
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph.api_catalog import payload_field_keys
from graph.connection import GraphConnectionError, open_driver, verify_credentials
from graph.loader import LoadReport, forget_source, load_source
from graph.local_server import LocalServer, LocalServerError, neo4j_version
from graph.schema import apply_migrations
from graph.settings import Settings, load_settings
from graph.sources import list_sources
from graph.stats import graph_stats
from ingest.api_mapping import API_MAPPING_KIND, read_api_mappings
from ingest.api_specs import SpecRun, read_asyncapi_paths, read_openapi_paths
from ingest.backstage import read_catalog
from ingest.dbt import read_manifest
from ingest.inventory import read_inventory
from ingest.jsonl import read_jsonl
from ingest.records import Record, SourceInfo
from ingest.sql_lineage import dialect_name, lineage_of_paths, sql_files, summary
from ingest.sql_records import DEFAULT_SYSTEM, SQL_KIND, SqlRun, dbt_source, read_sql
from ingest.sql_schema import read_schema
from ingest.sql_systems import read_system_map
from ingest.synthetic import SYNTHETIC_KIND, synthetic_estate

app = typer.Typer(
    help="flowatlas: see where your organisation's data flows, and what breaks when it changes.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
neo4j_app = typer.Typer(help="Run the local Neo4j server (used when NEO4J_URI is not set).")
graph_app = typer.Typer(help="Inspect and maintain the graph.")
ingest_app = typer.Typer(help="Load sources into the graph.")
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(graph_app, name="graph")
app.add_typer(ingest_app, name="ingest")

out = Console(soft_wrap=True)  # long paths stay on one line, greppable
err = Console(stderr=True, soft_wrap=True)

# Failures a user can fix; they get one line on stderr and exit code 1, never a traceback.
USER_ERRORS = (GraphConnectionError, LocalServerError, FileNotFoundError, ValueError)


def main() -> None:
    try:
        app()
    except USER_ERRORS as error:
        err.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        sys.exit(1)


# -- neo4j -----------------------------------------------------------------------------


def _local_server(settings: Settings) -> LocalServer:
    if settings.local is None:
        raise LocalServerError(
            f"NEO4J_URI is set ({settings.uri}): flowatlas does not manage that server"
        )
    return LocalServer(settings.local)


@neo4j_app.command("start")
def neo4j_start(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Bolt to answer.")] = 180.0,
) -> None:
    """Start Neo4j Community locally (downloads it from Maven Central the first time)."""
    settings = load_settings()
    if settings.local is None:
        out.print(f"NEO4J_URI is set: using {settings.uri}, nothing to start.")
        return
    server = _local_server(settings)
    with err.status(f"Starting Neo4j {neo4j_version()} on {settings.local.uri} ..."):
        status = server.start(
            timeout=timeout, password_check=lambda uri, pw: verify_credentials(uri, "neo4j", pw)
        )
    out.print(f"Neo4j {status.message}; Bolt on {status.uri}")


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j cleanly (SIGTERM, then wait)."""
    out.print(f"Neo4j {_local_server(load_settings()).stop().message}")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Say whether the local Neo4j runs and answers; exit code 3 when it is stopped."""
    settings = load_settings()
    if settings.local is None:
        driver = open_driver(settings)
        driver.close()
        out.print(f"using the server at {settings.uri}: answering")
        return
    status = _local_server(settings).status()
    out.print(f"Neo4j {status.message}")
    if not status.running:
        raise typer.Exit(3)


# -- graph -----------------------------------------------------------------------------


@contextmanager
def _connected() -> Iterator[tuple[Driver, Settings]]:
    settings = load_settings()
    driver = open_driver(settings)
    try:
        yield driver, settings
    finally:
        driver.close()


@app.command("init")
def init() -> None:
    """Create the graph's constraints and indexes (safe to run again)."""
    with _connected() as (driver, settings):
        created = apply_migrations(driver, settings.database)
    out.print(
        f"schema ready on {settings.uri}: "
        + (f"created {', '.join(created)}" if created else "nothing to change")
    )


@graph_app.command("stats")
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Counts per label and relationship type, and a checksum of the graph's content."""
    with _connected() as (driver, settings):
        result = graph_stats(driver, settings.database)
    if as_json:
        out.print_json(json.dumps(result.as_dict()))
        return
    table = Table("kind", "name", "count", title=f"graph at {settings.uri}")
    for label, count in result.nodes.items():
        table.add_row("node", label, f"{count:,}")
    for rel_type, count in result.relationships.items():
        table.add_row("relationship", rel_type, f"{count:,}")
    out.print(table)
    out.print(f"nodes {result.node_total:,}  relationships {result.relationship_total:,}")
    out.print(f"checksum {result.checksum}")


@graph_app.command("sources")
def sources() -> None:
    """List what has been ingested, when, and how many facts each source wrote."""
    with _connected() as (driver, settings):
        rows = list_sources(driver, settings.database)
    table = Table("key", "kind", "loaded at", "nodes", "relationships")
    for row in rows:
        loaded = row.loaded_at.isoformat(timespec="seconds") if row.loaded_at else "-"
        table.add_row(
            row.key, row.kind, loaded, f"{row.node_count:,}", f"{row.relationship_count:,}"
        )
    out.print(table)


@graph_app.command("forget")
def forget(
    source_key: Annotated[str, typer.Argument(help="A key from `flowatlas graph sources`.")],
) -> None:
    """Remove one source and every fact only it asserted."""
    with _connected() as (driver, settings):
        known = {s.key for s in list_sources(driver, settings.database)}
        if source_key not in known:
            raise ValueError(
                f"no source {source_key!r} in the graph (see `flowatlas graph sources`)"
            )
        touched = forget_source(driver, source_key, database=settings.database)
    out.print(f"forgot {source_key}: {touched:,} facts removed or unshared")


# -- ingest ----------------------------------------------------------------------------


@dataclass
class _Parsed:
    """What any ingester hands the CLI: one source, its records, and what it had to say."""

    source: SourceInfo
    records: list[Record]
    rejections: list[str]
    warnings: list[str] = field(default_factory=list)


def _report_and_load(
    driver: Driver, settings: Settings, parsed: _Parsed, *, strict: bool, force: bool
) -> bool:
    """Print every rejection and warning and the reconciliation; load unless --strict
    forbids it. Returns False when the source was refused."""
    for rejection in parsed.rejections:
        err.print(f"[yellow]rejected[/yellow] {rejection}", highlight=False)
    for warning in parsed.warnings:
        err.print(f"[yellow]warning[/yellow] {warning}", highlight=False)
    summary = parsed.source.summary
    if "read" in summary:
        out.print(
            f"{parsed.source.uri}: {summary['read']} {summary.get('unit', 'records')} read = "
            f"{summary['accepted']} accepted + {summary['rejected']} rejected"
        )
    if strict and parsed.rejections:
        err.print(f"[red]--strict:[/red] {parsed.source.uri} not loaded")
        return False
    with _progress() as progress:
        task = progress.add_task(f"loading {parsed.source.uri}", total=len(parsed.records))
        report = load_source(
            driver,
            parsed.source,
            parsed.records,
            database=settings.database,
            force=force,
            on_progress=lambda n: progress.advance(task, n),
        )
    _print_report(report)
    return True


def _load_all(parsed_sources: list[_Parsed], *, strict: bool, force: bool) -> None:
    with _connected() as (driver, settings):
        apply_migrations(driver, settings.database)
        refused = [
            p
            for p in parsed_sources
            if not _report_and_load(driver, settings, p, strict=strict, force=force)
        ]
    if refused:
        raise typer.Exit(1)


StrictOption = Annotated[
    bool, typer.Option(help="Load nothing of a source with a rejected entry, and exit 1.")
]
ForceOption = Annotated[bool, typer.Option(help="Reload even when a source is unchanged.")]


@ingest_app.command("records")
def ingest_records(
    paths: Annotated[list[Path], typer.Argument(help="JSON Lines files of records.", exists=True)],
    strict: StrictOption = False,
    force: ForceOption = False,
) -> None:
    """Load JSON Lines record files, one source each (format: docs/model.md)."""
    parsed = []
    for path in paths:
        result = read_jsonl(path)
        rejections = [str(r) for r in result.rejections]
        parsed.append(_Parsed(result.source, result.records, rejections))
    _load_all(parsed, strict=strict, force=force)


@ingest_app.command("backstage")
def ingest_backstage(
    paths: Annotated[
        list[Path], typer.Argument(help="catalog-info.yaml files or folders.", exists=True)
    ],
    strict: StrictOption = False,
    force: ForceOption = False,
) -> None:
    """Load a Backstage catalog (components, resources, APIs, groups) as one source."""
    result = read_catalog(paths)
    rejections = [str(r) for r in result.rejections]
    parsed = _Parsed(result.source, result.records, rejections, [str(w) for w in result.warnings])
    _load_all([parsed], strict=strict, force=force)


@ingest_app.command("inventory")
def ingest_inventory(
    path: Annotated[
        Path,
        typer.Argument(help="A folder of CSV files, an XLSX workbook or a YAML file.", exists=True),
    ],
    aliases: Annotated[
        Path | None,
        typer.Option(help="YAML {alias: canonical system name} confirming merges.", exists=True),
    ] = None,
    stale_after: Annotated[
        int, typer.Option(min=1, help="Days after which a review is stale.")
    ] = 365,
    strict: StrictOption = False,
    force: ForceOption = False,
) -> None:
    """Load an integration inventory (docs/inventory.md): systems, integrations, known issues,
    field mappings, and the data-quality findings about them."""
    _load_all([_parse_inventory(path, aliases, stale_after)], strict=strict, force=force)


def _parse_inventory(path: Path, aliases: Path | None = None, stale_after: int = 365) -> _Parsed:
    result = read_inventory(path, aliases=aliases, stale_after_days=stale_after)
    for line in result.report.lines():
        out.print(f"  {line}", highlight=False)
    rules = Counter(finding.rule.value for finding in result.findings)
    if rules:
        listed = ", ".join(f"{rule} {count}" for rule, count in sorted(rules.items()))
        out.print(f"  {len(result.findings)} findings: {listed}", highlight=False)
    return _Parsed(result.source, result.records, [str(r) for r in result.rejections])


DialectOption = Annotated[
    str | None,
    typer.Option(help="SQL dialect: ansi, postgres, mysql, snowflake, bigquery, redshift, "
                 "spark, hive, databricks, tsql, oracle, duckdb, ..."),
]  # fmt: skip
SchemaOption = Annotated[
    Path | None,
    typer.Option(
        help='Column lists for SELECT * and unqualified columns: YAML/JSON {"db.table": '
        '{"column": "type"}} or an information_schema.columns CSV export.',
        exists=True,
    ),
]
SystemsOption = Annotated[
    Path | None,
    typer.Option(
        help='YAML mapping systems to table patterns: {warehouse: ["analytics.*"]}.', exists=True
    ),
]
DefaultSystemOption = Annotated[
    str, typer.Option(help="System of the tables no --systems pattern matches.")
]
WorkersOption = Annotated[
    int, typer.Option(min=0, help="Processes to parse with; 0 = one per core for many files.")
]


@app.command("sql-lineage")
def sql_lineage(
    paths: Annotated[list[Path], typer.Argument(help=".sql files or folders.", exists=True)],
    dialect: DialectOption = None,
    schema: SchemaOption = None,
    output: Annotated[str, typer.Option("--format", help="json or text.")] = "json",
    workers: WorkersOption = 1,
) -> None:
    """Print table- and column-level lineage of SQL files (no Neo4j needed)."""
    if output not in ("json", "text"):
        raise ValueError(f"--format must be json or text, not {output!r}")
    dialect = dialect_name(dialect)
    tables = _schema_tables(schema, dialect)
    files = sql_files(paths)
    results = lineage_of_paths(
        files, dialect=dialect, schema=tables, workers=_workers(workers, files)
    )
    if output == "json":
        document = {"statements": [r.as_dict() for r in results], "summary": summary(results)}
        typer.echo(json.dumps(document, indent=2))
        return
    for result in results:
        _print_statement(result)
    counts = summary(results)
    out.print(
        f"{counts['statements']} statements: {counts['with_lineage']} with lineage, "
        f"{counts['without_lineage']} without, {counts['failed']} failed; "
        f"{counts['warnings']} warnings"
    )


def _schema_tables(path: Path | None, dialect: str | None) -> dict | None:
    if path is None:
        return None
    result = read_schema(path, dialect=dialect)
    for problem in result.problems:
        err.print(f"[yellow]schema[/yellow] {escape(str(problem))}", highlight=False)
    return result.tables


def _workers(requested: int, files: list[Path]) -> int:
    if requested:
        return requested
    return max(1, min(os.cpu_count() or 1, len(files) // 8))


@ingest_app.command("sql")
def ingest_sql(
    paths: Annotated[list[Path], typer.Argument(help=".sql files or folders.", exists=True)],
    dialect: DialectOption = None,
    schema: SchemaOption = None,
    systems: SystemsOption = None,
    default_system: DefaultSystemOption = DEFAULT_SYSTEM,
    workers: WorkersOption = 0,
    strict: StrictOption = False,
    force: ForceOption = False,
) -> None:
    """Load the lineage of SQL scripts (one source per file): datasets, fields, and value
    and filter flows with their transform, file:line and confidence."""
    dialect = dialect_name(dialect)
    system_map = read_system_map(systems) if systems else None
    files = sql_files(paths)
    with err.status(f"reading {len(files)} SQL files ..."):
        run = read_sql(
            paths,
            dialect=dialect,
            schema=_schema_tables(schema, dialect),
            systems=system_map,
            default_system=system_map.default or default_system if system_map else default_system,
            workers=_workers(workers, files),
        )
    _load_sql_run(run, strict=strict, force=force)


@ingest_app.command("dbt")
def ingest_dbt(
    manifest: Annotated[
        Path, typer.Argument(help="target/manifest.json (after 'dbt compile').", exists=True)
    ],
    schema: SchemaOption = None,
    systems: SystemsOption = None,
    default_system: DefaultSystemOption = DEFAULT_SYSTEM,
    strict: StrictOption = False,
    force: ForceOption = False,
) -> None:
    """Load a dbt project: models, sources and seeds with descriptions and owners, their
    dependencies, and column lineage from the compiled SQL (catalog.json next to the
    manifest, if present, resolves SELECT *)."""
    system_map = read_system_map(systems) if systems else None
    project = read_manifest(manifest, schema=_schema_tables(schema, None))
    source = dbt_source(
        project,
        systems=system_map,
        default_system=(system_map.default if system_map else None) or default_system,
    )
    failed = [s for s in project.lineage if s.error]
    rejections = project.problems + [f"{s.file}:{s.error.removeprefix('line ')}" for s in failed]
    warnings = project.warnings + [
        f"{s.file}:{s.line}: {w}" for s in project.lineage for w in s.warnings
    ]
    out.print(
        f"{manifest}: dialect {project.dialect or 'ansi'}; {len(project.lineage)} models with "
        f"compiled SQL, {len(failed)} of them failed"
    )
    _load_all(
        [_Parsed(source.info, source.records, rejections, warnings)], strict=strict, force=force
    )


@ingest_app.command("openapi")
def ingest_openapi(
    paths: Annotated[
        list[Path], typer.Argument(help="OpenAPI 3.x / Swagger 2.0 files or folders.", exists=True)
    ],
    system: Annotated[
        str | None,
        typer.Option(help="The system serving the API (default: x-flowatlas-system, info.title)."),
    ] = None,
    strict: StrictOption = False,
    force: ForceOption = False,
) -> None:
    """Load API specs: endpoints, request/response fields with PII flags, their callers."""
    _load_specs(read_openapi_paths(paths, system=system), strict=strict, force=force)


@ingest_app.command("asyncapi")
def ingest_asyncapi(
    paths: Annotated[
        list[Path], typer.Argument(help="AsyncAPI 2.x / 3.x files or folders.", exists=True)
    ],
    system: Annotated[str | None, typer.Option(help="The application the spec describes.")] = None,
    broker: Annotated[
        str | None, typer.Option(help="The system holding the channels (default: the server's).")
    ] = None,
    strict: StrictOption = False,
    force: ForceOption = False,
) -> None:
    """Load event specs: topics, message fields, and who sends and receives them."""
    run = read_asyncapi_paths(paths, system=system, broker=broker)
    _load_specs(run, strict=strict, force=force)


MappingFileArgument = Annotated[
    Path, typer.Argument(help="YAML file of API field <-> table column mappings.", exists=True)
]


@ingest_app.command("api-mapping")
def ingest_api_mapping(
    path: MappingFileArgument, strict: StrictOption = False, force: ForceOption = False
) -> None:
    """Load field-level mappings between API fields and table columns (docs/api.md): each
    names fields already in the graph, so load the specs and SQL first."""
    _load_all([_parse_api_mapping(path)], strict=strict, force=force)


def _parse_api_mapping(path: Path) -> _Parsed:
    with _connected() as (driver, settings):
        result = read_api_mappings(
            path, resolve=lambda names: payload_field_keys(driver, names, settings.database)
        )
    rejections, warnings = [str(r) for r in result.rejections], [str(w) for w in result.warnings]
    return _Parsed(result.source, list(result.records), rejections, warnings)


def _load_specs(run: SpecRun, *, strict: bool, force: bool) -> None:
    for failure in run.failed:
        err.print(f"[red]failed[/red] {escape(failure)}", highlight=False)
    if run.skipped:
        out.print(f"{len(run.skipped)} files are not specs of this kind (read through $ref only)")
    parsed = [_Parsed(s.info, s.records, [str(p) for p in s.problems]) for s in run.specs]
    if parsed:
        _load_all(parsed, strict=strict, force=force)
    if run.failed:
        raise typer.Exit(1)


def _load_sql_run(run: SqlRun, *, strict: bool, force: bool) -> None:
    parsed = [_Parsed(s.info, s.records, s.errors, s.warnings) for s in run.sources]
    _load_all(parsed, strict=strict, force=force)


def _print_statement(result) -> None:
    header = escape(f"{result.file}:{result.line} {result.kind}")
    if result.error:
        err.print(f"{header} [red]error[/red] {escape(result.error)}", highlight=False)
        return
    targets = ", ".join(result.targets) or "(query)"
    temp = " (temporary)" if result.temp_tables else ""
    out.print(f"[bold]{header}[/bold] {escape(targets)}{temp}", highlight=False)
    if result.sources:
        out.print(f"  reads {escape(', '.join(result.sources))}", highlight=False)
    for f in result.fields:
        out.print(f"  {escape(f.name)} {escape(f.type)}", highlight=False)
    for column in result.columns:
        sources = ", ".join(column.sources) or "(constant)"
        transform = f"  = {column.transform}" if column.transform else ""
        guess = f"  (confidence {column.confidence:.1f})" if column.confidence < 1 else ""
        out.print(
            f"  {escape(column.target)} <- {escape(sources + transform + guess)}", highlight=False
        )
    if result.filters:
        out.print(f"  rows chosen by {escape(', '.join(result.filters))}", highlight=False)
    for warning in result.warnings:
        out.print(f"  [yellow]warning[/yellow] {escape(warning)}", highlight=False)


# -- demo ------------------------------------------------------------------------------


DEMO = Path(__file__).resolve().parent / "examples" / "demo"
DEMO_INVENTORY = DEMO / "inventory"
DEMO_WAREHOUSE = DEMO / "warehouse"
DEMO_APIS = DEMO / "apis"
DEMO_API_MAPPINGS = DEMO / "api-mappings.yaml"


@app.command("demo")
def demo(
    synthetic: Annotated[
        bool,
        typer.Option(
            "--synthetic",
            help="Generate a synthetic estate of any size instead of the demo company.",
        ),
    ] = False,
    fields: Annotated[int, typer.Option(min=1, help="Fields in the synthetic estate.")] = 1_000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same estate.")] = 7,
    force: ForceOption = False,
) -> None:
    """Load a demo estate: the Northwind Outfitters company (examples/demo), or with
    --synthetic a deterministic generated one. Either replaces the other."""
    if not synthetic:
        _load_all([_parse_inventory(DEMO_INVENTORY)], strict=True, force=force)
        _load_demo_warehouse(force)
        _load_specs(read_openapi_paths([DEMO_APIS]), strict=True, force=force)
        _load_specs(read_asyncapi_paths([DEMO_APIS]), strict=True, force=force)
        # after the specs and the warehouse: the mappings name their fields
        _load_all([_parse_api_mapping(DEMO_API_MAPPINGS)], strict=True, force=force)
        with _connected() as (driver, settings):
            stale = _forget_demo_sources(driver, settings, keep=set(), kind=SYNTHETIC_KIND)
        if stale:
            out.print(f"removed the {stale} sources of the synthetic estate")
        return
    with _connected() as (driver, settings):
        apply_migrations(driver, settings.database)
        loaded, skipped, elements, seconds = _load_synthetic(driver, settings, fields, seed, force)
        stale = _forget_demo_sources(driver, settings, loaded, kind=SYNTHETIC_KIND)
        stale += _forget_demo_sources(driver, settings, set(), key=_demo_inventory_key())
        stale += _forget_demo_sources(driver, settings, set(), key=_demo_warehouse_key())
        for kind in ("openapi", "asyncapi"):
            stale += _forget_demo_sources(driver, settings, set(), kind=kind, prefix=DEMO_APIS)
        stale += _forget_demo_sources(driver, settings, set(), key=_demo_api_mappings_key())
    rate = f", {elements / seconds:,.0f} elements/s" if seconds > 0 and elements else ""
    out.print(
        f"synthetic estate ({fields:,} fields, seed {seed}): "
        f"{len(loaded) - skipped} sources loaded, {skipped} unchanged, {stale} stale removed; "
        f"{elements:,} elements in {seconds:.1f} s{rate}"
    )


def _load_demo_warehouse(force: bool) -> None:
    """The warehouse SQL of the demo company, its schemas mapped to the inventory's systems."""
    system_map = read_system_map(DEMO_WAREHOUSE / "systems.yaml")
    run = read_sql(
        [DEMO_WAREHOUSE],
        dialect="postgres",
        systems=system_map,
        default_system=system_map.default or DEFAULT_SYSTEM,
    )
    _load_sql_run(run, strict=True, force=force)


def _demo_warehouse_key() -> str:
    return f"{SQL_KIND}:{DEMO_WAREHOUSE.as_posix()}"


def _demo_api_mappings_key() -> str:
    return f"{API_MAPPING_KIND}:{DEMO_API_MAPPINGS.as_posix()}"


def _demo_inventory_key() -> str:
    return f"inventory:{DEMO_INVENTORY.as_posix()}"


def _load_synthetic(
    driver: Driver, settings: Settings, fields: int, seed: int, force: bool
) -> tuple[set[str], int, int, float]:
    loaded: set[str] = set()
    skipped = elements = 0
    seconds = 0.0
    estate = list(synthetic_estate(fields, seed))
    with _progress() as progress:
        task = progress.add_task("loading sources", total=len(estate))
        for source in estate:
            report = load_source(
                driver, source.info, source.records(), database=settings.database, force=force
            )
            loaded.add(source.info.key)
            skipped += report.skipped
            elements += report.elements
            seconds += report.seconds
            progress.advance(task)
    return loaded, skipped, elements, seconds


def _forget_demo_sources(
    driver: Driver,
    settings: Settings,
    keep: set[str],
    *,
    kind: str | None = None,
    key: str | None = None,
    prefix: Path | None = None,
) -> int:
    """One demo estate replaces the other (and a new size or seed the previous one)."""
    start = f":{prefix.as_posix()}/" if prefix else ""
    stale = [
        s.key
        for s in list_sources(driver, settings.database, kind=kind)
        if s.key not in keep and (key is None or s.key == key) and start in s.key
    ]
    for source_key in stale:
        forget_source(driver, source_key, database=settings.database)
    return len(stale)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _print_report(report: LoadReport) -> None:
    if report.skipped:
        out.print(f"  {report.source}: unchanged since the last load, skipped")
        return
    written = ", ".join(
        f"{k} {v:,}" for k, v in sorted((report.nodes + report.relationships).items())
    )
    out.print(f"  {report.source}: wrote {written} in {report.seconds:.2f} s")


if __name__ == "__main__":
    main()
