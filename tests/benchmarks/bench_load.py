"""Load throughput of the synthetic estate, against a naive one-transaction-per-row loader.

Method: a private Neo4j (explicit heap and page cache) is started for the run. For each
size, the graph is emptied, the schema applied and the whole estate loaded with
``graph.loader.load_source`` (one transaction per source, batched UNWIND ... MERGE), in a
child process so that its peak RSS belongs to that size alone. Elements = nodes +
relationships written (Source bookkeeping nodes excluded). The naive loader writes a
prefix of the same records, each record in its own auto-commit transaction, into an
empty graph, and its rate is compared with the batched rate at the same size.

Run with ``make bench`` (all benchmarks) or ``python -m tests.benchmarks.bench_load``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from neo4j import Driver

from graph.connection import open_driver
from graph.loader import load_source
from graph.local_server import LocalServer
from graph.schema import apply_migrations
from graph.settings import Settings
from graph.stats import graph_counts
from ingest.records import Edge, NodeRecord
from ingest.synthetic import synthetic_estate
from tests.benchmarks.common import (
    bench_server,
    machine_description,
    neo4j_memory,
    settings_from_json,
    write_results,
)

SIZES = (100_000, 1_000_000)
NAIVE_RECORDS = 5_000


@dataclass
class LoadResult:
    fields: int
    sources: int
    elements: int
    nodes: int
    relationships: int
    seconds: float
    elements_per_second: float
    python_peak_rss_mb: float


def clear(driver: Driver) -> None:
    with driver.session() as session:  # CALL IN TRANSACTIONS needs an implicit transaction
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS"
        ).consume()


def load_estate(settings: Settings, fields: int, seed: int) -> LoadResult:
    """Runs in a child process (see main)."""
    with open_driver(settings) as driver:
        clear(driver)
        apply_migrations(driver)
        started = time.perf_counter()
        sources = elements = 0
        for source in synthetic_estate(fields, seed):
            report = load_source(driver, source.info, source.records())
            sources += 1
            elements += report.elements
        seconds = time.perf_counter() - started
        counts = graph_counts(driver)
    nodes = counts.node_total - counts.nodes.get("Source", 0)
    return LoadResult(
        fields=fields,
        sources=sources,
        elements=nodes + counts.relationship_total,
        nodes=nodes,
        relationships=counts.relationship_total,
        seconds=round(seconds, 2),
        elements_per_second=round((nodes + counts.relationship_total) / seconds),
        python_peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    )


def naive_load(settings: Settings, fields: int, seed: int, limit: int) -> dict:
    """One auto-commit transaction per record: what a straightforward script does."""
    with open_driver(settings) as driver:
        clear(driver)
        apply_migrations(driver)
        records = itertools.islice(
            (r for s in synthetic_estate(fields, seed) for r in s.records()), limit
        )
        started = time.perf_counter()
        written = 0
        for record in records:
            statement, params = _single_row(record)
            driver.execute_query(statement, params, source="naive")
            written += 1
        seconds = time.perf_counter() - started
    return {
        "records": written,
        "seconds": round(seconds, 2),
        "elements_per_second": round(written / seconds),
    }


# The straightforward statements a script writes record by record: MERGE the node (or the
# edge with its ends) and append the provenance, each in its own transaction.
NAIVE_NODE = """
MERGE (n:{label} {{key: $key}})
SET n += $props, n.sources = coalesce(n.sources, []) + $source,
    n.methods = coalesce(n.methods, []) + $method,
    n.confidences = coalesce(n.confidences, []) + $confidence, n.confidence = $confidence
"""
NAIVE_EDGE = """
MERGE (a:{start} {{key: $start}})
MERGE (b:{end} {{key: $end}})
MERGE (a)-[r:{type} {{key: $key}}]->(b)
SET r += $props, r.sources = coalesce(r.sources, []) + $source,
    r.methods = coalesce(r.methods, []) + $method,
    r.confidences = coalesce(r.confidences, []) + $confidence, r.confidence = $confidence
"""


def _single_row(record: NodeRecord | Edge) -> tuple[str, dict]:
    provenance = {
        "method": record.provenance.method.value,
        "confidence": record.provenance.confidence,
    }
    if isinstance(record, NodeRecord):
        params = {"key": record.key, "props": record.properties(), **provenance}
        return NAIVE_NODE.format(label=record.KIND.value), params
    statement = NAIVE_EDGE.format(
        type=record.kind.value, start=record.start.kind.value, end=record.end.kind.value
    )
    params = {"start": record.start.key, "end": record.end.key, "key": record.key}
    return statement, params | {"props": record.properties(), **provenance}


def _child(mode: str, settings: Settings, fields: int, seed: int) -> dict:
    """Run one measurement in a fresh interpreter so peak RSS is that measurement's own."""
    payload = json.dumps(
        {"settings": asdict(settings) | {"local": None}, "fields": fields, "seed": seed}
    )
    output = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_load", "--child", mode, payload],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


@contextmanager
def fresh_server(args: argparse.Namespace) -> Iterator[tuple[LocalServer, Settings]]:
    with (
        tempfile.TemporaryDirectory(prefix="flowatlas-bench-") as home,
        bench_server(Path(home), args.heap, args.pagecache) as started,
    ):
        yield started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--naive-records", type=int, default=NAIVE_RECORDS)
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="2g")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PAYLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        mode, payload = args.child
        data = json.loads(payload)
        settings = settings_from_json(data["settings"])
        if mode == "load":
            print(json.dumps(asdict(load_estate(settings, data["fields"], data["seed"]))))
        else:
            print(
                json.dumps(
                    naive_load(settings, data["fields"], data["seed"], int(mode.split(":")[1]))
                )
            )
        return

    results: dict = {
        "machine": machine_description(),
        "heap": args.heap,
        "pagecache": args.pagecache,
    }
    # A fresh server per measurement, so each heap peak belongs to that measurement.
    with fresh_server(args) as (server, settings):
        naive = _child(f"naive:{args.naive_records}", settings, min(args.sizes), args.seed)
    results["naive"] = naive
    print(f"naive loader: {naive['elements_per_second']:,} elements/s", file=sys.stderr)
    results["loads"] = []
    for size in args.sizes:
        with fresh_server(args) as (server, settings):
            loaded = _child("load", settings, size, args.seed) | neo4j_memory(server, settings)
        loaded["speedup_vs_naive"] = round(
            loaded["elements_per_second"] / naive["elements_per_second"], 1
        )
        results["loads"].append(loaded)
        print(
            f"{size:>9,} fields: {loaded['elements']:,} elements in {loaded['seconds']} s = "
            f"{loaded['elements_per_second']:,}/s ({loaded['speedup_vs_naive']}x naive), "
            f"python peak {loaded['python_peak_rss_mb']} MB, neo4j heap peak "
            f"{loaded['neo4j_heap_peak_mb']} MB of {args.heap}",
            file=sys.stderr,
        )
    write_results("load", results)


if __name__ == "__main__":
    main()
