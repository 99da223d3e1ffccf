"""docs/model.md must keep up with the code: every kind, property, value and migration."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from graph.schema import MIGRATIONS
from ingest.records import EdgeKind, FlowKind, Method, NodeKind, NodeRecord

MODEL_DOC = Path(__file__).resolve().parent.parent / "docs" / "model.md"
NODE_RECORDS = {record.KIND: record for record in NodeRecord.__subclasses__()}


@pytest.fixture(scope="module")
def doc() -> str:
    return MODEL_DOC.read_text(encoding="utf-8")


def mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def mermaid_diagram(text: str) -> str:
    match = re.search(r"```mermaid\n(.*?)```", text, re.DOTALL)
    assert match, "docs/model.md has no mermaid diagram"
    return match.group(1)


def section(text: str, title: str) -> str:
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"docs/model.md has no section {title!r}"
    return match.group(1)


@pytest.mark.parametrize("name", [kind.value for kind in NodeKind])
def test_node_kind_is_documented(doc, name):
    assert mentions(doc, name)


@pytest.mark.parametrize("name", [kind.value for kind in EdgeKind])
def test_edge_kind_is_documented(doc, name):
    assert mentions(doc, name)


@pytest.mark.parametrize("name", [migration.name for migration in MIGRATIONS])
def test_migration_is_documented(doc, name):
    assert mentions(doc, name)


@pytest.mark.parametrize("name", [kind.value for kind in (*NodeKind, *EdgeKind)])
def test_kind_is_drawn_in_the_diagram(doc, name):
    assert mentions(mermaid_diagram(doc), name)


def test_diagram_reads_left_to_right(doc):
    assert mermaid_diagram(doc).lstrip().startswith("graph LR")


@pytest.mark.parametrize("kind", list(NodeKind))
def test_node_properties_are_documented_under_their_kind(doc, kind):
    text = section(doc, kind.value)
    names = [f.name for f in fields(NODE_RECORDS[kind]) if f.name not in ("key", "provenance")]
    assert [name for name in names if f"`{name}`" not in text] == []


@pytest.mark.parametrize("value", [m.value for m in Method] + [k.value for k in FlowKind])
def test_provenance_method_and_flow_kind_values_are_documented(doc, value):
    assert f"`{value}`" in doc


def test_checks_catch_a_missing_name():
    assert not mentions("System -->|HAS_DATASET| Dataset", "HAS_FIELD")
    assert not mentions("field_key_unique_old", "field_key_unique")
    assert not mentions("Fields", "Field")
