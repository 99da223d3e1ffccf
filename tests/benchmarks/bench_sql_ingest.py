"""SQL ingest speed: 20,000 generated warehouse statements parsed and loaded into Neo4j.

Method: a warehouse of four layers (raw, staging, core, marts) of tables with eight to
twelve columns is generated with its DDL, then statements that build each layer from the one
below: INSERT ... SELECT with a join, a filter and an aggregate, CREATE TABLE AS with a CTE,
views, MERGE and UPDATE ... FROM, 50 statements per file. ``read_sql`` (split, parse,
qualify, trace every column, build records; both cores) and ``load_source``
are timed end to end on a fresh Neo4j. The folder is one source, loaded in one transaction.

Run with ``make bench`` or ``python -m tests.benchmarks.bench_sql_ingest``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from graph.connection import open_driver
from graph.loader import load_source
from graph.schema import apply_migrations
from ingest.sql_lineage import sql_files, summary
from ingest.sql_records import read_sql
from tests.benchmarks.common import bench_server, machine_description, write_results

LAYERS = ("raw", "staging", "core", "marts")
PER_FILE = 50


def write_warehouse(folder: Path, statements: int, tables_per_layer: int, seed: int) -> None:
    rng = random.Random(seed)
    tables = {
        layer: {
            f"{layer}.t{i:04d}": [f"c{j}" for j in range(rng.randint(8, 12))]
            for i in range(tables_per_layer)
        }
        for layer in LAYERS
    }
    ddl = [
        f"CREATE TABLE {name} (id BIGINT, {', '.join(f'{c} VARCHAR(100)' for c in cols)});"
        for layer in LAYERS
        for name, cols in tables[layer].items()
    ]
    (folder / "000_ddl.sql").write_text("\n".join(ddl), encoding="utf-8")
    body = [_statement(rng, tables, index) for index in range(statements - len(ddl))]
    for start in range(0, len(body), PER_FILE):
        path = folder / f"job_{start // PER_FILE:05d}.sql"
        path.write_text("\n\n".join(body[start : start + PER_FILE]), encoding="utf-8")


def _statement(rng: random.Random, tables: dict, index: int) -> str:
    level = rng.randrange(1, len(LAYERS))
    target, target_cols = rng.choice(list(tables[LAYERS[level]].items()))
    (a, a_cols), (b, b_cols) = rng.sample(list(tables[LAYERS[level - 1]].items()), 2)
    width = min(len(target_cols), len(a_cols), len(b_cols)) - 2
    picked = target_cols[:width]
    kind = index % 10
    if kind < 5:
        select = ", ".join(
            f"UPPER(x.{a_cols[i]})" if i % 3 == 0 else f"y.{b_cols[i]}" for i in range(width)
        )
        return (
            f"-- job {index}\nINSERT INTO {target} ({', '.join(picked)})\n"
            f"SELECT {select}\nFROM {a} AS x\nJOIN {b} AS y ON y.id = x.id\n"
            f"WHERE x.{a_cols[-1]} IS NOT NULL;"
        )
    if kind < 7:
        return (
            f"CREATE TABLE {target}_{index} AS\nWITH base AS (\n"
            f"  SELECT x.id, {', '.join(f'x.{c}' for c in a_cols[:width])}\n  FROM {a} AS x\n"
            f"  WHERE x.{a_cols[-1]} <> ''\n)\n"
            f"SELECT base.id, {', '.join(f'MAX(base.{c}) AS {c}' for c in a_cols[:width])}\n"
            f"FROM base GROUP BY base.id;"
        )
    if kind < 8:
        return (
            f"CREATE OR REPLACE VIEW {target}_v{index} AS\n"
            f"SELECT * FROM {a} AS x WHERE x.{a_cols[0]} IS NOT NULL;"
        )
    if kind < 9:
        sets = ", ".join(f"{c} = s.{a_cols[i]}" for i, c in enumerate(picked[:4]))
        return (
            f"MERGE INTO {target} AS t\nUSING {a} AS s ON t.id = s.id\n"
            f"WHEN MATCHED THEN UPDATE SET {sets}\n"
            f"WHEN NOT MATCHED THEN INSERT (id, {picked[0]}) VALUES (s.id, s.{a_cols[0]});"
        )
    return (
        f"UPDATE {target} SET {picked[0]} = s.{a_cols[0]}, {picked[1]} = COALESCE(s.{a_cols[1]}, "
        f"{target}.{picked[1]})\nFROM {a} AS s WHERE {target}.id = s.id;"
    )


def measure(folder: Path, settings, workers: int) -> dict:
    with open_driver(settings) as driver:
        apply_migrations(driver)
        started = time.perf_counter()
        run = read_sql([folder], dialect="postgres", workers=workers)
        parsed = time.perf_counter()
        elements = sum(load_source(driver, s.info, s.records).elements for s in run.sources)
        loaded = time.perf_counter()
    counts = summary(run.statements)
    return {
        "files": len(sql_files([folder])),
        "sources": len(run.sources),
        "statements": counts["statements"],
        "failed": counts["failed"],
        "warnings": counts["warnings"],
        "elements": elements,
        "workers": workers,
        "parse_seconds": round(parsed - started, 2),
        "load_seconds": round(loaded - parsed, 2),
        "total_seconds": round(loaded - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=20_000)
    parser.add_argument("--tables-per-layer", type=int, default=250)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flowatlas-sql-") as folder:
        scripts = Path(folder) / "warehouse"
        scripts.mkdir()
        write_warehouse(scripts, args.statements, args.tables_per_layer, args.seed)
        with bench_server(Path(folder) / "home", "4g", "2g") as (_, settings):
            result = measure(scripts, settings, args.workers)
    print(
        f"{result['statements']:,} statements in {result['files']} files "
        f"({result['failed']} failed): parse {result['parse_seconds']} s + load "
        f"{result['load_seconds']} s = {result['total_seconds']} s; "
        f"{result['elements']:,} elements",
        file=sys.stderr,
    )
    write_results("sql_ingest", {"machine": machine_description(), **result})


if __name__ == "__main__":
    main()
