"""The APIs page runs headless with Streamlit's AppTest, on the API graph of test_api_catalog."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st
from neo4j import Driver
from streamlit.testing.v1 import AppTest

from graph.settings import Settings
from tests.test_api_catalog import (
    SHOP,
    load_api_graph,
    load_backstage_definitions,
    load_integration_graph,
)
from tests.test_app_overview import APP, RUN_TIMEOUT_S, point_at

PAGE = "pages/api.py"


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Each test connects anew: no driver or query result leaks from one test to the next."""
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def api_app(graph: Driver, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Driver:
    load_api_graph(graph)
    point_at(monkeypatch, neo4j_settings)
    return graph


def open_page(**params: str) -> AppTest:
    """The app, switched to the APIs page with ``params`` in its URL."""
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S).run()
    at.switch_page(PAGE)
    at.query_params.update(params)
    return at.run()


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def test_empty_graph_explains_how_to_load_specs(
    graph: Driver, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, neo4j_settings)
    at = open_page()
    assert not at.exception
    assert "flowatlas ingest openapi" in at.info[0].value
    assert not at.selectbox


def test_system_and_endpoint_come_from_the_url(api_app: Driver) -> None:
    at = open_page(system=SHOP, endpoint="POST /orders")
    assert not at.exception
    assert at.selectbox(key="system_choice_").value == SHOP
    assert at.selectbox(key=f"endpoint_choice_{SHOP}").value == "POST /orders"
    assert [h.value for h in at.subheader] == ["POST /orders"]
    assert "`Web shop`" in texts(at.markdown)


def test_pii_fields_are_flagged(api_app: Driver) -> None:
    at = open_page(system=SHOP, endpoint="POST /orders")
    assert "2 fields hold personal data" in texts(at.warning)
    request = at.dataframe[1].value  # the endpoint table, then one table per role
    flagged = request.set_index("path").loc["customer.email"]
    assert (flagged["pii_category"], flagged["pii_evidence"]) == ("email", "format: email")


def test_field_flows_are_shown(api_app: Driver) -> None:
    at = open_page(system=SHOP, endpoint="POST /orders")
    flows = at.dataframe[3].value  # endpoints, request, response:201, flows
    assert list(zip(flows["field"], flows["system"], strict=True)) == [
        ("email", "CRM"),
        ("email", "Warehouse"),
        ("order_id", "Warehouse"),
    ]


def test_endpoint_table_and_flags(api_app: Driver) -> None:
    at = open_page(system=SHOP, endpoint="DELETE /customers/{customer_id}")
    assert not at.exception
    assert len(at.dataframe[0].value) == 5
    assert "Candidate erasure route" in texts(at.info)
    assert "No caller is known" in texts(at.caption)


def test_unknown_endpoint_falls_back_to_the_first_and_fixes_the_url(api_app: Driver) -> None:
    at = open_page(system=SHOP, endpoint="GET /nowhere")
    assert not at.exception
    assert at.query_params["endpoint"] == "DELETE /customers/{customer_id}"


def test_choosing_an_endpoint_updates_the_url(api_app: Driver) -> None:
    at = open_page(system=SHOP)
    at.selectbox(key=f"endpoint_choice_{SHOP}").set_value("GET /legacy/orders").run()
    assert not at.exception
    assert at.query_params["endpoint"] == "GET /legacy/orders"
    assert "Deprecated" in texts(at.warning)
    assert "no parameters, request body or response body" in texts(at.caption)


def test_system_without_endpoints_shows_its_topics(api_app: Driver) -> None:
    at = open_page()  # no system in the URL: the first one, crm, only uses topics
    assert not at.exception
    assert at.query_params["system"] == "crm"
    assert "exposes no endpoints" in texts(at.caption)
    topics = at.dataframe[0].value
    assert list(topics["topic"]) == ["customers.v1", "orders.v1"]


def test_topic_fields_come_from_the_url(api_app: Driver) -> None:
    at = open_page(system=SHOP, topic="kafka:customers.v1")
    assert not at.exception
    assert at.selectbox(key=f"topic_choice_{SHOP}").value == "kafka:customers.v1"
    payload = at.dataframe[-1].value
    assert "address.street" in list(payload["path"])


def test_backstage_consumers_are_named_as_callers(
    graph: Driver, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_backstage_definitions(graph)
    point_at(monkeypatch, neo4j_settings)
    at = open_page(system="orders", endpoint="POST /orders")
    assert not at.exception
    assert "**Called by:** `Web shop`, `billing`" in texts(at.markdown)


def test_inventory_integrations_are_named_as_callers_of_the_system(
    graph: Driver, neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_integration_graph(graph)
    point_at(monkeypatch, neo4j_settings)
    at = open_page(system=SHOP, endpoint="GET /orders")
    assert not at.exception
    shown = texts(at.markdown)
    assert "- `Web`: checkout (https; data to this system)" in shown
    assert "- `Bank`: bank (https (webhook); data both ways)" in shown
    assert "No caller is known" not in texts(at.caption)


def test_similar_names_are_suggested_apart_and_marked_unconfirmed(api_app: Driver) -> None:
    at = open_page(system=SHOP, endpoint="POST /orders")
    assert "Unconfirmed suggestions" in texts(at.markdown)
    suggested = at.dataframe[4].value  # endpoints, request, response:201, flows, suggestions
    pairs = set(zip(suggested["path"], suggested["dataset"], strict=True))
    assert ("customer.email", "orders.v1") in pairs
    assert ("customer.email", "contacts") not in pairs  # a flow connects them already
    assert set(suggested["status"]) == {"unconfirmed"}
