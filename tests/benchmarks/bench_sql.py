"""SQL lineage accuracy and speed: flowatlas against sqllineage on the hand-checked corpus.

Method:

- Accuracy: every case of ``tests/fixtures/sql_corpus`` is run through flowatlas
  (``lineage_of_text`` on the whole case, with its schema) and through sqllineage 1.5.x
  (default sqlfluff parser, the case's dialect, one ``LineageRunner`` per statement split as
  flowatlas splits, the case's schema as a ``DummyMetaDataProvider``). Both answers become
  facts scored by ``tests.benchmarks.sql_corpus``: table P/R/F1 over (statement, role,
  table), column P/R/F1 over (statement, target column, source column) value edges, filter
  P/R/F1 over (statement, filter column); names compared case-insensitively, sqllineage's
  ``<default>.`` prefix dropped. sqllineage has no filter lineage and no statement kinds.
  A statement sqllineage raises on has all its facts missed (the error is recorded).
  The engine was developed against that corpus, so both tools are also scored the same way
  on ``tests/fixtures/sql_corpus_heldout``: 80 cases written from the SQL alone, without
  running the engine, and not used to tune it.
- Throughput: the corpus statements (split per statement) repeated to at least
  ``--statements`` (5,000): sqlglot parse only (``parse_one``), flowatlas full column lineage
  (``lineage_of_text`` per statement) on one core and on every core (a ``fork`` Pool over
  chunks of the list, pool start-up included), and sqllineage with column lineage
  (``LineageRunner(...).get_column_lineage()``) on as many statements of the same list
  (cycled) as fit in ``--sqllineage-seconds`` (120). Each tool warms up on 50 statements first.

Run with ``python -m tests.benchmarks.bench_sql``; results go to ``bench-results/sql.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import multiprocessing
import os
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import sqlglot
import sqlglot.parser

from ingest.sql_lineage import lineage_of_text
from ingest.sql_split import split_statements
from tests.benchmarks.common import machine_description
from tests.benchmarks.sql_corpus import (
    METRICS,
    Case,
    Report,
    describe_miss,
    flowatlas_lineage,
    load_corpus,
    score,
)

RESULTS = Path(__file__).resolve().parents[2] / "bench-results"
HELD_OUT = Path(__file__).resolve().parents[1] / "fixtures" / "sql_corpus_heldout"

# flowatlas's (sqlglot's) dialect names -> sqllineage's (sqlfluff's)
SQLLINEAGE_DIALECTS = {
    "ansi": "ansi",
    "postgres": "postgres",
    "mysql": "mysql",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "redshift": "redshift",
    "spark": "sparksql",
    "hive": "hive",
    "databricks": "databricks",
    "tsql": "tsql",
    "oracle": "oracle",
    "duckdb": "duckdb",
}


# -- sqllineage as a lineage function --------------------------------------------------------


def sqllineage_lineage(case: Case) -> list[dict]:
    """sqllineage's answer for one case, one dict per statement (shaped like
    ``StatementLineage.as_dict()``)."""
    return [
        sqllineage_statement(text, case.dialect, case.schema)
        for _, text in split_statements(case.sql, case.sqlglot_dialect)
    ]


def sqllineage_statement(text: str, dialect: str, schema: dict | None = None) -> dict:
    from sqllineage.core.metadata.dummy import DummyMetaDataProvider
    from sqllineage.runner import LineageRunner

    metadata = DummyMetaDataProvider({name: list(cols) for name, cols in (schema or {}).items()})
    answer = {"kind": None, "targets": [], "sources": [], "columns": [], "filters": []}
    try:
        runner = LineageRunner(
            text,
            dialect=SQLLINEAGE_DIALECTS.get(dialect, "ansi"),
            metadata_provider=metadata,
            silent_mode=True,
        )
        answer["targets"] = [_plain(t) for t in runner.target_tables]
        answer["sources"] = [_plain(t) for t in runner.source_tables]
        edges: dict[str, set[str]] = {}
        for path in runner.get_column_lineage():
            edges.setdefault(_plain(path[-1]), set()).add(_plain(path[0]))
    except Exception as e:  # its failures are what is measured
        answer["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
        return answer
    answer["columns"] = [{"target": t, "sources": sorted(s)} for t, s in edges.items()]
    answer["error"] = None
    return answer


def _plain(node) -> str:
    name = str(node)
    return name.removeprefix("<default>.")


# -- throughput --------------------------------------------------------------------------------


def workload(cases: list[Case], at_least: int) -> list[tuple[str | None, dict | None, str]]:
    """(sqlglot dialect, schema, statement) of every statement, repeated to ``at_least``."""
    once = [
        (case.sqlglot_dialect, case.schema, text)
        for case in cases
        for _, text in split_statements(case.sql, case.sqlglot_dialect)
    ]
    repeats = -(-at_least // len(once))
    return (once * repeats)[: max(at_least, len(once))]


def parse_only(work) -> int:
    failed = 0
    for dialect, _, text in work:
        try:
            sqlglot.parse_one(text, read=dialect)
        except Exception:
            failed += 1
    return failed


def flowatlas_chunk(work) -> int:
    """Full column lineage of each statement; the number that came back with an error."""
    failed = 0
    for dialect, schema, text in work:
        failed += sum(1 for r in lineage_of_text(text, dialect=dialect, schema=schema) if r.error)
    return failed


def flowatlas_parallel(work, workers: int) -> int:
    size = max(1, len(work) // (workers * 8))
    chunks = [work[i : i + size] for i in range(0, len(work), size)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return sum(pool.map(flowatlas_chunk, chunks))


def sqllineage_timed(work, dialects: dict, seconds: float) -> tuple[int, int, float]:
    """Statements done, errors, elapsed: as many as fit in ``seconds`` (the list repeated as
    often as needed)."""
    from sqllineage.runner import LineageRunner

    done = failed = 0
    started = time.perf_counter()
    for dialect, _, text in itertools.cycle(work):
        if time.perf_counter() - started >= seconds:
            break
        try:
            LineageRunner(text, dialect=dialects[dialect], silent_mode=True).get_column_lineage()
        except Exception:
            failed += 1
        done += 1
    return done, failed, time.perf_counter() - started


def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def throughput(cases: list[Case], at_least: int, workers: int, sqllineage_seconds: float) -> dict:
    work = workload(cases, at_least)
    by_sqlglot_name = {c.sqlglot_dialect: SQLLINEAGE_DIALECTS[c.dialect] for c in cases}
    warm = work[:50]
    parse_only(warm)
    flowatlas_chunk(warm)
    sqllineage_timed(warm, by_sqlglot_name, 30)

    parse_s, parse_failed = timed(parse_only, work)
    one_s, one_failed = timed(flowatlas_chunk, work)
    many_s, many_failed = timed(flowatlas_parallel, work, workers)
    sl_done, sl_failed, sl_s = sqllineage_timed(work, by_sqlglot_name, sqllineage_seconds)
    n = len(work)
    flowatlas_rate = n / one_s
    sqllineage_rate = sl_done / sl_s if sl_s else 0.0
    return {
        "statements": n,
        "distinct_statements": sum(len(split_statements(c.sql, c.sqlglot_dialect)) for c in cases),
        "sqlglot_parse": {
            "seconds": round(parse_s, 2),
            "per_second": round(n / parse_s, 1),
            "failed": parse_failed,
        },
        "flowatlas_1_core": {
            "seconds": round(one_s, 2),
            "per_second": round(flowatlas_rate, 1),
            "failed": one_failed,
        },
        f"flowatlas_{workers}_cores": {
            "seconds": round(many_s, 2),
            "per_second": round(n / many_s, 1),
            "failed": many_failed,
            "workers": workers,
        },
        "sqllineage": {
            "statements": sl_done,
            "seconds": round(sl_s, 2),
            "per_second": round(sqllineage_rate, 2),
            "failed": sl_failed,
        },
        "flowatlas_1_core_vs_sqllineage": (
            round(flowatlas_rate / sqllineage_rate, 1) if sqllineage_rate else None
        ),
        f"flowatlas_{workers}_cores_vs_sqllineage": (
            round(n / many_s / sqllineage_rate, 1) if sqllineage_rate else None
        ),
    }


# -- report ------------------------------------------------------------------------------------


def machine() -> dict:
    """The shared machine description, plus the versions this benchmark depends on."""
    return machine_description() | {
        "sqlglot": sqlglot.__version__,
        "sqlglot_compiled": sqlglot.parser.__file__.endswith(".so"),
        "sqllineage": version("sqllineage"),
        "sqlfluff": version("sqlfluff"),
    }


def accuracy_table(reports: list[Report]) -> str:
    head = f"{'':12}" + "".join(f"{m + ' P/R/F1':>24}" for m in METRICS) + f"{'errors':>8}"
    lines = [head]
    for r in reports:
        cells = "".join(
            f"{r.score(m).precision:>8.3f}{r.score(m).recall:>8.3f}{r.score(m).f1:>8.3f}"
            for m in METRICS
        )
        lines.append(f"{r.tool:12}{cells}{r.errors:>8}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sqllineage-seconds", type=float, default=120.0)
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # sqlglot's and sqlfluff's warnings would flood the run
    warnings.simplefilter("ignore")

    cases = load_corpus()
    statements = sum(c.statements for c in cases)
    by_dialect: dict[str, int] = {}
    for c in cases:
        by_dialect[c.dialect] = by_dialect.get(c.dialect, 0) + c.statements
    print(
        f"corpus: {len(cases)} cases, {statements} statements, {len(by_dialect)} dialects",
        file=sys.stderr,
    )

    started = time.perf_counter()
    flowatlas = score(flowatlas_lineage, cases, tool="flowatlas")
    print(f"flowatlas scored in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    started = time.perf_counter()
    sqllineage = score(sqllineage_lineage, cases, tool="sqllineage")
    print(f"sqllineage scored in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    print()
    print(accuracy_table([flowatlas, sqllineage]))
    print(f"flowatlas statement kinds right: {flowatlas.kinds_right}/{flowatlas.statements}")
    print(f"flowatlas: {len(flowatlas.misses)} of {flowatlas.cases} cases not perfect")
    for miss in flowatlas.misses:
        print(describe_miss(miss))

    # Cases written after the engine was tuned, by reading the SQL only: the honest measure
    held_out_cases = load_corpus(HELD_OUT)
    held_out = [
        score(flowatlas_lineage, held_out_cases, tool="flowatlas"),
        score(sqllineage_lineage, held_out_cases, tool="sqllineage"),
    ]
    print(f"\nheld-out set: {len(held_out_cases)} cases")
    print(accuracy_table(held_out))
    for miss in held_out[0].misses:
        print(describe_miss(miss))

    speed = None
    if not args.skip_throughput:
        speed = throughput(cases, args.statements, args.workers, args.sqllineage_seconds)
        print()
        print(
            f"throughput on {speed['statements']:,} statements "
            f"({speed['distinct_statements']} distinct), sqlglot compiled: "
            f"{sqlglot.parser.__file__.endswith('.so')}"
        )
        for key, row in speed.items():
            if isinstance(row, dict):
                print(
                    f"  {key:22} {row['per_second']:>10,.1f} statements/s "
                    f"({row.get('statements', speed['statements']):,} in {row['seconds']} s, "
                    f"{row['failed']} failed)"
                )
        print(f"  flowatlas (1 core) / sqllineage: {speed['flowatlas_1_core_vs_sqllineage']}x")
        both = speed[f"flowatlas_{args.workers}_cores_vs_sqllineage"]
        print(f"  flowatlas ({args.workers} cores) / sqllineage: {both}x")

    results = {
        "machine": machine(),
        "data": {
            "cases": len(cases),
            "statements": statements,
            "statements_by_dialect": dict(sorted(by_dialect.items())),
            "corpus": "tests/fixtures/sql_corpus/*.yaml",
        },
        "method": __doc__.split("Method:", 1)[1].split("Run with", 1)[0].strip(),
        "accuracy": {"flowatlas": flowatlas.summary(), "sqllineage": sqllineage.summary()},
        "held_out": {
            "corpus": "tests/fixtures/sql_corpus_heldout/*.yaml",
            "cases": len(held_out_cases),
            "statements": sum(c.statements for c in held_out_cases),
            "flowatlas": held_out[0].summary(),
            "sqllineage": held_out[1].summary(),
            "flowatlas_misses": [describe_miss(m) for m in held_out[0].misses],
        },
        "throughput": speed,
        "flowatlas_misses": [describe_miss(m) for m in flowatlas.misses],
        "sqllineage_errors": {r.id: r.errors for r in sqllineage.results if r.errors},
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "sql.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
