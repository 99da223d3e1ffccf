"""The loader against a real Neo4j: idempotent, replace-per-source, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver
from neo4j.exceptions import Neo4jError

from graph.loader import LoadReport, forget_source, load_source, merge_records
from graph.stats import graph_stats
from ingest.records import (
    Dataset,
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


def crm_records(owner: str = "sales-ops", with_phone: bool = True) -> list[Record]:
    crm = System(system_key("CRM"), name="CRM", owner=owner)
    customers = Dataset(
        dataset_key(crm.key, "sales.customers"), name="sales.customers", system=crm.key
    )
    email = Field(
        field_key(customers.key, "email"), name="email", dataset=customers.key, type="varchar"
    )
    records: list[Record] = [
        crm,
        customers,
        contains(crm, customers),
        email,
        contains(customers, email),
    ]
    if with_phone:
        phone = Field(field_key(customers.key, "phone"), name="phone", dataset=customers.key)
        records += [phone, contains(customers, phone)]
    return records


def etl_records() -> list[Record]:
    """A second source: a warehouse job that reads crm.customers.email."""
    parsed = Provenance(Method.PARSED, 0.9)
    wh = System(system_key("Warehouse"), name="Warehouse")
    dim = Dataset(dataset_key(wh.key, "mart.dim_customer"), name="mart.dim_customer", system=wh.key)
    email = Field(field_key(dim.key, "email"), name="email", dataset=dim.key, provenance=parsed)
    crm_email = Field(field_key(dataset_key("crm", "sales.customers"), "email"), name="email")
    return [
        wh,
        dim,
        contains(wh, dim),
        email,
        contains(dim, email),
        flows_to(ref(crm_email), ref(email), transform="LOWER(email)", provenance=parsed),
    ]


CRM = SourceInfo(key="file://crm.csv", kind="inventory", uri="crm.csv", content_hash="h1")
ETL = SourceInfo(key="file://etl.sql", kind="sql", uri="etl.sql", content_hash="e1")


def node(graph: Driver, key: str) -> dict | None:
    records, _, _ = graph.execute_query("MATCH (n {key: $key}) RETURN properties(n) AS p", key=key)
    return records[0]["p"] if records else None


def test_load_writes_nodes_edges_and_source(graph: Driver) -> None:
    report = load_source(graph, CRM, crm_records())
    stats = graph_stats(graph)
    assert stats.nodes == {"System": 1, "Dataset": 1, "Field": 2, "Source": 1}
    assert stats.relationships == {"HAS_DATASET": 1, "HAS_FIELD": 2}
    assert report.elements == 7


def test_unchanged_source_is_skipped_and_graph_identical(graph: Driver) -> None:
    load_source(graph, CRM, crm_records())
    before = graph_stats(graph)
    report = load_source(graph, CRM, crm_records())
    assert report.skipped
    assert graph_stats(graph) == before


def test_forced_reload_of_same_records_leaves_graph_identical(graph: Driver) -> None:
    load_source(graph, CRM, crm_records())
    load_source(graph, ETL, etl_records())
    before = graph_stats(graph)
    report = load_source(graph, CRM, crm_records(), force=True)
    assert not report.skipped
    assert graph_stats(graph) == before


def test_merge_alone_without_retraction_leaves_graph_identical(graph: Driver) -> None:
    load_source(graph, CRM, crm_records())
    load_source(graph, ETL, etl_records())
    before = graph_stats(graph)
    with graph.session() as session, session.begin_transaction() as tx:
        merge_records(tx, CRM.key, crm_records(), LoadReport(CRM.key))
        merge_records(tx, ETL.key, etl_records(), LoadReport(ETL.key))
        tx.commit()
    assert graph_stats(graph) == before


def test_records_repeated_within_one_load_make_one_fact_each(graph: Driver) -> None:
    load_source(graph, CRM, crm_records() + crm_records(), batch_size=3)
    assert graph_stats(graph).relationships == {"HAS_DATASET": 1, "HAS_FIELD": 2}
    assert node(graph, "crm")["sources"] == [CRM.key]


def test_node_only_mentioned_by_an_edge_leaves_with_that_source(graph: Driver) -> None:
    load_source(graph, ETL, etl_records())
    assert node(graph, "crm:sales.customers#email")["sources"] == [ETL.key]
    forget_source(graph, ETL.key)
    assert node(graph, "crm:sales.customers#email") is None


def test_changed_source_replaces_its_facts(graph: Driver) -> None:
    load_source(graph, CRM, crm_records())
    changed = SourceInfo(CRM.key, CRM.kind, CRM.uri, content_hash="h2")
    load_source(graph, changed, crm_records(owner="revops", with_phone=False))
    assert node(graph, "crm:sales.customers#phone") is None
    assert node(graph, "crm")["owner"] == "revops"


def test_replace_keeps_the_identity_of_facts_still_asserted(graph: Driver) -> None:
    load_source(graph, CRM, crm_records())
    query = "MATCH (n {key: 'crm:sales.customers#email'}) RETURN elementId(n) AS id"
    before = graph.execute_query(query).records[0]["id"]
    load_source(graph, SourceInfo(CRM.key, CRM.kind, CRM.uri, "h2"), crm_records(with_phone=False))
    assert graph.execute_query(query).records[0]["id"] == before


def test_replace_leaves_no_retraction_marks(graph: Driver) -> None:
    load_source(graph, CRM, crm_records())
    load_source(graph, SourceInfo(CRM.key, CRM.kind, CRM.uri, "h2"), crm_records(with_phone=False))
    marked = "MATCH (n) WHERE n.retracting IS NOT NULL RETURN count(n) AS n"
    assert graph.execute_query(marked).records[0]["n"] == 0


def test_dropped_property_is_removed_on_replace(graph: Driver) -> None:
    load_source(graph, CRM, crm_records())
    changed = SourceInfo(CRM.key, CRM.kind, CRM.uri, content_hash="h2")
    load_source(graph, changed, crm_records(owner=None))  # type: ignore[arg-type]
    assert "owner" not in node(graph, "crm")


def test_source_that_does_not_know_a_property_keeps_anothers_value(graph: Driver) -> None:
    load_source(graph, CRM, crm_records(owner="sales-ops"))
    load_source(graph, ETL, [System("crm", name="CRM")])  # a parser: knows no owner
    assert node(graph, "crm")["owner"] == "sales-ops"


def test_changed_source_leaves_other_sources_alone(graph: Driver) -> None:
    load_source(graph, ETL, etl_records())
    load_source(graph, CRM, crm_records())
    before = node(graph, "warehouse:mart.dim_customer#email")
    load_source(graph, SourceInfo(CRM.key, CRM.kind, CRM.uri, "h2"), crm_records(with_phone=False))
    assert node(graph, "warehouse:mart.dim_customer#email") == before


def test_fact_asserted_by_two_sources_survives_removal_of_one(graph: Driver) -> None:
    load_source(graph, CRM, crm_records())
    load_source(graph, ETL, etl_records())
    shared_key = "crm:sales.customers#email"
    assert sorted(node(graph, shared_key)["sources"]) == [CRM.key, ETL.key]
    forget_source(graph, CRM.key)
    survivor = node(graph, shared_key)
    assert survivor["sources"] == [ETL.key]
    assert survivor["methods"] == ["parsed"]
    assert node(graph, "crm:sales.customers#phone") is None


def test_forgetting_every_source_empties_the_graph(graph: Driver) -> None:
    load_source(graph, CRM, crm_records())
    load_source(graph, ETL, etl_records())
    forget_source(graph, ETL.key)
    forget_source(graph, CRM.key)
    assert graph_stats(graph).node_total == 0


def test_edge_records_provenance_and_transform(graph: Driver) -> None:
    load_source(graph, CRM, crm_records())
    load_source(graph, ETL, etl_records())
    records, _, _ = graph.execute_query(
        "MATCH (:Field)-[r:FLOWS_TO]->(:Field) RETURN properties(r) AS p"
    )
    flow = records[0]["p"]
    assert flow["sources"] == [ETL.key]
    assert flow["methods"] == ["parsed"]
    assert flow["confidence"] == pytest.approx(0.9)
    assert flow["transform"] == "LOWER(email)"
    assert flow["flow_kind"] == FlowKind.VALUE.value


class Boom(RuntimeError):
    pass


def failing_after(records: list[Record], count: int) -> Iterator[Record]:
    for index, record in enumerate(records):
        if index == count:
            raise Boom("ingester failed part-way")
        yield record


def test_failure_mid_load_leaves_graph_as_it_was(graph: Driver) -> None:
    load_source(graph, CRM, crm_records())
    load_source(graph, ETL, etl_records())
    before = graph_stats(graph)
    changed = SourceInfo(CRM.key, CRM.kind, CRM.uri, content_hash="h2")
    many = crm_records(owner="someone-else") + [
        Field(field_key("crm:sales.customers", f"extra_{i}"), name=f"extra_{i}") for i in range(50)
    ]
    with pytest.raises(Boom):
        # batch_size=5 makes several batches reach the server before the failure
        load_source(graph, changed, failing_after(many, 40), batch_size=5)
    assert graph_stats(graph) == before


def test_server_side_error_mid_load_rolls_back(graph: Driver) -> None:
    before = graph_stats(graph)
    bad = System("broken", name="broken")
    object.__setattr__(bad, "owner", {"not": "a property value"})  # maps are not storable
    with pytest.raises(Neo4jError):
        load_source(graph, CRM, [*crm_records(), bad], batch_size=2)
    assert graph_stats(graph) == before
