"""Inventory ingest speed: a synthetic inventory of 10,000 integrations, parsed, checked
and loaded.

Method: a CSV inventory folder is written (500 systems, 10,000 integrations, each carrying
two fields, every 20th without an owner and every 50th red), then timed end to end on a
fresh Neo4j: ``read_inventory`` (parse, validate, aliases, duplicate detection, findings)
and ``load_source`` (one transaction). The same load is timed a second time with
``force=True`` (replace of the same source). Both are measured on a cold server (its very
first queries) and on a warm one (after ingesting and forgetting another inventory of the
same size, as a server in daily use has).

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
from graph.loader import forget_source, load_source
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
    results: dict = {"machine": machine_description(), "integrations": args.integrations}
    with tempfile.TemporaryDirectory(prefix="flowatlas-inventory-") as folder:
        inventory, other = Path(folder) / "inventory", Path(folder) / "warm-up"
        for path, seed in ((inventory, args.seed), (other, args.seed + 1)):
            path.mkdir()
            write_inventory(path, args.integrations, args.systems, seed)
        # Cold: the first queries a fresh server ever runs. Warm: after one other ingest.
        for label, warm_up in (("cold", None), ("warm", other)):
            with bench_server(Path(folder) / f"home-{label}", "4g", "2g") as (_, settings):
                results[label] = measure(inventory, settings, warm_up)
            _print(label, args.integrations, results[label])
    write_results("inventory", results)


def _print(label: str, integrations: int, result: dict) -> None:
    print(
        f"{label}: {integrations:,} integrations: read {result['read_seconds']} s + load "
        f"{result['load_seconds']} s = {result['total_seconds']} s "
        f"({result['elements']:,} elements, {result['rows_read']:,} rows); "
        f"forced reload {result['reload_seconds']} s",
        file=sys.stderr,
    )


def measure(folder: Path, settings, warm_up: Path | None = None) -> dict:
    with open_driver(settings) as driver:
        apply_migrations(driver)
        if warm_up is not None:  # a server that has served queries before, as in daily use
            warm = read_inventory(warm_up)
            load_source(driver, warm.source, warm.records)
            forget_source(driver, warm.source.key)
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
