"""Schema files for SQL lineage (ingest/sql_schema.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sql_schema import SchemaFileError, normalise, read_schema
from tests.conftest import FIXTURES

SCHEMAS = FIXTURES / "sql_schema"
FLAT = {
    "crm.contacts": {"id": "int", "email": "varchar(320)"},
    "shop.orders": {"order_id": "bigint", "amount": "numeric(10,2)"},
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_flat_yaml():
    result = read_schema(SCHEMAS / "flat.yaml")
    assert result.tables == FLAT
    assert (result.read, result.accepted, result.rejected, result.problems) == (2, 2, 0, [])
    assert result.unit == "tables"


def test_flat_json_reads_like_yaml():
    assert read_schema(SCHEMAS / "flat.json").tables == FLAT


def test_nested_json_is_flattened():
    result = read_schema(SCHEMAS / "nested.json")
    assert result.tables == {
        "warehouse.crm.contacts": {"id": "int", "email": "text"},
        "warehouse.shop.orders": {"order_id": "bigint"},
    }


def test_information_schema_csv_with_bom_orders_columns_by_position():
    result = read_schema(SCHEMAS / "columns.csv")
    assert list(result.tables["wh.crm.contacts"].items()) == [("id", "integer"), ("email", "text")]
    assert result.tables["wh.shop.orders"] == {"order_id": "bigint"}
    assert (result.unit, result.read, result.accepted, result.rejected) == ("rows", 4, 3, 1)
    assert result.problems == [
        f"{SCHEMAS / 'columns.csv'}:4: column_name empty; "
        "table_schema, table_name, column_name are required"
    ]


def test_csv_without_positions_keeps_the_file_order_and_sniffs_semicolons(tmp_path):
    path = _write(
        tmp_path, "cols.csv", "table_schema;table_name;column_name;data_type\n"
        "crm;contacts;zip;text\n\ncrm;contacts;id;int\n"
    )  # fmt: skip
    result = read_schema(path)
    assert list(result.tables["crm.contacts"]) == ["zip", "id"]
    assert (result.read, result.accepted) == (2, 2)


def test_bad_csv_rows_are_named_by_line_and_counted(tmp_path):
    path = _write(
        tmp_path,
        "cols.csv",
        "table_schema,table_name,column_name,ordinal_position\n"
        "crm,contacts,id,1\n"
        "crm,contacts,ID,2\n"
        "crm,contacts,email,first\n"
        "crm,contacts,zip,3,extra\n"
        '"crm","contacts","note\nwith a line break",4\n'
        "crm,contacts,phone,\n",
    )
    result = read_schema(path)
    assert result.tables == {"crm.contacts": {"id": "", "note\nwith a line break": "", "phone": ""}}
    assert result.problems == [
        f"{path}:3: column 'id' of 'crm.contacts' is already on line 2",
        f"{path}:4: ordinal_position 'first' is not a whole number",
        f"{path}:5: 5 cells but the header has 4",
    ]
    assert (result.read, result.accepted, result.rejected) == (6, 3, 3)


def test_csv_without_the_needed_columns_names_them(tmp_path):
    path = _write(tmp_path, "cols.csv", "schema,table,column\na,b,c\n")
    with pytest.raises(SchemaFileError, match=r"missing table_schema, table_name, column_name$"):
        read_schema(path)


def test_bad_entries_are_named_by_line_and_pointer_and_skipped():
    path = SCHEMAS / "bad_entries.yaml"
    result = read_schema(path)
    # YAML would read `no` as false and `on` as true: column names stay as written
    assert result.tables == {"crm.contacts": {"id": "int", "no": "text", "on": ""}}
    assert result.problems == [
        f"{path}:3 /crm.empty: no columns",
        f"{path}:4 /crm.listy: expected {{column: type}}, found a list",
        f"{path}:5 /crm.typed: mixes columns (email) with mappings (id); "
        "each column maps to its type",
        f"{path}:8 /crm.numbered: the type of column 'id' is a number, not text",
        f"{path}:9 /CRM.Contacts: 'crm.contacts' is already listed (line 2)",
    ]
    assert (result.read, result.accepted, result.rejected) == (6, 1, 5)


def test_json_problems_are_named_by_pointer(tmp_path):
    path = _write(tmp_path, "s.json", '{"a/b.t": {"id": 1}, "c.t": {"id": "int"}}')
    result = read_schema(path)
    assert result.problems == [f"{path}#/a~1b.t: the type of column 'id' is a number, not text"]
    assert result.tables == {"c.t": {"id": "int"}}


def test_mixed_depths_keep_the_common_one_and_name_the_others():
    path = SCHEMAS / "mixed_depth.yaml"
    result = read_schema(path)
    assert set(result.tables) == {
        "wh.crm.contacts", "wh.shop.orders", "wh.crm.leads", "wh.finance.ledger"
    }  # fmt: skip
    assert result.problems == [
        f"{path}:3 /orders: 'orders' has 1 part but this file's other tables have 3 "
        "(like 'wh.crm.contacts'); write every table with the same parts"
    ]
    assert (result.read, result.accepted, result.rejected) == (5, 4, 1)


def test_csv_table_of_another_depth_is_rejected_with_all_its_rows(tmp_path):
    path = _write(
        tmp_path,
        "cols.csv",
        "table_catalog,table_schema,table_name,column_name\n"
        "wh,crm,contacts,id\n,shop,orders,id\n,shop,orders,total\nwh,crm,leads,id\n",
    )
    result = read_schema(path)
    assert set(result.tables) == {"wh.crm.contacts", "wh.crm.leads"}
    assert result.problems == [
        f"{path}:3: 'shop.orders' has 2 parts but this file's other tables have 3 "
        "(like 'wh.crm.contacts'); write every table with the same parts"
    ]
    assert (result.read, result.accepted, result.rejected) == (4, 2, 2)


def test_names_are_lower_cased_without_a_dialect(tmp_path):
    path = _write(tmp_path, "s.yaml", "CRM.Contacts: {ID: int}\n")
    assert read_schema(path).tables == {"crm.contacts": {"id": "int"}}


def test_names_follow_the_dialect(tmp_path):
    # YAML's own quotes go; SQL's quotes, inside them, keep the case
    path = _write(tmp_path, "s.yaml", 'crm."Contacts": {id: int, \'"Email"\': text}\n')
    assert read_schema(path, dialect="snowflake").tables == {
        "CRM.Contacts": {"ID": "int", "Email": "text"}
    }


def test_csv_names_are_exact_as_stored_when_the_dialect_is_known(tmp_path):
    path = _write(tmp_path, "c.csv", "table_schema,table_name,column_name\nCRM,Contacts,Id\n")
    assert read_schema(path, dialect="postgres").tables == {"CRM.Contacts": {"Id": ""}}
    assert read_schema(path).tables == {"crm.contacts": {"id": ""}}


def test_normalise_uses_the_dialects_rules():
    assert normalise("Analytics.Orders") == "analytics.orders"
    assert normalise("Analytics.Orders", "snowflake") == "ANALYTICS.ORDERS"
    assert normalise('crm."Contacts"', "postgres") == "crm.Contacts"
    assert normalise("[Sales].[Orders]", "tsql") == "sales.orders"


def test_a_list_is_not_a_schema():
    with pytest.raises(SchemaFileError, match=r"maps table names to \{column: type\}, not a list"):
        read_schema(SCHEMAS / "not_mapping.yaml")


def test_empty_file_is_one_clear_error(tmp_path):
    with pytest.raises(SchemaFileError, match=r"s\.yaml: empty; a schema file maps"):
        read_schema(_write(tmp_path, "s.yaml", "# nothing yet\n"))


def test_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(SchemaFileError, match="cannot read the schema file: No such file"):
        read_schema(tmp_path / "nope.yaml")


def test_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(SchemaFileError, match=r"s\.txt: a schema file is \.yaml, \.yml"):
        read_schema(_write(tmp_path, "s.txt", "a.b: {c: int}"))


def test_invalid_yaml_names_the_line(tmp_path):
    path = _write(tmp_path, "s.yaml", "a.b: {c: int}\nd.e: {f: [\n")
    with pytest.raises(SchemaFileError, match=r"s\.yaml:3: not valid YAML"):
        read_schema(path)


def test_invalid_json_names_the_line(tmp_path):
    path = _write(tmp_path, "s.json", '{"a.b": {"c": "int"},\n "d.e": }')
    with pytest.raises(SchemaFileError, match=r"s\.json:2: not valid JSON: Expecting value"):
        read_schema(path)


def test_not_utf8_is_one_clear_error(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes("a.b: {c: ü}".encode("latin-1"))
    with pytest.raises(SchemaFileError, match=r"s\.yaml: not UTF-8 text \(byte 9\)"):
        read_schema(path)
