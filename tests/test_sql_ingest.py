"""SQL lineage in a real Neo4j: flows with provenance, idempotent, one script replaced alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from neo4j import Driver

from graph.loader import load_source
from graph.stats import graph_stats
from ingest.sql_records import read_sql
from tests.conftest import FIXTURES

FLOW = """
MATCH (a {key: $upstream})-[r:FLOWS_TO {key: $kind}]->(b {key: $downstream})
RETURN r.transform AS transform, r.evidence AS evidence, r.confidence AS confidence,
       r.methods AS methods
"""


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    folder = tmp_path / "etl"
    shutil.copytree(FIXTURES / "sql_estate" / "etl", folder)
    return folder


def load(driver: Driver, folder: Path, **options) -> list:
    run = read_sql([folder], dialect="postgres", **options)
    return [load_source(driver, s.info, s.records) for s in run.sources]


def flow(driver: Driver, upstream: str, downstream: str, kind: str = "value") -> dict | None:
    records, _, _ = driver.execute_query(FLOW, upstream=upstream, downstream=downstream, kind=kind)
    return records[0].data() if records else None


def test_value_flow_carries_transform_evidence_and_method(graph: Driver, scripts: Path) -> None:
    load(graph, scripts)
    temp = f"warehouse:{scripts / 'load.sql'}::active".lower()
    edge = flow(graph, f"{temp}#email", "warehouse:mart.customers#email")
    assert edge == {
        "transform": "LOWER(a.email)",
        "evidence": f"{scripts / 'load.sql'}:5",
        "confidence": 1.0,
        "methods": ["parsed"],
    }


def test_filter_flow_is_its_own_relationship(graph: Driver, scripts: Path) -> None:
    load(graph, scripts)
    assert flow(graph, "warehouse:shop.orders#status", "warehouse:mart.customers", "filter")
    assert not flow(graph, "warehouse:shop.orders#status", "warehouse:mart.customers")


def test_reingesting_unchanged_scripts_changes_nothing(graph: Driver, scripts: Path) -> None:
    load(graph, scripts)
    before = graph_stats(graph)
    reports = load(graph, scripts)
    assert all(r.skipped for r in reports)
    assert graph_stats(graph) == before


def test_changed_script_replaces_its_facts_and_keeps_the_rest(graph: Driver, scripts: Path) -> None:
    (scripts / "extra.sql").write_text(
        "INSERT INTO mart.phones (p) SELECT phone FROM crm.contacts;"
    )
    load(graph, scripts)

    temp = f"warehouse:{scripts / 'load.sql'}::active".lower()
    before = flow(graph, f"{temp}#email", "warehouse:mart.customers#email")
    (scripts / "extra.sql").write_text("INSERT INTO mart.phones (p) SELECT id FROM crm.contacts;")
    (report,) = load(graph, scripts)
    assert not report.skipped
    assert flow(graph, "warehouse:crm.contacts#id", "warehouse:mart.phones#p")
    assert not flow(graph, "warehouse:crm.contacts#phone", "warehouse:mart.phones#p")
    assert flow(graph, f"{temp}#email", "warehouse:mart.customers#email") == before


def test_deleted_script_takes_its_facts_along(graph: Driver, scripts: Path) -> None:
    (scripts / "extra.sql").write_text(
        "INSERT INTO mart.phones (p) SELECT phone FROM crm.contacts;"
    )
    load(graph, scripts)
    (scripts / "extra.sql").unlink()
    load(graph, scripts)
    assert not flow(graph, "warehouse:crm.contacts#phone", "warehouse:mart.phones#p")
    records, _, _ = graph.execute_query("MATCH (d:Dataset {name: 'mart.phones'}) RETURN d")
    assert records == []
