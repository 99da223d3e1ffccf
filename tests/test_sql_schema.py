"""Schema files for SQL lineage (ingest/sql_schema.py)."""

from __future__ import annotations

import pytest

from ingest.sql_schema import SchemaFileError, read_schema
from tests.conftest import FIXTURES

SCHEMAS = FIXTURES / "sql_schema"


def test_flat_yaml():
    result = read_schema(SCHEMAS / "flat.yaml")
    assert result.tables == {
        "crm.contacts": {"id": "int", "email": "varchar(320)"},
        "shop.orders": {"order_id": "bigint", "amount": "numeric(10,2)"},
    }
    assert (result.read, result.accepted, result.problems) == (2, 2, [])


def test_nested_json_is_flattened():
    result = read_schema(SCHEMAS / "nested.json")
    assert set(result.tables) == {"warehouse.crm.contacts", "warehouse.shop.orders"}


def test_information_schema_csv_with_bom_orders_columns_by_position():
    result = read_schema(SCHEMAS / "columns.csv")
    assert list(result.tables["wh.crm.contacts"]) == ["id", "email"]
    assert result.tables["wh.shop.orders"] == {"order_id": "bigint"}
    assert (result.read, result.accepted, result.rejected) == (4, 3, 1)
    assert result.problems == [
        f"{SCHEMAS / 'columns.csv'}:4: table_name and column_name are required"
    ]


def test_bad_entries_are_named_by_json_pointer_and_skipped():
    result = read_schema(SCHEMAS / "bad_entries.yaml")
    assert result.tables == {"crm.contacts": {"id": "int"}}
    assert (result.read, result.rejected) == (3, 2)
    assert result.problems == [
        f"{SCHEMAS / 'bad_entries.yaml'}#/crm.empty: no columns",
        f"{SCHEMAS / 'bad_entries.yaml'}#/crm.listy: expected {{column: type}}, found list",
    ]


def test_a_list_is_not_a_schema():
    with pytest.raises(SchemaFileError, match="not a list"):
        read_schema(SCHEMAS / "not_mapping.yaml")


def test_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(SchemaFileError, match="cannot read the schema file"):
        read_schema(tmp_path / "nope.yaml")


def test_csv_without_the_needed_columns_names_them(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("schema,table,column\na,b,c\n")
    with pytest.raises(SchemaFileError, match="missing table_schema, table_name, column_name"):
        read_schema(path)
