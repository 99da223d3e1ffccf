"""The audit board's queries on a small real graph."""

from __future__ import annotations

import pytest
from neo4j import Driver

from graph.audit import BoardFilter, findings, integration_board, troubled_systems
from graph.loader import load_source
from ingest.records import (
    Edge,
    EdgeKind,
    Integration,
    Issue,
    Record,
    SourceInfo,
    Status,
    System,
    flows_to,
    ref,
)

SOURCE = SourceInfo("inventory:demo", "inventory", "demo", "h1")


def integration(key: str, source: System, target: System, **props) -> list[Record]:
    flow = Integration(key, name=key, **props)
    return [flow, flows_to(ref(source), ref(flow)), flows_to(ref(flow), ref(target))]


@pytest.fixture
def estate(graph: Driver) -> Driver:
    crm, shop, mkt = (
        System("crm", name="CRM"),
        System("shop", name="Shop"),
        System("mkt", name="Mkt"),
    )
    records: list[Record] = [crm, shop, mkt]
    records += integration("int:a", crm, mkt, status=Status.RED, owner="ops", transport="http")
    records += integration("int:b", shop, crm, status=Status.YELLOW, owner="web", transport="https")
    records += integration("int:c", shop, mkt, status=Status.GREEN, owner="web", transport="https")
    records += integration("int:d", crm, shop, transport="sftp")
    finding = Issue(
        "finding:no_owner:int:d",
        title="int:d has no owner",
        category="no_owner",
        evidence="integrations.csv:row 5:owner",
    )
    known = Issue("issue:1", title="drops rows", impact=4, frequency=5, category="known_issue")
    records += [finding, known, Edge(EdgeKind.AFFECTS, ref(finding), ref(Integration("int:d")))]
    load_source(graph, SOURCE, records)
    return graph


def test_board_lists_every_integration_with_its_systems(estate: Driver) -> None:
    board = integration_board(estate)
    row = board.integrations.set_index("key").loc["int:a"]
    assert len(board.integrations) == 4
    assert (row["source_system"], row["target_system"]) == ("crm", "mkt")


def test_board_counts_each_traffic_light(estate: Driver) -> None:
    assert integration_board(estate).status_counts == {
        "green": 1,
        "yellow": 1,
        "red": 1,
        "unrated": 1,
    }


def test_board_filters_by_owner_and_transport(estate: Driver) -> None:
    board = integration_board(
        estate, board_filter=BoardFilter(owners=("web",), transports=("https",))
    )
    assert sorted(board.integrations["key"]) == ["int:b", "int:c"]
    assert board.status_counts["red"] == 0


def test_troubled_systems_rank_red_before_yellow(estate: Driver) -> None:
    ranked = troubled_systems(estate)
    assert list(ranked["system"])[:2] == ["crm", "mkt"]
    assert ranked.set_index("system").loc["crm", "red"] == 1
    assert ranked.set_index("system").loc["crm", "yellow"] == 1


def test_findings_exclude_known_issues_and_name_evidence(estate: Driver) -> None:
    found = findings(estate)
    assert list(found["rule"]) == ["no_owner"]
    assert found.loc[0, "evidence"] == "integrations.csv:row 5:owner"
    assert found.loc[0, "affects"] == ["int:d"]
