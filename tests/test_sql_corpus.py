"""The hand-checked SQL lineage corpus: its shape, the scorer's arithmetic, and flowatlas's
accuracy on it. Fast: no Neo4j."""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter

import pytest

from ingest.sql_split import split_statements
from tests.benchmarks.sql_corpus import (
    CONSTRUCTS,
    DIALECTS,
    Case,
    Expected,
    describe_miss,
    flowatlas_lineage,
    load_corpus,
    norm,
    score,
)
from tests.conftest import FIXTURES


@functools.cache
def corpus() -> tuple[Case, ...]:
    return tuple(load_corpus())


@functools.cache
def held_out() -> tuple[Case, ...]:
    return tuple(load_corpus(FIXTURES / "sql_corpus_heldout"))


def test_the_corpus_is_large_and_covers_every_dialect_and_construct():
    cases = corpus()
    statements = sum(c.statements for c in cases)
    assert statements >= 300, statements
    by_dialect = Counter(c.dialect for c in cases)
    assert set(DIALECTS) <= set(by_dialect), set(DIALECTS) - set(by_dialect)
    tags = Counter(tag for c in cases for tag in c.tags)
    assert set(CONSTRUCTS) <= set(tags), set(CONSTRUCTS) - set(tags)


def test_case_ids_are_unique_across_both_sets():
    ids = Counter(c.id for c in (*corpus(), *held_out()))
    assert not [i for i, n in ids.items() if n > 1]


def test_the_held_out_set_covers_every_dialect():
    assert set(DIALECTS) <= {c.dialect for c in held_out()}


@pytest.mark.parametrize("case", corpus() + held_out(), ids=lambda c: c.id)
def test_each_case_expects_one_entry_per_statement(case: Case):
    assert len(split_statements(case.sql, case.sqlglot_dialect)) == case.statements


@pytest.mark.parametrize("case", corpus() + held_out(), ids=lambda c: c.id)
def test_expected_columns_and_filters_name_tables_of_their_statement(case: Case):
    # a typo in a table name would otherwise count against every tool alike, silently
    for i, e in enumerate(case.expect):
        tables = {norm(t) for t in (*e.targets, *e.sources)}
        named = [c for target, sources in e.columns for c in (target, *sources)]
        for column in [*named, *e.filters]:
            table = norm(column).rpartition(".")[0]
            assert not table or table in tables, f"statement {i}: {column} of no table it names"


# -- the scorer ----------------------------------------------------------------------------

TINY = Case(
    id="tiny",
    dialect="ansi",
    sql="INSERT INTO t (a, b) SELECT s.x, s.y FROM s WHERE s.z = 1",
    expect=(
        Expected(
            kind="insert",
            targets=("t",),
            sources=("s",),
            columns=(("t.a", ("s.x",)), ("t.b", ("s.y",))),
            filters=("s.z",),
        ),
    ),
)


def _answer(**changes) -> list[dict]:
    base = {
        "kind": "insert",
        "targets": ["T"],  # case-insensitive
        "sources": ["s"],
        "columns": [
            {"target": "t.a", "sources": ["S.X"]},
            {"target": "t.b", "sources": ["s.y"]},
        ],
        "filters": ["s.z"],
        "error": None,
    }
    return [{**base, **changes}]


def test_a_perfect_answer_scores_one_everywhere():
    report = score(lambda case: _answer(), [TINY])
    for metric in (report.tables, report.columns, report.filters):
        assert metric.fp == metric.fn == 0
        assert metric.precision == metric.recall == metric.f1 == 1.0
    assert (report.tables.tp, report.columns.tp, report.filters.tp) == (2, 2, 1)
    assert report.kinds_right == 1
    assert report.misses == []


def test_one_missing_fact_costs_recall_only():
    report = score(lambda case: _answer(columns=[{"target": "t.a", "sources": ["s.x"]}]), [TINY])
    assert (report.columns.tp, report.columns.fp, report.columns.fn) == (1, 0, 1)
    assert report.columns.precision == 1.0
    assert report.columns.recall == 0.5
    assert report.columns.f1 == pytest.approx(2 / 3)
    assert report.tables.f1 == 1.0
    [miss] = report.misses
    assert miss.missing["columns"] == [(0, "t.b", "s.y")]
    assert "t.b <- s.y" in describe_miss(miss)


def test_one_extra_fact_costs_precision_only():
    report = score(lambda case: _answer(sources=["s", "u"], filters=["s.z", "s.w"]), [TINY])
    assert (report.tables.tp, report.tables.fp, report.tables.fn) == (2, 1, 0)
    assert report.tables.precision == pytest.approx(2 / 3)
    assert report.tables.recall == 1.0
    assert report.tables.f1 == pytest.approx(0.8)
    assert report.filters.precision == 0.5
    assert report.filters.f1 == pytest.approx(2 / 3)
    [miss] = report.misses
    assert miss.extra["tables"] == [(0, "source", "u")]


def test_a_tool_that_raises_misses_every_fact():
    def broken(case):
        raise RuntimeError("boom")

    report = score(broken, [TINY])
    assert report.tables.tp == 0 and report.tables.fn == 2
    assert report.columns.recall == 0.0
    assert report.errors == 1
    assert "boom" in report.misses[0].errors[0]


def test_scores_are_kept_per_dialect_and_tag():
    tagged = dataclasses.replace(TINY, tags=("insert_columns",))
    report = score(lambda case: _answer(filters=[]), [tagged])
    assert report.by_dialect["ansi"]["filters"].recall == 0.0
    assert report.by_tag["insert_columns"]["columns"].f1 == 1.0


# -- flowatlas on the corpus ---------------------------------------------------------------


def test_flowatlas_is_accurate_on_the_corpus():
    report = score(flowatlas_lineage, corpus(), tool="flowatlas")
    wrong = "\n".join(describe_miss(r) for r in report.misses[:20])
    assert report.columns.f1 >= 0.98, wrong
    assert report.tables.f1 >= 0.995, wrong


def test_flowatlas_is_accurate_on_the_held_out_set():
    report = score(flowatlas_lineage, held_out(), tool="flowatlas")
    wrong = "\n".join(describe_miss(r) for r in report.misses[:20])
    assert report.columns.f1 >= 0.98, wrong
    assert report.tables.f1 >= 0.995, wrong
