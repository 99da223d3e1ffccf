"""The app shell and Overview page run headless with Streamlit's AppTest, on a real Neo4j."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from neo4j import Driver
from streamlit.testing.v1 import AppTest

from graph.loader import load_source
from graph.settings import Settings
from ingest.inventory import read_inventory
from ingest.records import (
    Dataset,
    Integration,
    SourceInfo,
    Status,
    System,
    contains,
    dataset_key,
    flows_to,
    ref,
)
from tests.conftest import free_port

APP = Path(__file__).resolve().parent.parent / "app.py"
DEMO_INVENTORY = APP.parent / "examples" / "demo" / "inventory"
RUN_TIMEOUT_S = 30


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Each test connects anew: no driver or query result leaks from one test to the next."""
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


def point_at(monkeypatch: pytest.MonkeyPatch, settings: Settings, uri: str | None = None) -> None:
    monkeypatch.setenv("NEO4J_URI", uri or settings.uri)
    monkeypatch.setenv("NEO4J_USER", settings.user)
    monkeypatch.setenv("NEO4J_PASSWORD", settings.password or "")
    if settings.database:
        monkeypatch.setenv("NEO4J_DATABASE", settings.database)
    else:
        monkeypatch.delenv("NEO4J_DATABASE", raising=False)


def run_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S).run()


def load_two_systems(graph: Driver) -> None:
    crm, erp = System("crm", name="CRM"), System("erp", name="ERP")
    orders = Dataset(dataset_key("erp", "sales.orders"), name="sales.orders")
    source = SourceInfo(
        key="file://estate.csv", kind="inventory", uri="estate.csv", content_hash="x"
    )
    load_source(graph, source, [crm, erp, orders, contains(erp, orders)])


def metric_values(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_overview_shows_loaded_counts(
    graph: Driver, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_two_systems(graph)
    point_at(monkeypatch, neo4j_settings)
    at = run_app()
    assert not at.exception
    assert metric_values(at) == {
        "System": "2",
        "Dataset": "1",
        "Field": "0",
        "Endpoint": "0",
        "Integration": "0",
        "Issue": "0",
        "Source": "1",
    }


def test_overview_names_server_in_status_line(
    graph: Driver, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_two_systems(graph)
    point_at(monkeypatch, neo4j_settings)
    at = run_app()
    assert any(neo4j_settings.uri in c.value and "Neo4j" in c.value for c in at.caption)


def test_empty_graph_suggests_the_demo(
    graph: Driver, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, neo4j_settings)
    at = run_app()
    assert not at.exception
    assert "flowatlas demo" in at.info[0].value
    assert metric_values(at)["System"] == "0"


def test_unreachable_server_shows_one_line_error(
    neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = f"bolt://127.0.0.1:{free_port()}"
    point_at(monkeypatch, neo4j_settings, uri=closed)
    at = run_app()
    assert not at.exception
    assert len(at.error) == 1
    assert closed in at.error[0].value
    assert not at.metric


def load_three_integrations(graph: Driver) -> None:
    crm, shop = System("crm", name="CRM"), System("shop", name="Shop")
    records = [crm, shop]
    for key, status in (("int:a", Status.RED), ("int:b", Status.GREEN), ("int:c", Status.GREEN)):
        flow = Integration(key, name=key, status=status, owner="ops")
        records += [flow, flows_to(ref(crm), ref(flow)), flows_to(ref(flow), ref(shop))]
    load_source(graph, SourceInfo("inventory:x", "inventory", "x", "h"), records)


def test_board_counts_traffic_lights(
    graph: Driver, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_three_integrations(graph)
    point_at(monkeypatch, neo4j_settings)
    values = metric_values(run_app())
    assert (values["Green"], values["Yellow"], values["Red"]) == ("2", "0", "1")


def test_board_filter_is_read_from_the_url(
    graph: Driver, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_three_integrations(graph)
    point_at(monkeypatch, neo4j_settings)
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)
    at.query_params["status"] = "red"
    at.run()
    assert not at.exception
    assert metric_values(at)["Green"] == "0"
    assert list(at.dataframe[0].value["key"]) == ["int:a"]


def test_board_on_the_demo_company(
    graph: Driver, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = read_inventory(DEMO_INVENTORY)
    load_source(graph, demo.source, demo.records)
    point_at(monkeypatch, neo4j_settings)
    at = run_app()
    assert not at.exception
    values = metric_values(at)
    assert (values["Green"], values["Yellow"], values["Red"]) == ("46", "16", "7")
    rules = set(at.dataframe[2].value["rule"])  # board, troubled systems, findings
    assert {"no_owner", "no_monitoring", "red_without_known_issue"} <= rules
