"""Mapping files between API fields and table columns (ingest/api_mapping.py).

The fixtures in ``tests/fixtures/api_mapping``: ``shop.yaml``, a spec where ``Order``
extends ``OrderRequest`` (allOf), ``Order.total`` uses ``Money`` and ``Payment`` is one of
two schemas that both have a ``reference``; ``sql/tables.sql``, the warehouse tables; and
mapping files, good and bad. Reading a file needs no graph (names are then taken as
written); resolving names against the graph, as the CLI does, needs the real one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from neo4j import Driver

from graph.api_catalog import payload_field_keys
from graph.loader import load_source
from ingest.api_mapping import MappingResult, read_api_mappings
from ingest.openapi import read_openapi
from ingest.records import DECLARED, EdgeKind, FlowKind
from ingest.sql_records import read_sql
from tests.conftest import FIXTURES

MAPPINGS = FIXTURES / "api_mapping"


def flows(result: MappingResult) -> list[tuple[str, str, str]]:
    return [(edge.start.key, edge.end.key, edge.key) for edge in result.records]


def problems(found: list) -> list[tuple[int | None, str]]:
    return [(problem.line, problem.reason) for problem in found]


def load_shop(driver: Driver) -> None:
    spec = read_openapi(MAPPINGS / "shop.yaml")
    load_source(driver, spec.info, spec.records)
    for source in read_sql([MAPPINGS / "sql"]).sources:
        load_source(driver, source.info, source.records)


def read_against(driver: Driver, name: str) -> MappingResult:
    return read_api_mappings(
        MAPPINGS / name, resolve=lambda names: payload_field_keys(driver, names)
    )


@pytest.fixture
def shop(graph: Driver) -> Driver:
    load_shop(graph)
    return graph


# --- reading the file ------------------------------------------------------------------------


def test_rows_become_flows_in_their_direction() -> None:
    assert flows(read_api_mappings(MAPPINGS / "mappings.yaml")) == [
        ("shop:order#email", "warehouse:sales.orders#email", "value"),
        ("shop:order#total.amount", "warehouse:sales.orders#total_amount", "value"),
        ("warehouse:sales.order_lines#sku", "shop:orderrequest#lines[].sku", "filter"),
    ]


def test_transform_kind_evidence_and_provenance_are_kept() -> None:
    first, _, last = read_api_mappings(MAPPINGS / "mappings.yaml").records
    assert (first.kind, first.transform, first.provenance) == (
        EdgeKind.FLOWS_TO,
        "LOWER(email)",
        DECLARED,
    )
    assert first.evidence == f"{MAPPINGS / 'mappings.yaml'}:3"
    assert (last.flow_kind, last.transform) == (FlowKind.FILTER, None)


def test_each_bad_row_is_rejected_with_its_line_and_reason() -> None:
    result = read_api_mappings(MAPPINGS / "bad.yaml")
    assert problems(result.rejections) == [
        (6, "api: 'shop Order.email' is not '<system>: <dataset>.<field>'"),
        (11, "direction: Input should be 'api_to_table' or 'table_to_api'"),
        (12, "direction: Field required"),
        (17, "note: unknown member; a mapping has api, table, direction, transform, flow_kind"),
        (18, "a mapping needs api, table and direction"),
    ]
    assert {problem.file for problem in result.rejections} == {str(MAPPINGS / "bad.yaml")}


def test_the_good_rows_of_a_bad_file_still_load() -> None:
    result = read_api_mappings(MAPPINGS / "bad.yaml")
    assert flows(result) == [("shop:order#email", "warehouse:sales.orders#email", "value")]


def test_counts_reconcile() -> None:
    summary = read_api_mappings(MAPPINGS / "bad.yaml").source.summary
    assert summary["read"] == summary["accepted"] + summary["rejected"]
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (7, 2, 5)


def test_a_repeated_row_is_a_warning_and_written_once() -> None:
    result = read_api_mappings(MAPPINGS / "bad.yaml")
    assert problems(result.warnings) == [(19, "repeats the mapping of line 3: skipped")]
    assert len(result.records) == 1


def test_a_file_without_a_mappings_list_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a mapping with a 'mappings' list"):
        read_api_mappings(MAPPINGS / "not-a-list.yaml")


def test_a_file_that_is_not_yaml_is_refused_with_its_line() -> None:
    with pytest.raises(ValueError, match=r"broken\.yaml:4: not valid YAML"):
        read_api_mappings(MAPPINGS / "broken.yaml")


def test_an_unsafe_yaml_tag_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mappings.yaml"
    path.write_text("mappings: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        read_api_mappings(path)


def test_the_source_is_named_by_its_resolved_path() -> None:
    source = read_api_mappings(MAPPINGS / "mappings.yaml").source
    assert source.key == f"api-mapping:{(MAPPINGS / 'mappings.yaml').resolve().as_posix()}"
    assert source.kind == "api-mapping"


# --- names resolved against the graph ---------------------------------------------------------


def test_payload_paths_resolve_through_composed_and_used_schemas(shop: Driver) -> None:
    assert flows(read_against(shop, "mappings.yaml")) == [
        ("shop:orderrequest#email", "warehouse:sales.orders#email", "value"),  # allOf
        ("shop:money#amount", "warehouse:sales.orders#total_amount", "value"),  # Order.total
        ("warehouse:sales.order_lines#sku", "shop:line#sku", "filter"),  # lines[] -> Line
    ]


def test_names_the_graph_cannot_resolve_to_one_field_are_rejected(shop: Driver) -> None:
    result = read_against(shop, "unresolved.yaml")
    assert problems(result.rejections) == [
        (6, "api: no field 'shop: Order.discount' in the graph (shop:order#discount)"),
        (
            9,
            "api: 'shop: Payment.reference' names 2 fields: "
            "shop:card#reference, shop:transfer#reference",
        ),
        (12, "the api and table sides name the same field"),
    ]
    assert len(result.records) == 1


def test_loaded_mappings_connect_the_api_field_to_the_column(shop: Driver) -> None:
    result = read_against(shop, "mappings.yaml")
    load_source(shop, result.source, result.records)
    records, _, _ = shop.execute_query(
        "MATCH (:Field {key: $api})-[r:FLOWS_TO]->(c:Field) "
        "RETURN c.key AS column, r.transform AS t",
        api="shop:orderrequest#email",
    )
    assert [(r["column"], r["t"]) for r in records] == [
        ("warehouse:sales.orders#email", "LOWER(email)")
    ]


def test_a_row_resolving_later_changes_the_content_hash(graph: Driver) -> None:
    before = read_against(graph, "mappings.yaml")  # nothing loaded: every row rejected
    load_shop(graph)
    after = read_against(graph, "mappings.yaml")
    assert (before.rejected, after.rejected) == (3, 0)
    assert before.source.content_hash != after.source.content_hash
