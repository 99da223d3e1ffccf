"""API spec ingest speed and memory: a synthetic spec the size and shape of GitHub's REST
API description (~13 MB of JSON, ~1,000 operations, ~900 schemas), and 2x and 4x of it.

Method: a spec is generated with long descriptions and examples (as real specs carry),
shared parameter components, request bodies and responses that refer to schemas, schemas
with nested objects, arrays, maps, ``allOf`` and deep ``anyOf``/``oneOf`` and reference
cycles (as Stripe's has). In a child process (so its peak RSS is its own): ``read_openapi``
(parse, resolve references, flatten schemas, detect PII) then ``load_source`` into a fresh
Neo4j, each timed. Peak memory is the child's ``ru_maxrss``.

Run with ``make bench`` or ``python -m tests.benchmarks.bench_openapi``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from graph.connection import open_driver
from graph.loader import forget_source, load_source
from graph.schema import apply_migrations
from ingest.openapi import read_openapi
from tests.benchmarks.common import bench_server, machine_description, write_results

WORDS = [
    "the",
    "customer",
    "order",
    "shipment",
    "payment",
    "invoice",
    "account",
    "address",
    "repository",
    "issue",
    "pull",
    "request",
    "review",
    "comment",
    "team",
    "member",
    "organisation",
    "webhook",
    "delivery",
    "event",
    "token",
    "scope",
    "returns",
    "a",
    "list",
    "of",
    "resources",
    "with",
    "pagination",
    "links",
    "and",
    "rate",
    "limit",
    "headers",
    "for",
    "the",
    "authenticated",
    "user",
    "when",
    "the",
    "caller",
    "has",
    "read",
    "access",
    "otherwise",
    "not",
    "found",
    "is",
    "returned",
]
FIELD_NAMES = [
    "id",
    "node_id",
    "name",
    "full_name",
    "email",
    "login",
    "url",
    "html_url",
    "created_at",
    "updated_at",
    "state",
    "title",
    "body",
    "description",
    "phone",
    "street",
    "city",
    "postcode",
    "country",
    "amount",
    "currency",
    "status",
    "type",
    "size",
    "sha",
    "ref",
    "label",
    "color",
    "private",
    "visibility",
    "default_branch",
    "ip_address",
    "device_id",
    "birth_date",
]


def generate_spec(operations: int, schemas: int, seed: int) -> dict:
    rng = random.Random(seed)
    names = [f"Schema{i:04d}" for i in range(schemas)]
    components = {name: _schema(rng, names, depth=0) for name in names}
    parameters = {
        f"param{i}": {"name": f"p{i}", "in": rng.choice(["query", "header", "path"]),
                      "required": True, "description": _text(rng, 30), "schema": {"type": "string"}}
        for i in range(60)
    }  # fmt: skip
    paths: dict = {}
    for i in range(operations):
        route = f"/resources{i % 250}/{{id}}/items{i // 250}"
        method = ["get", "post", "patch", "delete"][i % 4]
        paths.setdefault(route, {})[method] = _operation(rng, names, i)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Synthetic platform API",
            "version": "1.0.0",
            "description": _text(rng, 400),
        },
        "paths": paths,
        "components": {"schemas": components, "parameters": parameters},
    }


def _operation(rng: random.Random, names: list[str], index: int) -> dict:
    ref = {"$ref": f"#/components/schemas/{rng.choice(names)}"}
    op = {
        "operationId": f"op{index}",
        "summary": _text(rng, 8),
        "description": _text(rng, 200),
        "tags": [rng.choice(WORDS)],
        "parameters": [
            {"$ref": f"#/components/parameters/param{rng.randrange(60)}"}
            for _ in range(rng.randint(1, 4))
        ],
        "responses": {
            "200": {
                "description": _text(rng, 10),
                "content": {
                    "application/json": {
                        "schema": {"type": "array", "items": ref} if index % 3 == 0 else ref,
                        "examples": {"default": {"value": _example(rng)}},
                    }
                },
            },
            "404": {"description": "not found"},
        },
    }
    if index % 4 in (1, 2):
        op["requestBody"] = {"content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{rng.choice(names)}"}}}}  # fmt: skip
    return op


def _schema(rng: random.Random, names: list[str], depth: int) -> dict:
    properties = {}
    for name in rng.sample(FIELD_NAMES, rng.randint(8, 20)):
        properties[name] = _property(rng, names, depth)
    schema = {"type": "object", "description": _text(rng, 150), "properties": properties}
    if depth == 0 and rng.random() < 0.3:
        schema = {"allOf": [{"$ref": f"#/components/schemas/{rng.choice(names)}"}, schema]}
    return schema


def _property(rng: random.Random, names: list[str], depth: int) -> dict:
    roll = rng.random()
    if roll < 0.08:  # a reference: with 900 schemas, cycles are certain
        return {"$ref": f"#/components/schemas/{rng.choice(names)}"}
    if roll < 0.12 and depth < 2:
        return {"type": "object", "properties": {n: {"type": "string"}
                                                 for n in rng.sample(FIELD_NAMES, 4)}}  # fmt: skip
    if roll < 0.15:
        return {"type": "array", "items": {"$ref": f"#/components/schemas/{rng.choice(names)}"}}
    if roll < 0.18 and depth < 2:
        deep = {"oneOf": [{"type": "integer"}, _schema(rng, names, depth + 1)]}
        return {"anyOf": [{"type": "string"}, {"type": "null"}, deep]}
    if roll < 0.2:
        return {"type": "object", "additionalProperties": {"type": "string"}}
    return {"type": rng.choice(["string", "integer", "boolean"]), "description": _text(rng, 80),
            "example": rng.choice(WORDS)}  # fmt: skip


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _example(rng: random.Random) -> dict:
    return {name: _text(rng, 3) for name in rng.sample(FIELD_NAMES, 10)}


def _child(path: str, settings_json: dict, queue) -> None:
    from tests.benchmarks.common import settings_from_json

    started = time.perf_counter()
    spec = read_openapi(Path(path))
    parsed = time.perf_counter()
    with open_driver(settings_from_json(settings_json)) as driver:
        apply_migrations(driver)
        report = load_source(driver, spec.info, spec.records)
        loaded = time.perf_counter()
        forget_source(driver, spec.info.key)
    queue.put({
        "operations": spec.operations,
        "records": len(spec.records),
        "elements": report.elements,
        "problems": len(spec.problems),
        "parse_seconds": round(parsed - started, 2),
        "load_seconds": round(loaded - parsed, 2),
        "total_seconds": round(loaded - started, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    results: dict = {"machine": machine_description(), "runs": []}
    with (
        tempfile.TemporaryDirectory(prefix="flowatlas-openapi-") as folder,
        bench_server(Path(folder) / "home", "4g", "2g") as (_, settings),
    ):
        for scale in map(int, args.scales.split(",")):
            path = Path(folder) / f"spec-{scale}x.json"
            path.write_text(json.dumps(generate_spec(1000 * scale, 900 * scale, args.seed)))
            run = {"scale": scale, "megabytes": round(path.stat().st_size / 1e6, 1)}
            run |= _measure(path, settings)
            results["runs"].append(run)
            print(f"{scale}x: {run}", file=sys.stderr)
    write_results("openapi", results)


def _measure(path: Path, settings) -> dict:
    from dataclasses import asdict

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(str(path), asdict(settings), queue))
    child.start()
    result = queue.get()
    child.join()
    return result


if __name__ == "__main__":
    main()
