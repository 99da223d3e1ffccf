"""The `flowatlas` command as a user runs it: a real process against the real test server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from neo4j import Driver

from graph.api_catalog import endpoint_fields, field_flows
from graph.settings import Settings
from graph.stats import graph_stats
from tests.conftest import FIXTURES, free_port
from tests.test_api_mapping import load_shop

RECORDS = FIXTURES / "records"
SQL_ESTATE = FIXTURES / "sql_estate"


def flowatlas(
    *args: str, settings: Settings | None, tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a clean environment (and a folder without a .env)."""
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "FLOWATLAS_HOME": str(tmp_path / "home"),
    }
    if settings is not None:
        base |= {
            "NEO4J_URI": settings.uri,
            "NEO4J_USER": settings.user,
            "NEO4J_PASSWORD": settings.password or "",
        }
        if settings.database:
            base["NEO4J_DATABASE"] = settings.database
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=base | env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_graph_stats_json_reports_counts_and_checksum(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    flowatlas(
        "ingest",
        "records",
        str(RECORDS / "clean.jsonl"),
        settings=neo4j_settings,
        tmp_path=tmp_path,
    )
    result = flowatlas("graph", "stats", "--json", settings=neo4j_settings, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["nodes"] == {"System": 1, "Dataset": 1, "Source": 1}
    assert printed["checksum"] == graph_stats(graph).checksum


def test_ingest_records_names_each_rejected_line(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    result = flowatlas(
        "ingest",
        "records",
        str(RECORDS / "mixed.jsonl"),
        settings=neo4j_settings,
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rejected = [line for line in result.stderr.splitlines() if line.startswith("rejected")]
    assert [line.split(":")[1] for line in rejected] == ["6", "7", "8"]
    assert "classification" in rejected[0]
    assert "impact 7 is outside 1..5" in rejected[1]
    assert "not valid JSON" in rejected[2]


def test_ingest_records_counts_reconcile(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    result = flowatlas(
        "ingest",
        "records",
        str(RECORDS / "mixed.jsonl"),
        settings=neo4j_settings,
        tmp_path=tmp_path,
    )
    assert "8 lines read = 5 accepted + 3 rejected" in result.stdout
    stats = graph_stats(graph)
    assert stats.nodes["Field"] == 2  # the accepted email field and the flow's target
    assert stats.relationships == {"HAS_DATASET": 1, "FLOWS_TO": 1}


def test_ingest_records_strict_loads_nothing_and_fails(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    result = flowatlas(
        "ingest",
        "records",
        "--strict",
        str(RECORDS / "mixed.jsonl"),
        settings=neo4j_settings,
        tmp_path=tmp_path,
    )
    assert result.returncode == 1
    assert graph_stats(graph).node_total == 0


def test_ingest_records_second_run_is_skipped(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    path = str(RECORDS / "clean.jsonl")
    flowatlas("ingest", "records", path, settings=neo4j_settings, tmp_path=tmp_path)
    result = flowatlas("ingest", "records", path, settings=neo4j_settings, tmp_path=tmp_path)
    assert "unchanged since the last load, skipped" in result.stdout


def test_unreachable_server_is_one_line_naming_the_uri(tmp_path: Path) -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    result = flowatlas(
        "graph", "stats", settings=None, tmp_path=tmp_path, NEO4J_URI=uri, NEO4J_PASSWORD="x"
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert uri in result.stderr and "not reachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_password_is_one_line_naming_the_uri(
    neo4j_settings: Settings, tmp_path: Path
) -> None:
    result = flowatlas(
        "init",
        settings=None,
        tmp_path=tmp_path,
        NEO4J_URI=neo4j_settings.uri,
        NEO4J_PASSWORD="wrong",
    )
    assert result.returncode == 1
    assert f"Neo4j at {neo4j_settings.uri} refused user 'neo4j'" in result.stderr
    assert "Traceback" not in result.stderr


def test_local_status_when_stopped_exits_3(tmp_path: Path) -> None:
    result = flowatlas(
        "neo4j", "status", settings=None, tmp_path=tmp_path, FLOWATLAS_NEO4J_PORT=str(free_port())
    )
    assert result.returncode == 3
    assert "stopped" in result.stdout


def test_graph_commands_on_a_stopped_local_server_say_how_to_start(tmp_path: Path) -> None:
    (tmp_path / "home" / "neo4j").mkdir(parents=True)
    (tmp_path / "home" / "neo4j" / "password").write_text("pw")
    result = flowatlas(
        "graph", "stats", settings=None, tmp_path=tmp_path, FLOWATLAS_NEO4J_PORT=str(free_port())
    )
    assert result.returncode == 1
    assert "flowatlas neo4j start" in result.stderr


def test_demo_loads_then_skips_unchanged_sources(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    first = flowatlas(
        "demo", "--synthetic", "--fields", "300", settings=neo4j_settings, tmp_path=tmp_path
    )
    assert first.returncode == 0, first.stderr
    fields_loaded = graph_stats(graph).nodes["Field"]
    second = flowatlas(
        "demo", "--synthetic", "--fields", "300", settings=neo4j_settings, tmp_path=tmp_path
    )
    assert " 0 sources loaded" in second.stdout
    assert graph_stats(graph).nodes["Field"] == fields_loaded == 300


def test_demo_with_another_seed_replaces_the_previous_estate(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    flowatlas(
        "demo",
        "--synthetic",
        "--fields",
        "300",
        "--seed",
        "1",
        settings=neo4j_settings,
        tmp_path=tmp_path,
    )
    result = flowatlas(
        "demo",
        "--synthetic",
        "--fields",
        "200",
        "--seed",
        "2",
        settings=neo4j_settings,
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert graph_stats(graph).nodes["Field"] == 200


@pytest.mark.parametrize(
    "command",
    [["--help"], ["neo4j", "--help"], ["ingest", "records", "--help"], ["demo", "--help"]],
)
def test_help_reads_without_a_server(command: list[str], tmp_path: Path) -> None:
    result = flowatlas(*command, settings=None, tmp_path=tmp_path)
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_ingest_backstage_loads_the_catalog_and_reconciles(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    catalog = str(FIXTURES / "backstage" / "acme")
    result = flowatlas("ingest", "backstage", catalog, settings=neo4j_settings, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "documents read = " in result.stdout
    assert graph_stats(graph).nodes["Integration"] > 0


def test_ingest_inventory_reports_rejected_rows_and_loads_the_rest(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    inventory = str(FIXTURES / "inventory" / "bad_rows")
    result = flowatlas("ingest", "inventory", inventory, settings=neo4j_settings, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rejected" in result.stderr
    assert graph_stats(graph).nodes["Integration"] > 0


def test_ingest_inventory_strict_fails_on_rejected_rows(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    inventory = str(FIXTURES / "inventory" / "bad_rows")
    result = flowatlas(
        "ingest", "inventory", "--strict", inventory, settings=neo4j_settings, tmp_path=tmp_path
    )
    assert result.returncode == 1
    assert graph_stats(graph).node_total == 0


def demo_output(settings: Settings, tmp_path: Path) -> str:
    """Load the demo company; what the command printed."""
    result = flowatlas("demo", settings=settings, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_demo_loads_the_demo_company_with_its_findings(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    assert "0 rejected" in demo_output(neo4j_settings, tmp_path)
    records, _, _ = graph.execute_query(
        "MATCH (i:Issue) WHERE i.category = 'no_owner' RETURN count(i) AS n"
    )
    assert records[0]["n"] >= 1
    assert graph_stats(graph).nodes["Integration"] == 69


def test_demo_replaces_the_synthetic_estate(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    flowatlas("demo", "--synthetic", "--fields", "200", settings=neo4j_settings, tmp_path=tmp_path)
    flowatlas("demo", settings=neo4j_settings, tmp_path=tmp_path)
    records, _, _ = graph.execute_query("MATCH (s:Source) RETURN collect(DISTINCT s.kind) AS kinds")
    assert sorted(records[0]["kinds"]) == ["api-mapping", "asyncapi", "inventory", "openapi", "sql"]


def test_demo_connects_the_order_api_to_the_warehouse(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    output = demo_output(neo4j_settings, tmp_path)
    assert "8 mappings read = 8 accepted + 0 rejected" in output
    fields = endpoint_fields(graph, "order-service:POST /orders")
    downstream = set(field_flows(graph, fields["field_key"])["node_key"])
    assert "dwh-staging:staging.stg_orders#email" in downstream
    assert "dwh-marts:marts.fct_sales#sku" in downstream  # on through the warehouse SQL


def test_demo_estate_is_one_connected_graph(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """Inventory, warehouse SQL, API and event specs meet: every system that serves an API or
    holds a topic is connected to every other system, without counting findings or sources."""
    demo_output(neo4j_settings, tmp_path)
    edges, _, _ = graph.execute_query(
        "MATCH (a)-[]->(b) WHERE NOT a:Source AND NOT b:Source AND NOT a:Issue AND NOT b:Issue "
        "RETURN a.key AS a, b.key AS b"
    )
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    for edge in edges:
        parent[root(edge["a"])] = root(edge["b"])
    systems, _, _ = graph.execute_query(
        "MATCH (s:System) WHERE (s)-[:HAS_ENDPOINT]->() "
        "OR (s)-[:HAS_DATASET]->(:Dataset {kind: 'topic'}) RETURN collect(s.key) AS api_systems"
    )
    api_systems = systems[0]["api_systems"]
    assert sorted(api_systems) == [
        "carrier-api", "crm", "kafka", "order-service", "shipping-service"
    ]  # fmt: skip
    components = {root(key) for key in api_systems} | {root("dwh-marts:marts.fct_sales")}
    assert len(components) == 1


def test_sql_lineage_prints_the_json_contract_without_a_server(tmp_path: Path) -> None:
    script = tmp_path / "load.sql"
    script.write_text(
        "INSERT INTO mart.customer_360 (email)\n"
        "SELECT LOWER(c.email) FROM crm.customers c WHERE c.active = 1;\n"
        "SELECT (1;\n"
    )
    result = flowatlas("sql-lineage", str(script), settings=None, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    first = document["statements"][0]
    assert first["targets"] == ["mart.customer_360"]
    assert first["columns"][0]["sources"] == ["crm.customers.email"]
    assert document["summary"] == {
        "statements": 2, "with_lineage": 1, "without_lineage": 0, "failed": 1, "warnings": 0
    }  # fmt: skip
    assert document["statements"][1]["error"]


def test_sql_lineage_misspelt_dialect_suggests_the_right_one(tmp_path: Path) -> None:
    script = tmp_path / "load.sql"
    script.write_text("SELECT 1")
    result = flowatlas("sql-lineage", str(script), "--dialect", "postgress", settings=None,
                       tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert "Did you mean postgres?" in result.stderr and "Traceback" not in result.stderr


def test_sql_lineage_text_format_is_a_readable_tree(tmp_path: Path) -> None:
    result = flowatlas("sql-lineage", str(SQL_ESTATE / "etl"), "--format", "text",
                       "--dialect", "postgres", settings=None, tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "load.sql:5 insert mart.customers" in result.stdout
    assert "mart.customers.email <- active.email  = LOWER(a.email)" in result.stdout
    assert "rows chosen by" in result.stdout
    assert "load.sql:12 other error line 12:" in result.stderr


def test_ingest_sql_reports_rejections_and_loads_the_rest(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    result = flowatlas("ingest", "sql", str(SQL_ESTATE / "etl"), "--dialect", "postgres",
                       "--systems", str(SQL_ESTATE / "systems.yaml"),
                       settings=neo4j_settings, tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"rejected {SQL_ESTATE / 'etl' / 'load.sql'}:12: " in result.stderr
    assert f"{SQL_ESTATE / 'etl'}: 5 statements read = 4 accepted + 1 rejected" in result.stdout
    records, _, _ = graph.execute_query(
        "MATCH (:Field {key: 'crm:crm.contacts#phone'})-[r:FLOWS_TO]->(f:Field) "
        "RETURN collect(f.key) AS downstream"
    )
    assert len(records[0]["downstream"]) == 1  # into the temp table


def test_ingest_sql_strict_loads_nothing_when_a_statement_fails(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    result = flowatlas("ingest", "sql", str(SQL_ESTATE / "etl"), "--strict",
                       settings=neo4j_settings, tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert f"--strict: {SQL_ESTATE / 'etl'} not loaded" in result.stderr
    assert graph_stats(graph).nodes == {}


def test_ingest_sql_forgets_a_deleted_script(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "etl"
    folder.mkdir()
    (folder / "a.sql").write_text("INSERT INTO m.a SELECT x FROM s.a;")
    (folder / "b.sql").write_text("INSERT INTO m.b SELECT y FROM s.b;")
    flowatlas("ingest", "sql", str(folder), settings=neo4j_settings, tmp_path=tmp_path)
    (folder / "b.sql").unlink()
    result = flowatlas("ingest", "sql", str(folder), settings=neo4j_settings, tmp_path=tmp_path)
    assert f"{folder}: 1 statements read = 1 accepted + 0 rejected" in result.stdout
    records, _, _ = graph.execute_query("MATCH (d:Dataset) RETURN collect(d.name) AS names")
    assert sorted(records[0]["names"]) == ["m.a", "s.a"]


def test_ingest_dbt_loads_models_and_names_the_broken_one(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    manifest = FIXTURES / "dbt" / "manifest.json"
    result = flowatlas("ingest", "dbt", str(manifest), settings=neo4j_settings, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rejected models/marts/broken_model.sql:1: Expected table name" in result.stderr
    assert "8 nodes read = 8 accepted + 0 rejected" in result.stdout
    records, _, _ = graph.execute_query(
        "MATCH (:Field {key: 'warehouse:raw.crm.customers#email'})-[:FLOWS_TO*1..3]->(f:Field) "
        "RETURN collect(DISTINCT f.key) AS downstream"
    )
    assert "warehouse:analytics.marts.customer_360#email" in records[0]["downstream"]
    again = flowatlas("ingest", "dbt", str(manifest), settings=neo4j_settings, tmp_path=tmp_path)
    assert "unchanged since the last load, skipped" in again.stdout


def test_ingest_openapi_names_the_problems_and_loads_the_rest(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    spec = FIXTURES / "api" / "bad" / "refs.yaml"
    result = flowatlas("ingest", "openapi", str(spec), settings=neo4j_settings, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"rejected {spec}#/paths/~1d/post: operation is not an object" in result.stderr
    assert f"{spec}: 5 operations read = 4 accepted + 1 rejected" in result.stdout
    records, _, _ = graph.execute_query("MATCH (e:Endpoint) RETURN count(e) AS n")
    assert records[0]["n"] == 4


def test_ingest_openapi_refuses_an_unsafe_file_with_exit_1(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    spec = FIXTURES / "api" / "bad" / "laughs.yaml"
    result = flowatlas("ingest", "openapi", str(spec), settings=neo4j_settings, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "YAML aliases" in result.stderr and "Traceback" not in result.stderr


UNRESOLVED_MAPPINGS = FIXTURES / "api_mapping" / "unresolved.yaml"


def ingest_unresolved_mappings(
    graph: Driver, settings: Settings, tmp_path: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    """The shop's spec and tables in the graph, then a mapping file with 3 bad rows of 4."""
    load_shop(graph)
    mapping = str(UNRESOLVED_MAPPINGS)
    return flowatlas(
        "ingest", "api-mapping", *options, mapping, settings=settings, tmp_path=tmp_path
    )


def test_ingest_api_mapping_names_rejected_rows_and_loads_the_rest(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    result = ingest_unresolved_mappings(graph, neo4j_settings, tmp_path)
    assert result.returncode == 0, result.stderr
    mappings = UNRESOLVED_MAPPINGS
    assert f"rejected {mappings}:6: api: no field 'shop: Order.discount'" in result.stderr
    assert f"{mappings}: 4 mappings read = 1 accepted + 3 rejected" in result.stdout
    records, _, _ = graph.execute_query(
        "MATCH (:Field)-[r:FLOWS_TO]->(:Field) WHERE r.evidence STARTS WITH $file "
        "RETURN count(r) AS n",
        file=str(mappings),
    )
    assert records[0]["n"] == 1


def test_ingest_api_mapping_strict_loads_nothing_and_fails(
    graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    result = ingest_unresolved_mappings(graph, neo4j_settings, tmp_path, "--strict")
    assert result.returncode == 1
    records, _, _ = graph.execute_query(
        "MATCH (s:Source {kind: 'api-mapping'}) RETURN count(s) AS n"
    )
    assert records[0]["n"] == 0
