"""The Overview analysis against a real Neo4j holding a small loaded graph."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from neo4j import Driver

from graph.loader import load_source
from graph.overview import (
    NODE_LABELS,
    SOURCE_COLUMNS,
    human_age,
    overview,
    report_line,
    sources_frame,
)
from ingest.records import (
    Dataset,
    Field,
    Record,
    SourceInfo,
    System,
    contains,
    dataset_key,
    field_key,
    system_key,
)

CRM = SourceInfo(key="file://crm.csv", kind="inventory", uri="crm.csv", content_hash="h1")


def crm_records() -> list[Record]:
    crm = System(system_key("CRM"), name="CRM")
    customers = Dataset(dataset_key(crm.key, "sales.customers"), name="sales.customers")
    email = Field(field_key(customers.key, "email"), name="email")
    phone = Field(field_key(customers.key, "phone"), name="phone")
    return [
        crm,
        customers,
        email,
        phone,
        contains(crm, customers),
        contains(customers, email),
        contains(customers, phone),
    ]


@pytest.fixture
def loaded(graph: Driver) -> Driver:
    load_source(graph, CRM, crm_records())
    return graph


def test_node_counts_cover_every_label_with_zeros(loaded: Driver) -> None:
    assert overview(loaded).nodes == {
        "System": 1,
        "Dataset": 1,
        "Field": 2,
        "Endpoint": 0,
        "Integration": 0,
        "Issue": 0,
        "Source": 1,
    }


def test_relationship_counts_cover_every_type_with_zeros(loaded: Driver) -> None:
    assert overview(loaded).relationships == {
        "HAS_DATASET": 1,
        "HAS_FIELD": 2,
        "HAS_ENDPOINT": 0,
        "USES": 0,
        "FLOWS_TO": 0,
        "AFFECTS": 0,
    }


def test_relationship_frame_lists_type_and_count(loaded: Driver) -> None:
    frame = overview(loaded).relationship_frame()
    assert list(frame.columns) == ["type", "count"]
    assert dict(zip(frame["type"], frame["count"], strict=True))["HAS_FIELD"] == 2


def test_server_version_names_neo4j(loaded: Driver) -> None:
    assert overview(loaded).server_version.startswith("Neo4j Kernel")


def test_loaded_graph_is_not_empty(loaded: Driver) -> None:
    assert not overview(loaded).is_empty


def test_empty_graph_is_empty_with_every_label_at_zero(graph: Driver) -> None:
    result = overview(graph)
    assert result.is_empty
    assert result.nodes == dict.fromkeys(NODE_LABELS, 0)


def test_sources_frame_has_one_row_per_source(loaded: Driver) -> None:
    frame = sources_frame(loaded)
    assert list(frame.columns) == list(SOURCE_COLUMNS)
    row = frame.iloc[0]
    assert len(frame) == 1
    assert (row["key"], row["kind"], row["uri"]) == ("file://crm.csv", "inventory", "crm.csv")
    assert (row["nodes"], row["relationships"]) == (4, 3)


def test_sources_frame_age_is_measured_from_now(loaded: Driver) -> None:
    loaded_at = sources_frame(loaded)["loaded_at"].iloc[0].to_pydatetime()
    frame = sources_frame(loaded, now=loaded_at + timedelta(hours=2, minutes=5))
    assert frame["age"].iloc[0] == "2 h ago"


def test_sources_frame_of_empty_graph_keeps_its_columns(graph: Driver) -> None:
    frame = sources_frame(graph, now=datetime.now(UTC))
    assert frame.empty
    assert list(frame.columns) == list(SOURCE_COLUMNS)


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (timedelta(seconds=-5), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(hours=3, minutes=59), "3 h ago"),
        (timedelta(days=1, hours=2), "1 day ago"),
        (timedelta(days=12), "12 days ago"),
    ],
)
def test_human_age_is_coarse(elapsed: timedelta, expected: str) -> None:
    assert human_age(elapsed) == expected


def test_report_line_reconciles_rows() -> None:
    summary = {"unit": "rows", "read": 70, "accepted": 68, "rejected": 2, "warnings": 1}
    assert report_line(summary) == "70 rows read = 68 accepted + 2 rejected; 1 warnings"


def test_report_line_is_empty_without_a_report() -> None:
    assert report_line({}) == ""
