"""JSON Schemas of API specs as datasets and fields, without dereferencing them.

Every schema a ``$ref`` points to becomes one dataset (``Order``), flattened once into
fields with JSON-path-like names (``customer.email``, ``items[].sku``, ``metadata.*``). A
property that refers to another schema does not copy it: the field ``USES`` that schema's
dataset, and ``allOf``/``oneOf``/``anyOf`` parts that refer to one make the dataset use it.
Recursive schemas are therefore finite, and a large spec costs what it holds, not the
30-100x of full dereferencing. Inline schemas (a request body written in place) become a
dataset of their own, named after the operation.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote, urldefrag

from ingest.pii import classification_for, detect_pii
from ingest.records import (
    Classification,
    Dataset,
    DatasetKind,
    Edge,
    EdgeKind,
    Field,
    Method,
    NodeRecord,
    Provenance,
    System,
    contains,
    dataset_key,
    field_key,
    ref,
)
from ingest.spec_files import SpecDocuments, SpecFileError

PARSED = Provenance(Method.PARSED, 1.0)
MAX_INLINE_DEPTH = 32
_CLASSIFICATIONS = {c.value for c in Classification}


@dataclass
class Problem:
    file: str
    pointer: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}{self.pointer}: {self.reason}"


@dataclass
class SchemaGraph:
    """Records of one spec's schemas, written into shared dictionaries."""

    docs: SpecDocuments
    system: System
    dataset_kind: DatasetKind = DatasetKind.API_RESOURCE
    nodes: dict[str, NodeRecord] = field(default_factory=dict)
    edges: dict[tuple, Edge] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _by_uri: dict[str, Dataset] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)  # dataset name -> uri
    _fields: dict[str, dict[str, None]] = field(default_factory=dict)  # dataset -> field keys
    _queue: deque = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.nodes[self.system.key] = self.system

    # -- datasets ------------------------------------------------------------------------

    def referenced(self, ref_text: str, base_uri: str, where: str) -> Dataset | None:
        """The dataset of the schema ``ref_text`` points to, flattened once (later)."""
        try:
            uri, target = self.docs.resolve(ref_text, base_uri)
        except SpecFileError as e:
            self.problem(base_uri, where, str(e))
            return None
        if uri not in self._by_uri:
            dataset = self._dataset(self._name_for(uri))
            self._by_uri[uri] = dataset
            self._queue.append((dataset, target, urldefrag(uri)[0], urldefrag(uri)[1] or "/"))
        return self._by_uri[uri]

    def inline(self, name: str, schema: object, base_uri: str, where: str) -> Dataset | None:
        """A schema written in place: its own dataset, unless it is only a ``$ref``."""
        if not isinstance(schema, dict):
            self.problem(base_uri, where, "schema is not an object")
            return None
        if "$ref" in schema and isinstance(schema["$ref"], str):
            return self.referenced(schema["$ref"], base_uri, where)
        dataset = self._dataset(name)
        self.walk(dataset, schema, "", base_uri, where, 0)
        return dataset

    def drain(self) -> None:
        """Flatten every referenced schema, each once, breadth first (cycle-safe)."""
        while self._queue:
            dataset, schema, base_uri, fragment = self._queue.popleft()
            self.walk(dataset, schema, "", base_uri, "#" + fragment, 0)

    # -- one schema ------------------------------------------------------------------------

    def walk(self, dataset: Dataset, schema, prefix: str, base: str, where: str, depth: int):
        if not isinstance(schema, dict):
            if schema not in (True, False, None):
                self.problem(base, where, "schema is not an object")
            return
        if depth > MAX_INLINE_DEPTH:
            self.problem(base, where, f"inline schema nested deeper than {MAX_INLINE_DEPTH}")
            return
        if isinstance(schema.get("$ref"), str):
            self._uses(dataset, prefix, schema["$ref"], base, where)
            return
        for keyword in ("allOf", "oneOf", "anyOf"):
            for i, part in enumerate(_list(schema.get(keyword))):
                self.walk(dataset, part, prefix, base, f"{where}/{keyword}/{i}", depth + 1)
        required = {name for name in _list(schema.get("required")) if isinstance(name, str)}
        properties = schema.get("properties")
        for name, sub in properties.items() if isinstance(properties, dict) else ():
            path = f"{prefix}{name}"
            here = f"{where}/properties/{_escape(name)}"
            self._field(dataset, path, sub, name in required, base, here)
            self._descend(dataset, sub, path, base, here, depth)
        items = schema.get("items")
        if isinstance(items, dict) and not prefix and schema.get("type") == "array":
            self.walk(dataset, items, "[].", base, f"{where}/items", depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            path = f"{prefix}*"
            self._field(dataset, path, extra, False, base, f"{where}/additionalProperties")
            self._descend(dataset, extra, path, base, f"{where}/additionalProperties", depth)

    def _descend(self, dataset, sub, path, base, where, depth) -> None:
        if not isinstance(sub, dict) or _ref_of(sub):
            return  # a referenced schema (or an array of one) is used, not copied
        if isinstance(sub.get("items"), dict):
            self.walk(dataset, sub["items"], f"{path}[].", base, f"{where}/items", depth + 1)
        rest = {k: v for k, v in sub.items() if k != "items"}
        self.walk(dataset, rest, f"{path}.", base, where, depth + 1)

    def _field(self, dataset: Dataset, path: str, schema, required: bool, base, where) -> Field:
        schema = schema if isinstance(schema, dict) else {}
        target = _ref_of(schema)
        used = self.referenced(target, base, where) if target else None
        kind = schema.get("type")
        type_ = used.name if used is not None and kind != "array" else _type_text(kind)
        if kind == "array" and used is not None:
            type_ = f"array of {used.name}"
        explicit = schema.get("x-pii")
        match = detect_pii(
            path,
            type=type_,
            format=_text(schema.get("format")),
            description=_text(schema.get("description")),
            explicit=explicit,
            context=dataset.name,
        )
        record = Field(
            field_key(dataset.key, path),
            name=path,
            dataset=dataset.key,
            type=type_,
            format=_text(schema.get("format")),
            description=_text(schema.get("description")),
            required=True if required else None,
            enum=tuple(str(v) for v in schema["enum"])
            if isinstance(schema.get("enum"), list)
            else None,
            pii_category=match.category if match else None,
            pii_confidence=match.confidence if match else None,
            pii_evidence=match.evidence if match else None,
            classification=_classification(schema, match),
            provenance=PARSED,
        )
        self.nodes[record.key] = record
        self._fields.setdefault(dataset.key, {})[record.key] = None
        self.edge(contains(dataset, record, PARSED))
        if used is not None:
            self.edge(Edge(EdgeKind.USES, ref(record), ref(used), provenance=PARSED))
        return record

    def _uses(self, dataset: Dataset, prefix: str, ref_text: str, base: str, where: str) -> None:
        used = self.referenced(ref_text, base, where)
        if used is None or used.key == dataset.key:
            return
        if prefix:  # items of an array at the top: the dataset's elements are that schema
            edge = Edge(EdgeKind.USES, ref(dataset), ref(used), key="items", provenance=PARSED)
            self.edge(edge)
            return
        self.edge(Edge(EdgeKind.USES, ref(dataset), ref(used), provenance=PARSED))

    # -- helpers ---------------------------------------------------------------------------

    def _dataset(self, name: str) -> Dataset:
        key = dataset_key(self.system.key, name)
        if key not in self.nodes:
            self.nodes[key] = Dataset(
                key, name=name, system=self.system.key, kind=self.dataset_kind, provenance=PARSED
            )
            self.edge(contains(self.system, self.nodes[key], PARSED))
        return self.nodes[key]

    def fields_of(self, dataset: Dataset) -> list[Field]:
        """The fields written so far into ``dataset``."""
        found = (self.nodes[key] for key in self._fields.get(dataset.key, ()))
        return [f for f in found if getattr(f, "dataset", None) == dataset.key]

    def _name_for(self, uri: str) -> str:
        document, fragment = urldefrag(uri)
        parts = [unquote(p).replace("~1", "/").replace("~0", "~") for p in fragment.split("/") if p]
        name = parts[-1] if parts else PurePosixPath(unquote(document)).stem
        if self._names.setdefault(name, uri) != uri:  # same name, another schema
            name = f"{PurePosixPath(unquote(document)).stem}.{'.'.join(parts) or name}"
            self._names.setdefault(name, uri)
        return name

    def edge(self, edge: Edge) -> None:
        self.edges.setdefault((edge.kind, edge.start, edge.end, edge.key), edge)

    def problem(self, base_uri: str, where: str, reason: str) -> None:
        file = unquote(urldefrag(base_uri)[0]).removeprefix("file://")
        self.problems.append(Problem(file, where, reason))

    def records(self) -> list:
        return [*self.nodes.values(), *self.edges.values()]


def operations_summary(read: int, rejected: int, problems: int) -> dict:
    """A spec's reconciliation: operations read = accepted + rejected; other problems warn."""
    return {
        "unit": "operations",
        "read": read,
        "accepted": read - rejected,
        "rejected": rejected,
        "warnings": problems - rejected,
    }


def _ref_of(schema: dict) -> str | None:
    if isinstance(schema.get("$ref"), str):
        return schema["$ref"]
    parts = _list(schema.get("allOf"))
    if len(parts) == 1 and isinstance(parts[0], dict) and isinstance(parts[0].get("$ref"), str):
        return parts[0]["$ref"]  # OpenAPI 3.0's way to describe a reference
    items = schema.get("items")
    if isinstance(items, dict) and isinstance(items.get("$ref"), str):
        return items["$ref"]
    return None


def _classification(schema: dict, match) -> Classification | None:
    explicit = schema.get("x-classification")
    if isinstance(explicit, str) and explicit.lower() in _CLASSIFICATIONS:
        return Classification(explicit.lower())
    return Classification(classification_for(match.category)) if match else None


def _type_text(kind) -> str | None:
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kinds = [k for k in kind if k != "null"]
        return kinds[0] if len(kinds) == 1 else "|".join(map(str, kinds))
    return kind if isinstance(kind, str) else None


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _escape(name: str) -> str:
    return str(name).replace("~", "~0").replace("/", "~1")
