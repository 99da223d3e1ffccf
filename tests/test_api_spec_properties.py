"""Property tests: generated and mutated OpenAPI / AsyncAPI specs never crash the readers.

Seeds are small real specs (``tests/fixtures/api``) and generated ones; mutations delete
keys, put values of the wrong type anywhere, break ``$ref``s (missing targets, URLs, paths
that leave the folder, malformed pointers), make ``$ref`` cycles, rename keys to awkward
text (braces, dots, ``$``, ``#``, non-ASCII) and cut the file short. Whatever comes out, a
reader either returns a spec whose counts reconcile and whose problems each name the file
and a JSON pointer into it, or refuses the file with a ``SpecFileError`` naming it. Any
other exception is a bug.

``tests/test_openapi.py`` already generates request and component schemas; these tests
cover whole documents, both readers, and damage anywhere in them.

Inputs these tests once found making the readers raise (a ``$ref`` through null or a list,
a blank caller or channel address, a channel ``$ref`` that is not text, a ``required`` list
holding mappings, a message name unescaped in a pointer) are kept as small fixtures in
``tests/fixtures/api/properties/known_bugs`` with a test each at the end.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.asyncapi import read_asyncapi
from ingest.openapi import METHODS, ApiSpec, read_openapi
from ingest.records import Dataset, Edge, EdgeKind, Endpoint, NodeRecord
from ingest.spec_files import SpecFileError
from tests.conftest import FIXTURES

API = FIXTURES / "api"
Reader = Callable[..., ApiSpec]
# name -> (reader, spec file, the folder of files it refers to)
SEEDS: dict[str, tuple[Reader, Path, Path | None]] = {
    "openapi": (read_openapi, API / "properties" / "orders.yaml", None),
    "openapi-multi-file": (read_openapi, API / "multi" / "spec.yaml", API / "multi" / "schemas"),
    "swagger": (read_openapi, API / "swagger.json", None),
    "asyncapi": (read_asyncapi, API / "properties" / "events.yaml", None),
    "asyncapi-2": (read_asyncapi, API / "events2.yaml", None),
    "asyncapi-3": (read_asyncapi, API / "events3.yaml", None),
}

# Values of the wrong type for wherever they land.
WRONG_VALUES = st.sampled_from(
    [None, 0, -1, 2.5, True, False, "", "text", "#/components", [], ["x"], [None], {}, {"x": 1}]
)
BROKEN_REFS = st.sampled_from(
    [
        "#/components/schemas/Nope",
        "#/definitions/Nope",
        "#/nope/~1deeper/~0x",
        "#/paths/~1orders/post/0",
        "#",
        "",
        "#nope",
        "#/components/schemas/Order/properties/nope",
        "missing.yaml#/X",
        "schemas/order.yaml#/Nope",
        "../outside.yaml#/X",
        "/etc/passwd",
        "https://example.com/schema.json",
        "file:///etc/passwd",
        "%zz",
        "#/~2bad",
    ]
)
# Keys renamed to awkward text, pointer syntax ("~", "/") included.
AWKWARD_KEYS = st.text(alphabet="ab01{}.[]*/~ é$#\u2028", min_size=1, max_size=8)
MUTATIONS = ("delete", "wrong type", "broken ref", "cycle", "rename")
POINTER = re.compile(r"#(/([^~/]|~[01])*)*")

KNOWN_BUG_FIXTURES = API / "properties" / "known_bugs"


# --- documents ---------------------------------------------------------------------------------


def locations(document: Any) -> list[tuple]:
    """Every place in the document, as the keys and indices that lead there."""
    found: list[tuple] = []

    def walk(node: Any, path: tuple) -> None:
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in children:
            found.append((*path, key))
            if isinstance(child, dict | list):
                walk(child, (*path, key))

    if isinstance(document, dict | list):
        walk(document, ())
    return found


def pointer_to(path: tuple) -> str:
    return "#" + "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def mutate(document: Any, kind: str, place: tuple, data: st.DataObject) -> Any:
    """``document`` with one mutation of ``kind`` at ``place`` (a copy)."""
    changed = copy.deepcopy(document)
    parent = changed
    for step in place[:-1]:
        parent = parent[step]
    last = place[-1]
    if kind == "delete":
        del parent[last]
    elif kind == "wrong type":
        parent[last] = data.draw(WRONG_VALUES, label="value")
    elif kind == "broken ref":
        parent[last] = {"$ref": data.draw(BROKEN_REFS, label="ref")}
    elif kind == "cycle":  # a $ref to this place or to one that holds it
        depth = data.draw(st.integers(0, len(place) - 1), label="ancestor")
        parent[last] = {"$ref": pointer_to(place[: depth + 1])}
    elif isinstance(parent, dict):  # rename
        parent[data.draw(AWKWARD_KEYS, label="key")] = parent.pop(last)
    return changed


def mutated(document: Any, data: st.DataObject) -> Any:
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        places = locations(document)
        if not places:
            break
        place = data.draw(st.sampled_from(places), label="place")
        document = mutate(
            document, data.draw(st.sampled_from(MUTATIONS), label="kind"), place, data
        )
    return document


# Generated documents: a few paths, operations and schemas of any shape.
NAMES = st.from_regex(r"[a-z][a-z_]{0,6}", fullmatch=True)
SCHEMAS = st.recursive(
    st.fixed_dictionaries({"type": st.sampled_from(["string", "integer", "number", "boolean"])}),
    lambda inner: st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("object"), "properties": st.dictionaries(NAMES, inner, max_size=3)}
        ),
        st.fixed_dictionaries({"type": st.just("array"), "items": inner}),
        st.fixed_dictionaries({"$ref": st.sampled_from(["#/components/schemas/A", "#/x"])}),
        st.fixed_dictionaries({"allOf": st.lists(inner, max_size=2)}),
        st.fixed_dictionaries({"oneOf": st.lists(inner, max_size=2)}),
    ),
    max_leaves=8,
)
CONTENT = SCHEMAS.map(lambda schema: {"application/json": {"schema": schema}})
OPERATIONS = st.fixed_dictionaries(
    {
        "parameters": st.lists(
            st.fixed_dictionaries(
                {
                    "name": NAMES,
                    "in": st.sampled_from(["query", "path", "header"]),
                    "schema": SCHEMAS,
                }
            ),
            max_size=2,
        ),
        "requestBody": CONTENT.map(lambda content: {"content": content}),
        "responses": st.dictionaries(
            st.sampled_from(["200", "201", "404", "default"]),
            CONTENT.map(lambda content: {"description": "r", "content": content}),
            max_size=2,
        ),
    }
)
OPENAPI_DOCUMENTS = st.fixed_dictionaries(
    {
        "openapi": st.sampled_from(["3.0.3", "3.1.0"]),
        "info": st.just({"title": "generated", "version": "1"}),
        "paths": st.dictionaries(
            NAMES.map(lambda name: f"/{name}"),
            st.dictionaries(st.sampled_from(METHODS), OPERATIONS, min_size=1, max_size=2),
            max_size=3,
        ),
        "components": st.fixed_dictionaries({"schemas": st.fixed_dictionaries({"A": SCHEMAS})}),
    }
)
CHANNELS = st.dictionaries(
    NAMES,
    st.fixed_dictionaries(
        {
            "address": NAMES,
            "messages": st.dictionaries(NAMES, SCHEMAS.map(lambda s: {"payload": s}), max_size=2),
        }
    ),
    min_size=1,
    max_size=3,
)
ASYNCAPI_DOCUMENTS = CHANNELS.flatmap(
    lambda channels: st.fixed_dictionaries(
        {
            "asyncapi": st.just("3.0.0"),
            "info": st.just({"title": "generated", "version": "1"}),
            "x-flowatlas-broker": st.just("kafka"),
            "channels": st.just(channels),
            "operations": st.dictionaries(
                NAMES,
                st.fixed_dictionaries(
                    {
                        "action": st.sampled_from(["send", "receive", "shout"]),
                        "channel": st.sampled_from(sorted(channels)).map(
                            lambda name: {"$ref": f"#/channels/{name}"}
                        ),
                    }
                ),
                max_size=3,
            ),
            "components": st.fixed_dictionaries({"schemas": st.fixed_dictionaries({"A": SCHEMAS})}),
        }
    )
)


def seed(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- the properties ------------------------------------------------------------------------------


def read_written(reader: Reader, document: Any, extra: Path | None) -> tuple[Path, ApiSpec | None]:
    """Write ``document`` (with the folder of files it references) and read it: the spec,
    or ``None`` when the reader refused the file, with a reason naming it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "spec.json")
        path.write_text(json.dumps(document), encoding="utf-8")
        if extra is not None:
            shutil.copytree(extra, Path(folder, extra.name))
        try:
            return path, reader(path)
        except SpecFileError as error:
            assert str(path) in str(error) or "$ref" in str(error), str(error)
            return path, None


def check_reconciles(spec: ApiSpec) -> None:
    summary = spec.info.summary
    assert summary["read"] == summary["accepted"] + summary["rejected"]
    assert summary["accepted"] >= 0 and summary["rejected"] >= 0
    assert summary["read"] == spec.operations and summary["rejected"] == spec.rejected
    # every rejected operation is reported, and so is every warning
    assert len(spec.problems) == summary["rejected"] + summary["warnings"]


def check_problems_name_file_and_pointer(spec: ApiSpec, path: Path) -> None:
    folder = path.parent.resolve()
    for problem in spec.problems:
        assert Path(problem.file).resolve().is_relative_to(folder), str(problem)
        assert POINTER.fullmatch(problem.pointer), str(problem)
        assert problem.reason.strip(), str(problem)


def check_records_are_consistent(spec: ApiSpec) -> None:
    nodes = [r for r in spec.records if isinstance(r, NodeRecord)]
    keys = [r.key for r in nodes]
    assert len(keys) == len(set(keys))
    known = set(keys)
    for edge in (r for r in spec.records if isinstance(r, Edge)):
        if edge.kind is not EdgeKind.FLOWS_TO:  # structure never points at nothing
            assert {edge.start.key, edge.end.key} <= known, edge


def check_openapi(spec: ApiSpec) -> None:
    endpoints = [r for r in spec.records if isinstance(r, Endpoint)]
    assert len(endpoints) == spec.info.summary["accepted"]


def check_asyncapi(spec: ApiSpec) -> None:
    for dataset in (r for r in spec.records if isinstance(r, Dataset)):
        assert dataset.system, dataset


def check(reader: Reader, document: Any, extra: Path | None = None) -> None:
    path, spec = read_written(reader, document, extra)
    if spec is None:
        return
    check_reconciles(spec)
    check_problems_name_file_and_pointer(spec, path)
    check_records_are_consistent(spec)
    (check_openapi if reader is read_openapi else check_asyncapi)(spec)


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_specs_read_cleanly(name: str) -> None:
    reader, path, extra = SEEDS[name]
    check(reader, seed(path), extra)


@pytest.mark.parametrize("name", sorted(SEEDS))
@PROPERTY_SETTINGS
@given(data=st.data())
def test_mutated_specs_read_with_problems_or_are_refused(name: str, data: st.DataObject) -> None:
    reader, path, extra = SEEDS[name]
    check(reader, mutated(seed(path), data), extra)


@pytest.mark.parametrize("reader", [read_openapi, read_asyncapi])
@PROPERTY_SETTINGS
@given(data=st.data())
def test_generated_then_mutated_specs_never_crash(reader: Reader, data: st.DataObject) -> None:
    documents = OPENAPI_DOCUMENTS if reader is read_openapi else ASYNCAPI_DOCUMENTS
    document = data.draw(documents, label="document")
    check(reader, document)
    check(reader, mutated(document, data))


@pytest.mark.parametrize(
    ("reader", "path"),
    [
        (read_openapi, API / "properties" / "orders.yaml"),
        (read_asyncapi, API / "properties" / "events.yaml"),
    ],
)
@PROPERTY_SETTINGS
@given(cut=st.floats(0.0, 1.0))
def test_a_file_cut_short_reads_or_is_refused(reader: Reader, path: Path, cut: float) -> None:
    text = path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        short = Path(folder, path.name)
        short.write_text(text[: int(len(text) * cut)], encoding="utf-8")
        try:
            spec = reader(short)
        except SpecFileError as error:
            assert str(short) in str(error)
            return
    check_reconciles(spec)


def test_a_cycle_through_refs_is_finite() -> None:
    document = seed(API / "properties" / "orders.yaml")
    schemas = document["components"]["schemas"]
    schemas["Line"] = {"$ref": "#/components/schemas/Order"}
    schemas["Order"] = {"allOf": [{"$ref": "#/components/schemas/Line"}]}
    schemas["Address"] = {"$ref": "#/components/schemas/Address"}
    check(read_openapi, document)


# --- inputs that once made a reader raise -------------------------------------------------


def test_a_ref_through_a_null_member_is_a_problem() -> None:
    spec = read_openapi(KNOWN_BUG_FIXTURES / "ref-through-null.yaml")
    assert "cannot be resolved" in str(spec.problems[0])


def test_a_ref_through_a_list_is_a_problem() -> None:
    spec = read_openapi(KNOWN_BUG_FIXTURES / "ref-through-list.yaml")
    assert "cannot be resolved" in str(spec.problems[0])


def test_a_caller_without_a_name_is_a_problem() -> None:
    spec = read_openapi(KNOWN_BUG_FIXTURES / "blank-consumer.yaml")
    assert spec.problems and spec.info.summary["accepted"] == 1


def test_a_channel_without_an_address_is_a_problem() -> None:
    spec = read_asyncapi(KNOWN_BUG_FIXTURES / "blank-address.yaml")
    assert spec.problems[0].pointer == "#/channels/placed"


def test_an_operation_with_a_null_channel_ref_is_rejected() -> None:
    spec = read_asyncapi(KNOWN_BUG_FIXTURES / "null-channel-ref.yaml")
    assert (spec.info.summary["rejected"], spec.problems[0].pointer) == (1, "#/operations/announce")


def test_a_required_list_of_mappings_is_a_problem() -> None:
    spec = read_openapi(KNOWN_BUG_FIXTURES / "required-not-names.yaml")
    assert spec.info.summary["accepted"] == 1


def test_a_message_name_is_escaped_in_pointers() -> None:
    spec = read_asyncapi(KNOWN_BUG_FIXTURES / "unescaped-pointer.yaml")
    assert [p.pointer for p in spec.problems] == ["#/channels/placed/messages/v1~0draft/payload"]
