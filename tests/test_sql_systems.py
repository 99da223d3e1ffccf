"""The system map that puts SQL tables in systems (ingest/sql_systems.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.sql_systems import SystemMap, SystemMapError, read_system_map
from tests.conftest import FIXTURES

MAPS = FIXTURES / "sql_systems"


@pytest.fixture(scope="module")
def good() -> SystemMap:
    return read_system_map(MAPS / "good.yaml")


def test_pattern_maps_a_table_case_insensitively(good):
    assert good.system_for("Analytics.Orders") == "warehouse"
    assert good.system_for("crm.contacts") == "crm"


def test_most_specific_pattern_wins(good):
    assert good.system_for("analytics.finance_ledger") == "finance"


def test_unmatched_table_goes_to_the_default(good):
    assert good.system_for("scratch.tmp") == "lake"


def test_without_default_an_unmatched_table_has_no_system():
    assert SystemMap.from_dict({"crm": ["crm.*"]}).system_for("x.y") is None


def test_equally_specific_overlapping_patterns_are_an_error_with_the_line():
    with pytest.raises(SystemMapError, match=r"tie\.yaml:2: 'analytics\.\*' \(reporting\)"):
        read_system_map(MAPS / "tie.yaml")


def test_pattern_that_is_not_text_names_file_and_line():
    with pytest.raises(SystemMapError, match=r"bad_pattern\.yaml:2: crm: pattern 42 is not text"):
        read_system_map(MAPS / "bad_pattern.yaml")


names = st.text(alphabet="abcxyz_", min_size=1, max_size=6)


@given(st.dictionaries(names, names, min_size=1, max_size=6), st.randoms())
def test_one_matching_pattern_maps_and_order_does_not_matter(schemas, rng):
    entries = [(f"sys_{schema}", f"{schema}.*") for schema in schemas]
    forward = SystemMap.from_dict({s: [p] for s, p in entries})
    rng.shuffle(entries)
    shuffled = SystemMap.from_dict({s: [p] for s, p in entries})
    for schema, table in schemas.items():
        assert forward.system_for(f"{schema}.{table}") == f"sys_{schema}"
        assert shuffled.system_for(f"{schema}.{table}") == f"sys_{schema}"
