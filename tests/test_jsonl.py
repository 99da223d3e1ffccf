"""JSON Lines records (ingest/jsonl.py)."""

from __future__ import annotations

import pytest

from ingest.jsonl import parse_line
from ingest.records import Field, System


def test_type_names_the_record():
    record = parse_line('{"type": "System", "key": "crm", "name": "CRM"}')
    assert isinstance(record, System) and record.name == "CRM"


def test_record_names_the_record_so_a_field_can_carry_its_data_type():
    record = parse_line(
        '{"record": "Field", "key": "crm:c#email", "name": "email", "type": "varchar(320)"}'
    )
    assert isinstance(record, Field) and record.type == "varchar(320)"


def test_unknown_record_name_is_a_reason_naming_the_member():
    with pytest.raises(ValueError, match="'record' must be one of"):
        parse_line('{"record": "Table", "key": "x"}')


def test_misspelt_member_is_rejected_not_dropped():
    with pytest.raises(ValueError, match="unknown member"):
        parse_line('{"type": "System", "key": "crm", "nmae": "CRM"}')
