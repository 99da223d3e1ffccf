"""SQL scripts as graph records (ingest/sql_records.py); no Neo4j needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.records import Dataset, Edge, EdgeKind, Field, FlowKind
from ingest.sql_records import read_sql
from tests.conftest import FIXTURES

ESTATE = FIXTURES / "sql_estate"


class Systems:
    """A system lookup as the --systems file gives one."""

    def __init__(self, mapping: dict[str, str]):
        self.mapping = mapping

    def system_for(self, table: str) -> str | None:
        return self.mapping.get(table.split(".")[0])


SYSTEMS = Systems({"crm": "crm", "shop": "shop", "mart": "warehouse"})


@pytest.fixture(scope="module")
def run():
    return read_sql([ESTATE / "etl"], dialect="postgres", systems=SYSTEMS)


def load_records(run):
    (source,) = run.sources
    return source


def flows(records, kind: FlowKind) -> dict[tuple[str, str], Edge]:
    return {
        (e.start.key, e.end.key): e
        for e in records
        if isinstance(e, Edge) and e.kind is EdgeKind.FLOWS_TO and e.flow_kind is kind
    }


def test_one_source_per_path_with_reconciled_counts(run):
    assert [Path(s.info.uri).name for s in run.sources] == ["etl"]
    summary = load_records(run).info.summary
    assert summary["read"] == summary["accepted"] + summary["rejected"] == 5
    assert summary["rejected"] == 1


def test_each_path_given_is_its_own_source():
    etl = ESTATE / "etl"
    run = read_sql([etl / "ddl.sql", etl / "load.sql"], dialect="postgres")
    assert [Path(s.info.uri).name for s in run.sources] == ["ddl.sql", "load.sql"]
    assert [s.info.summary["read"] for s in run.sources] == [2, 3]


def test_failed_statement_is_named_with_file_and_line(run):
    (error,) = load_records(run).errors
    assert error.startswith(f"{ESTATE / 'etl' / 'load.sql'}:12: ")
    assert "line" not in error.split(":12: ")[1][:5]


def test_column_flow_through_a_temp_table_keeps_transform_and_evidence(run):
    source = load_records(run)
    value = flows(source.records, FlowKind.VALUE)
    temp = f"warehouse:{ESTATE / 'etl' / 'load.sql'}::active".lower()
    into_temp = value[("crm:crm.contacts#email", f"{temp}#email")]
    out_of_temp = value[(f"{temp}#email", "warehouse:mart.customers#email")]
    assert into_temp.provenance.confidence == 1.0
    assert out_of_temp.transform == "LOWER(a.email)"
    assert out_of_temp.evidence == f"{ESTATE / 'etl' / 'load.sql'}:5"
    (temp_dataset,) = [r for r in source.records if isinstance(r, Dataset) and r.key == temp]
    assert temp_dataset.temporary is True


def test_filter_columns_flow_to_the_target_dataset_as_filter(run):
    filters = flows(load_records(run).records, FlowKind.FILTER)
    assert ("shop:shop.orders#status", "warehouse:mart.customers") in filters
    assert ("shop:shop.orders#contact_id", "warehouse:mart.customers") in filters


def test_table_level_flows(run):
    value = flows(load_records(run).records, FlowKind.VALUE)
    assert ("shop:shop.orders", "warehouse:mart.customers") in value


def test_ddl_fields_carry_their_types(run):
    types = {r.key: r.type for r in load_records(run).records if isinstance(r, Field)}
    assert types["crm:crm.contacts#email"] == "VARCHAR(320)"


def test_columns_are_checked_for_personal_data(run):
    fields = {r.key: r for r in load_records(run).records if isinstance(r, Field)}
    assert fields["crm:crm.contacts#email"].pii_category == "email"
    assert fields["crm:crm.contacts#phone"].pii_category == "phone"
    assert fields["crm:crm.contacts#active"].pii_category is None


def test_unmapped_tables_go_to_the_default_system(tmp_path):
    (tmp_path / "x.sql").write_text("INSERT INTO a.t SELECT id FROM b.s")
    (source,) = read_sql([tmp_path], default_system="Data Lake").sources
    keys = {r.key for r in source.records if isinstance(r, Dataset)}
    assert keys == {"data-lake:a.t", "data-lake:b.s"}


def test_content_hash_changes_when_ddl_elsewhere_changes(tmp_path):
    (tmp_path / "a.sql").write_text("INSERT INTO m.t SELECT * FROM s.u")
    (tmp_path / "b.sql").write_text("CREATE TABLE s.u (id INT)")
    paths = [tmp_path / "a.sql", tmp_path / "b.sql"]
    before = read_sql(paths).sources[0].info.content_hash
    assert read_sql(paths).sources[0].info.content_hash == before
    (tmp_path / "b.sql").write_text("CREATE TABLE s.u (id INT, name TEXT)")
    assert read_sql(paths).sources[0].info.content_hash != before


def test_short_table_name_meets_its_fully_qualified_dataset(tmp_path):
    (tmp_path / "a.sql").write_text(
        "CREATE TABLE analytics.orders (id INT);\nINSERT INTO m.t SELECT id FROM orders;"
    )
    (source,) = read_sql([tmp_path]).sources
    value = flows(source.records, FlowKind.VALUE)
    assert ("warehouse:analytics.orders#id", "warehouse:m.t#id") in value
