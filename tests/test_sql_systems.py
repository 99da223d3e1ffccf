"""The system map that puts SQL tables in systems (ingest/sql_systems.py)."""

from __future__ import annotations

import fnmatch
import itertools
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ingest.sql_systems import SystemMap, SystemMapError, read_system_map
from tests.conftest import FIXTURES

MAPS = FIXTURES / "sql_systems"


@pytest.fixture(scope="module")
def good() -> SystemMap:
    return read_system_map(MAPS / "good.yaml")


def _map(tmp_path: Path, text: str) -> SystemMap:
    path = tmp_path / "systems.yaml"
    path.write_text(text, encoding="utf-8")
    return read_system_map(path)


def test_pattern_maps_a_table_case_insensitively(good):
    assert good.system_for("Analytics.Orders") == "warehouse"
    assert good.system_for("crm.contacts") == "crm"
    assert good.system_for("ledger.gl.entries") == "ledger"


def test_most_specific_pattern_wins(good):
    assert good.system_for("analytics.finance_ledger") == "finance"
    assert good.system_for("analytics.orders") == "warehouse"


def test_a_pattern_matches_the_whole_name(good):
    assert good.system_for("old_crm.contacts") == "lake"


def test_unmatched_table_goes_to_the_default(good):
    assert good.default == "lake"
    assert good.system_for("scratch.tmp") == "lake"


def test_without_default_an_unmatched_table_has_no_system():
    assert SystemMap.from_dict({"crm": ["crm.*"]}).system_for("x.y") is None


def test_from_dict_takes_one_pattern_as_text():
    systems = SystemMap.from_dict({"crm": "crm.*", "default": "lake"})
    assert (systems.system_for("crm.a"), systems.system_for("b")) == ("crm", "lake")


def test_question_marks_and_sets_are_globs():
    systems = SystemMap.from_dict({"a": ["s?.t"], "b": ["[xy]1.t"]})
    assert [systems.system_for(n) for n in ("s1.t", "s12.t", "x1.t", "z1.t")] == [
        "a", None, "b", None
    ]  # fmt: skip


def test_identical_patterns_of_two_systems_are_an_error_with_the_lines():
    with pytest.raises(SystemMapError) as error:
        read_system_map(MAPS / "tie.yaml")
    assert str(error.value) == (
        f"{MAPS / 'tie.yaml'}:3: 'analytics.*' (reporting) and 'analytics.*' (warehouse, "
        "line 1) are equally specific and both match 'analytics.'; make one more specific"
    )


def test_different_but_overlapping_patterns_are_a_tie_with_an_example(tmp_path):
    with pytest.raises(SystemMapError, match=r":2: '\*a\.x' \(b\) and 'a\*\.x' \(a, line 1\) .* "
                       r"both match 'a\.x'"):  # fmt: skip
        _map(tmp_path, 'a: ["a*.x"]\nb: ["*a.x"]\n')


def test_equally_specific_patterns_that_cannot_meet_are_fine():
    systems = SystemMap.from_dict({"crm": ["crm.*"], "erp": ["erp.*"], "x": ["*.stage"]})
    assert systems.system_for("erp.orders") == "erp"


def test_pattern_that_is_not_text_names_file_and_line():
    with pytest.raises(SystemMapError, match=r"bad_pattern\.yaml:2: crm: pattern 42 is not text"):
        read_system_map(MAPS / "bad_pattern.yaml")


def test_the_line_of_a_bad_pattern_in_a_block_list(tmp_path):
    with pytest.raises(SystemMapError, match=r"systems\.yaml:4: crm: pattern None is not text"):
        _map(tmp_path, 'warehouse: ["a.*"]\ncrm:\n  - "crm.*"\n  -\n')


def test_a_system_listed_twice_is_an_error_naming_both_lines():
    with pytest.raises(SystemMapError, match=r"duplicate\.yaml:3: 'warehouse' is already listed "
                       "on line 1"):  # fmt: skip
        read_system_map(MAPS / "duplicate.yaml")


def test_empty_system_name_is_an_error(tmp_path):
    with pytest.raises(SystemMapError, match=r"systems\.yaml:2: system name '' is empty"):
        _map(tmp_path, 'crm: ["crm.*"]\n"": ["x.*"]\n')


def test_empty_default_is_an_error(tmp_path):
    with pytest.raises(SystemMapError, match=r"systems\.yaml:1: system name None is empty"):
        _map(tmp_path, "default:\n")


def test_patterns_must_be_a_list(tmp_path):
    with pytest.raises(SystemMapError, match=r"systems\.yaml:1: crm: expected a list of table"):
        _map(tmp_path, "crm: {a: b}\n")


def test_not_a_mapping_is_an_error(tmp_path):
    with pytest.raises(SystemMapError, match=r"systems\.yaml:1: expected a mapping of system names "
                       "to lists of table patterns, found a list"):  # fmt: skip
        _map(tmp_path, "- crm\n")


def test_an_unquoted_star_gets_a_hint(tmp_path):
    with pytest.raises(
        SystemMapError, match=r"systems\.yaml:1: not valid YAML: .* \(quote patterns"
    ):
        _map(tmp_path, "crm: [*.contacts]\n")


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(SystemMapError, match="cannot read the system map"):
        read_system_map(tmp_path / "nope.yaml")


def test_from_dict_errors_say_system_map():
    with pytest.raises(SystemMapError, match=r"^system map: crm: pattern 3 is not text$"):
        SystemMap.from_dict({"crm": [3]})


# -- properties ------------------------------------------------------------------------

schemas = st.text(alphabet="abcxyz_", min_size=1, max_size=6)
# small alphabets, so that patterns often overlap
patterns = st.text(alphabet="ab.*?", min_size=1, max_size=4)
names = st.text(alphabet="abAB.c", max_size=6)


@given(st.dictionaries(schemas, schemas, min_size=1, max_size=6), st.randoms())
def test_a_table_matched_by_one_pattern_maps_to_its_system_in_any_order(tables, rng):
    entries = [(f"sys_{schema}", f"{schema}.*") for schema in tables]
    forward = SystemMap.from_dict(dict(entries))
    rng.shuffle(entries)
    shuffled = SystemMap.from_dict(dict(entries))
    for schema, table in tables.items():
        assert forward.system_for(f"{schema}.{table}") == f"sys_{schema}"
        assert shuffled.system_for(f"{schema}.{table}") == f"sys_{schema}"


def _literal(pattern: str) -> int:
    return sum(1 for char in pattern if char not in "*?")


def _expected(entries: list[tuple[str, str]], name: str) -> str | None:
    """The specification, by brute force with fnmatch."""
    matching = [(s, p) for s, p in entries if fnmatch.fnmatchcase(name.lower(), p.lower())]
    if not matching:
        return None
    best = max(_literal(p) for _, p in matching)
    (system,) = {s for s, p in matching if _literal(p) == best}
    return system


@settings(max_examples=300)
@given(
    st.lists(st.tuples(st.sampled_from("pqr"), patterns), min_size=1, max_size=5),
    st.lists(names, max_size=10),
    st.randoms(),
)
def test_results_follow_the_specification_and_not_the_order(entries, tables, rng):
    def build(items):
        grouped: dict[str, list[str]] = {}
        for system, pattern in items:
            grouped.setdefault(system, []).append(pattern)
        return SystemMap.from_dict(grouped)

    try:
        forward = build(entries)
    except SystemMapError:
        rng.shuffle(entries)
        with pytest.raises(SystemMapError):  # a tie is a tie in any order
            build(entries)
        return
    rng.shuffle(entries)
    shuffled = build(entries)
    for table in tables:
        expected = _expected(entries, table)
        assert forward.system_for(table) == shuffled.system_for(table) == expected


def _strings(alphabet: str, longest: int):
    for size in range(longest + 1):
        for chars in itertools.product(alphabet, repeat=size):
            yield "".join(chars)


@settings(max_examples=300)
@given(
    st.text(alphabet="ab.*?", min_size=1, max_size=3),
    st.text(alphabet="ab.*?", min_size=1, max_size=3),
)
def test_a_tie_is_reported_exactly_when_some_name_matches_both(first, second):
    # a name both match needs no more characters than the two patterns have: try them all
    both = any(
        fnmatch.fnmatchcase(name, first) and fnmatch.fnmatchcase(name, second)
        for name in _strings("ab.c", len(first) + len(second))
    )
    try:
        SystemMap.from_dict({"x": [first], "y": [second]})
        tie = False
    except SystemMapError:
        tie = True
    assert tie == (both and _literal(first) == _literal(second))


@settings(max_examples=500)
@given(st.text(alphabet="ab.*?[]!-", min_size=1, max_size=7), st.text(alphabet="ab.-]!c"))
def test_globs_match_like_fnmatch(pattern, name):
    assume(pattern.strip())
    systems = SystemMap.from_dict({"s": [pattern]})
    assert (systems.system_for(name) == "s") == fnmatch.fnmatchcase(name, pattern)
