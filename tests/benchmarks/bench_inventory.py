"""Inventory ingest speed: a synthetic inventory of 10,000 integrations, parsed, checked
and loaded.

Method: a CSV inventory folder is written (500 systems, 10,000 integrations, each carrying
two fields, every 20th without an owner and every 50th red), then timed end to end on a
fresh Neo4j: ``read_inventory`` (parse, validate, aliases, duplicate detection, findings)
and ``load_source`` (one transaction). The same load is timed a second time with
``force=True`` (retract + rewrite of the same source) to show the replace path.

Run with ``make bench`` or ``python -m tests.benchmarks.bench_inventory``.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

from graph.connection import open_driver
from graph.loader import load_source
from graph.schema import apply_migrations
from ingest.inventory import read_inventory
from tests.benchmarks.common import bench_server, machine_description, write_results

INTEGRATION_COLUMNS = (
    "id", "name", "source_system", "target_system", "direction", "frequency", "transport",
    "owner", "status", "classification", "monitoring", "fields", "last_reviewed",
)  # fmt: skip


def write_inventory(folder: Path, integrations: int, systems: int, seed: int) -> None:
    rng = random.Random(seed)
    names = [f"system {index:04d}" for index in range(systems)]
    with open(folder / "systems.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "kind", "owner", "holds_personal_data", "erasure_method"])
        for name in names:
            writer.writerow([name, "service", f"team-{rng.randrange(40)}", "yes", "api"])
    with open(folder / "integrations.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(INTEGRATION_COLUMNS)
        for index in range(integrations):
            writer.writerow(_integration_row(index, names, rng))


def _integration_row(index: int, names: list[str], rng: random.Random) -> list[str]:
    source, target = rng.sample(names, 2)
    slug_s, slug_t = source.replace(" ", "-"), target.replace(" ", "-")
    fields = "; ".join(
        f"{slug_s}.table{index % 7}.col{n} -> {slug_t}.table{index % 5}.col{n}" for n in range(2)
    )
    return [
        f"INT-{index:05d}", f"flow {index}", source, target, "one-way",
        rng.choice(["real-time", "hourly", "nightly"]), rng.choice(["https", "sftp", "kafka:t"]),
        "" if index % 20 == 0 else f"owner-{index % 90}", "red" if index % 50 == 0 else "green",
        "internal", "yes", fields, "2026-06-01",
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=10_000)
    parser.add_argument("--systems", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flowatlas-inventory-") as folder:
        write_inventory(Path(folder), args.integrations, args.systems, args.seed)
        with bench_server(Path(folder) / "home", "4g", "2g") as (_, settings):
            results = measure(Path(folder), settings)
    results |= {"machine": machine_description(), "integrations": args.integrations}
    print(
        f"{args.integrations:,} integrations: read {results['read_seconds']} s + load "
        f"{results['load_seconds']} s = {results['total_seconds']} s "
        f"({results['elements']:,} elements, {results['rows_read']:,} rows); "
        f"forced reload {results['reload_seconds']} s",
        file=sys.stderr,
    )
    write_results("inventory", results)


def measure(folder: Path, settings) -> dict:
    with open_driver(settings) as driver:
        apply_migrations(driver)
        started = time.perf_counter()
        result = read_inventory(folder)
        read_done = time.perf_counter()
        report = load_source(driver, result.source, result.records)
        loaded = time.perf_counter()
        load_source(driver, result.source, result.records, force=True)
        reloaded = time.perf_counter()
    return {
        "rows_read": result.report.rows_read,
        "rejected": result.report.rejected,
        "findings": len(result.findings),
        "elements": report.elements,
        "read_seconds": round(read_done - started, 2),
        "load_seconds": round(loaded - read_done, 2),
        "total_seconds": round(loaded - started, 2),
        "reload_seconds": round(reloaded - loaded, 2),
    }


if __name__ == "__main__":
    main()
