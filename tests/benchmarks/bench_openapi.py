"""API spec ingest speed and memory: a synthetic spec the size and shape of GitHub's REST
API description (~13 MB of JSON, ~1,000 operations, ~900 schemas), and 2x and 4x of it.

Data: see ``generate_spec``. Long descriptions and examples (as real specs carry), shared
parameter, example, response and header components, responses and request bodies that
refer to schemas or are written in place, schemas with nested objects, arrays, maps,
``allOf`` extensions, polymorphic ``oneOf``, Stripe's expandable ``anyOf`` fields, deep
``anyOf``/``oneOf`` with inline objects, and reference cycles (self-references too).

Method: for every scale and run a fresh Neo4j. In a child process (so its peak RSS is its
own) ``read_openapi`` is timed in two parts, parse (reading and decoding the file) and
extract (resolving references, flattening schemas, detecting PII), then ``load_source``.
That is the cold measurement (the server's first queries); a second child repeats it on the
same server (warm). Medians over ``--runs`` runs are reported; raw runs go to
``bench-results/openapi.json``.

Run with ``make bench`` or ``python -m tests.benchmarks.bench_openapi``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from queue import Empty

from graph.connection import open_driver
from graph.loader import forget_source, load_source
from graph.schema import apply_migrations
from ingest import spec_files
from ingest.openapi import read_openapi
from tests.benchmarks.common import (
    bench_server,
    machine_description,
    neo4j_memory,
    settings_from_json,
    write_results,
)

WORDS = [
    "the", "customer", "order", "shipment", "payment", "invoice", "account", "address",
    "repository", "issue", "pull", "request", "review", "comment", "team", "member",
    "organisation", "webhook", "delivery", "event", "token", "scope", "returns", "a", "list",
    "of", "resources", "with", "pagination", "links", "and", "rate", "limit", "headers", "for",
    "the", "authenticated", "user", "when", "the", "caller", "has", "read", "access",
    "otherwise", "not", "found", "is", "returned", "this", "endpoint", "lists", "every",
    "object", "that", "belongs", "to", "an", "owner", "sorted", "by", "creation", "date",
    "deprecated", "use", "instead", "see", "documentation", "field", "value", "must", "be",
    "one", "at", "most", "characters"
]  # fmt: skip
FIELD_NAMES = [
    "id", "node_id", "name", "full_name", "email", "login", "url", "html_url", "api_url",
    "created_at", "updated_at", "closed_at", "state", "title", "body", "description", "phone",
    "street", "city", "postcode", "country", "amount", "currency", "status", "type", "size",
    "sha", "ref", "label", "color", "private", "visibility", "default_branch", "ip_address",
    "device_id", "birth_date", "owner", "author", "committer", "assignee", "avatar_url",
    "gravatar_id", "company", "location", "bio", "followers", "following", "permissions",
    "topics", "language", "forks", "watchers", "open_issues", "archived", "disabled",
    "homepage", "metadata", "livemode", "object", "balance", "quantity", "unit_amount",
    "tax_rate", "discount", "coupon", "expires_at", "last_login"
]  # fmt: skip
RESOURCES = [
    "repos", "orgs", "users", "teams", "issues", "pulls", "gists", "projects", "packages",
    "actions", "checks", "commits", "customers", "invoices", "charges", "subscriptions",
    "payment_methods", "refunds", "accounts", "members"
]  # fmt: skip
FORMATS = ("date-time", "uri", "email", "uuid", "int64", None, None, None, None, None)


def generate_spec(operations: int, schemas: int, seed: int) -> dict:
    """A spec of ``operations`` operations and ``schemas`` component schemas, shaped like
    GitHub's REST description (shared parameters and examples, inline request bodies,
    responses by ``$ref``) with Stripe's expandable ``anyOf`` fields and reference cycles.
    About 14 MB of compact JSON per 1,000 operations and 900 schemas."""
    rng = random.Random(seed)
    names = [f"schema-{i:04d}" for i in range(schemas)]
    examples = [f"example-{i:04d}" for i in range(operations)]
    params = [f"param-{i:03d}" for i in range(max(1, operations // 4))]
    components = {
        "schemas": {name: _schema(rng, names, name) for name in names},
        "parameters": {name: _parameter(rng) for name in params},
        "examples": {name: {"summary": _text(rng, 6), "value": _example(rng, 2)}
                     for name in examples},
        "responses": {
            status: {"description": _text(rng, 8), "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{names[i]}"}}}}
            for i, status in enumerate(("not_found", "forbidden", "validation_failed"))
        },
        "headers": {"link": {"schema": {"type": "string"}, "example": _text(rng, 12)}},
    }  # fmt: skip
    paths: dict = {}
    for i in range(operations):
        # about 1.5 operations per path, as in GitHub's description
        group = i * 2 // 3
        route = f"/{RESOURCES[group % len(RESOURCES)]}/{{owner}}/items{group}"
        if group % 5:
            route += f"/{RESOURCES[group * 7 % len(RESOURCES)]}/{{id}}"
        item = paths.setdefault(route, {})
        if "{id}" in route:
            item["parameters"] = [{"name": "id", "in": "path", "required": True,
                                   "schema": {"type": "integer"}}]  # fmt: skip
        method = ["get", "post", "patch", "delete"][i % 4]
        item[method] = _operation(rng, names, params, examples, i, method)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Synthetic platform API", "version": "1.0.0",
                 "description": _text(rng, 400)},
        "servers": [{"url": "https://api.example.com"}],
        "security": [{"bearer": []}],
        "tags": [{"name": name, "description": _text(rng, 30)} for name in RESOURCES],
        "paths": paths,
        "components": components,
    }  # fmt: skip


def _operation(rng, names, params, examples, index: int, method: str) -> dict:
    schema = _ref(rng, names)
    op = {
        "operationId": f"op-{index}",
        "summary": _text(rng, rng.randint(4, 10)),
        "description": _text(rng, rng.randint(30, 160)),
        "tags": [rng.choice(RESOURCES)],
        "externalDocs": {"description": "API method documentation",
                         "url": f"https://docs.example.com/rest/op-{index}"},
        "parameters": [{"$ref": f"#/components/parameters/{rng.choice(params)}"}
                       for _ in range(rng.randint(1, 5))],
        "responses": {
            "200": {
                "description": _text(rng, 4),
                "headers": {"Link": {"$ref": "#/components/headers/link"}},
                "content": {"application/json": {
                    "schema": {"type": "array", "items": schema} if index % 3 == 0 else schema,
                    "examples": {"default": {"$ref": f"#/components/examples/{examples[index]}"}},
                }},
            },
            "403": {"$ref": "#/components/responses/forbidden"},
            "404": {"$ref": "#/components/responses/not_found"},
        },
        "x-github": {"githubCloudOnly": False, "enabledForGitHubApps": True,
                     "category": rng.choice(RESOURCES)},
    }  # fmt: skip
    if method in ("post", "patch"):
        op["responses"]["422"] = {"$ref": "#/components/responses/validation_failed"}
        if rng.random() < 0.6:  # written in place, as GitHub does
            body = {"type": "object", "properties": {
                name: _property(rng, names, 1) for name in _field_names(rng, 3, 12)}}  # fmt: skip
        else:
            body = _ref(rng, names)
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": body, "examples": {"default": {"value": _example(rng, 1)}}}}}  # fmt: skip
    return op


def _parameter(rng: random.Random) -> dict:
    name = rng.choice(["per_page", "page", "since", "before", "direction", "sort", "state",
                       "email", "customer", "owner", "repo", "org", "username", "q"])  # fmt: skip
    where = "header" if name == "email" else rng.choice(["query", "query", "path"])
    schema: dict = {"type": rng.choice(["string", "integer"])}
    if rng.random() < 0.3:
        schema = {"type": "string", "enum": ["asc", "desc", "created", "updated"],
                  "default": "created"}  # fmt: skip
    return {"name": name, "in": where, "required": where == "path",
            "description": _text(rng, rng.randint(10, 40)), "schema": schema}  # fmt: skip


def _schema(rng: random.Random, names: list[str], own: str) -> dict:
    count = rng.randint(40, 80) if rng.random() < 0.05 else rng.randint(6, 24)
    properties = {name: _property(rng, names, 0) for name in _field_names(rng, count, count)}
    if rng.random() < 0.05:  # a direct self-reference
        properties["parent"] = {"$ref": f"#/components/schemas/{own}"}
    schema = {
        "title": own,
        "description": _text(rng, rng.randint(20, 80)),
        "type": "object",
        "properties": properties,
        "required": rng.sample(list(properties), min(3, len(properties))),
    }
    roll = rng.random()
    if roll < 0.25:  # an extension of another schema
        schema = {"allOf": [_ref(rng, names), schema]}
    elif roll < 0.3:  # polymorphic: one of several schemas
        schema = {"oneOf": [_ref(rng, names) for _ in range(rng.randint(2, 4))],
                  "discriminator": {"propertyName": "type"}}  # fmt: skip
    return schema


def _property(rng: random.Random, names: list[str], depth: int) -> dict:
    roll = rng.random()
    if roll < 0.06:  # a reference: with hundreds of schemas, cycles are certain
        return _ref(rng, names)
    if roll < 0.09:
        return {"type": "array", "items": _ref(rng, names)}
    if roll < 0.14:  # Stripe's expandable field: an id, or the object it names
        return {"anyOf": [{"type": "string", "maxLength": 5000}, _ref(rng, names)],
                "description": _text(rng, rng.randint(5, 20)),
                "x-expansionResources": {"oneOf": [_ref(rng, names)]}}  # fmt: skip
    if roll < 0.17:  # GitHub's nullable reference
        return {"nullable": True, "allOf": [_ref(rng, names)]}
    if roll < 0.21 and depth < 3:
        nested = {name: _property(rng, names, depth + 1) for name in _field_names(rng, 2, 6)}
        return {"type": "object", "description": _text(rng, 10), "properties": nested}
    if roll < 0.24 and depth < 3:  # deep anyOf/oneOf with an inline object inside
        nested = {name: _property(rng, names, depth + 1) for name in _field_names(rng, 2, 5)}
        inner = {"type": "object", "properties": nested}
        deep = {"oneOf": [{"type": "integer"}, inner, _ref(rng, names)]}
        return {"anyOf": [{"type": "string"}, {"type": "null"}, deep]}
    if roll < 0.26:
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if roll < 0.3:
        return {"type": "array", "items": {"type": "string"}, "description": _text(rng, 8)}
    kind = rng.choice(["string", "string", "integer", "boolean"])
    prop: dict = {"type": kind, "description": _text(rng, rng.randint(3, 45))}
    fmt = rng.choice(FORMATS) if kind == "string" else None
    if fmt:
        prop["format"] = fmt
    if kind == "string" and rng.random() < 0.1:
        prop["enum"] = rng.sample(WORDS, 4)
    if rng.random() < 0.2:
        prop["nullable"] = True
    prop["example"] = rng.choice(WORDS) if kind == "string" else rng.randint(0, 10_000)
    return prop


def _ref(rng: random.Random, names: list[str]) -> dict:
    return {"$ref": f"#/components/schemas/{rng.choice(names)}"}


def _field_names(rng: random.Random, low: int, high: int) -> list[str]:
    return rng.sample(FIELD_NAMES, min(rng.randint(low, high), len(FIELD_NAMES)))


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, k=words))


def _example(rng: random.Random, depth: int) -> dict:
    value: dict = {name: _text(rng, rng.randint(1, 6)) for name in _field_names(rng, 10, 30)}
    if depth:
        value["owner"] = _example(rng, depth - 1)
        value["items"] = [_example(rng, depth - 1) for _ in range(rng.randint(0, 2))]
    return value


def _child(path: str, settings_json: dict, queue) -> None:
    """Read and load one spec, timing parse (read the file, decode the JSON), extract (the
    rest of ``read_openapi``: references, flattening, PII) and load; then forget it."""
    parsing = [0.0]

    def timed(function):
        def wrapper(*args, **kwargs):
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parsing[0] += time.perf_counter() - began

        return wrapper

    spec_files.read_limited = timed(spec_files.read_limited)
    spec_files.parse_document = timed(spec_files.parse_document)
    started = time.perf_counter()
    spec = read_openapi(Path(path))
    read = time.perf_counter()
    with open_driver(settings_from_json(settings_json)) as driver:
        report = load_source(driver, spec.info, spec.records)
        loaded = time.perf_counter()
        forget_source(driver, spec.info.key)
    queue.put({
        "operations": spec.operations,
        "datasets": spec.info.summary["schemas"],
        "records": len(spec.records),
        "elements": report.elements,
        "problems": len(spec.problems),
        "parse_seconds": parsing[0],
        "extract_seconds": read - started - parsing[0],
        "load_seconds": loaded - read,
        "total_seconds": loaded - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,2,4", help="multiples of the 1x spec")
    parser.add_argument("--runs", type=int, default=3, help="runs per scale (median reported)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    results: dict = {"machine": machine_description(), "method": METHOD, "scales": []}
    with tempfile.TemporaryDirectory(prefix="flowatlas-openapi-") as folder:
        for scale in map(int, args.scales.split(",")):
            path = Path(folder) / f"spec-{scale}x.json"
            spec = generate_spec(1000 * scale, 900 * scale, args.seed)
            path.write_text(json.dumps(spec))
            runs = [_run(path, Path(folder) / f"home-{scale}-{i}") for i in range(args.runs)]
            summary = _summary(scale, path, runs)
            summary["component_schemas"] = len(spec["components"]["schemas"])
            results["scales"].append(summary)
            print(f"{scale}x: {json.dumps({k: v for k, v in summary.items() if k != 'runs'})}",
                  file=sys.stderr)  # fmt: skip
    write_results("openapi", results)


METHOD = (
    "Per run a fresh Neo4j (heap 4g, page cache 2g). Cold: a child process reads the spec "
    "and loads it into that server's empty graph (its first queries), then forgets it. "
    "Warm: a second child reads and loads the same spec again on the same server. "
    "parse = reading and decoding the file; extract = the rest of read_openapi; "
    "load = load_source (one transaction); peak_rss_mb = the cold child's ru_maxrss; "
    "neo4j_*_peak_mb = the server's heap pools' peak use and VmHWM over both loads."
)


def _run(path: Path, home: Path) -> dict:
    with bench_server(home, "4g", "2g") as (server, settings):
        with open_driver(settings) as driver:
            apply_migrations(driver)
        cold = _measure(path, settings)
        warm = _measure(path, settings)
        memory = neo4j_memory(server, settings)
    return {"cold": cold, "warm": warm, "neo4j": memory}


def _summary(scale: int, path: Path, runs: list[dict]) -> dict:
    megabytes = path.stat().st_size / 1e6
    cold = [run["cold"] for run in runs]
    warm = [run["warm"] for run in runs]

    def middle(values: list[dict], name: str) -> float:
        return round(statistics.median(v[name] for v in values), 2)

    summary: dict = {"scale": scale, "megabytes": round(megabytes, 1)}
    summary |= {name: cold[0][name] for name in ("operations", "datasets", "records", "problems")}
    for name in ("parse_seconds", "extract_seconds"):
        summary[name] = middle(cold + warm, name)
    for label, values in (("cold", cold), ("warm", warm)):
        summary[f"{label}_load_seconds"] = middle(values, "load_seconds")
        summary[f"{label}_total_seconds"] = middle(values, "total_seconds")
        summary[f"{label}_seconds_per_mb"] = round(middle(values, "total_seconds") / megabytes, 3)
    summary["peak_rss_mb"] = round(statistics.median(v["peak_rss_mb"] for v in cold))
    for name in ("neo4j_heap_peak_mb", "neo4j_rss_peak_mb"):
        summary[name] = statistics.median(run["neo4j"][name] or 0 for run in runs)
    summary["runs"] = [
        {label: {k: round(v, 2) for k, v in run[label].items()} for label in ("cold", "warm")}
        | {"neo4j": run["neo4j"]}
        for run in runs
    ]
    return summary


def _measure(path: Path, settings) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(str(path), asdict(settings), queue))
    child.start()
    while True:
        try:
            result = queue.get(timeout=5)
            break
        except Empty:
            if not child.is_alive():
                message = f"the benchmark child failed (exit code {child.exitcode})"
                raise RuntimeError(message) from None
    child.join()
    return result


if __name__ == "__main__":
    main()
