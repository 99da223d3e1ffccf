"""Plain, typed records that every ingester yields and the graph loader writes.

Records know nothing of Neo4j: they name *what* was found (a system, a field, a flow)
and *how* it was obtained. The loader in ``graph/loader.py`` turns them into graph facts.

Keys are stable and normalised so that the same thing found by two sources lands on one
node: ``system_key("Salesforce CRM ")`` is ``"salesforce-crm"``, a dataset of that system is
``"salesforce-crm:sales.accounts"`` and one of its fields ``"salesforce-crm:sales.accounts#email"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar

Scalar = str | int | float | bool | None


class NodeKind(StrEnum):
    """The node kinds of the graph model (docs/model.md)."""

    SYSTEM = "System"
    DATASET = "Dataset"
    FIELD = "Field"
    ENDPOINT = "Endpoint"
    INTEGRATION = "Integration"
    ISSUE = "Issue"


class EdgeKind(StrEnum):
    """Relationship kinds. Containment is kept apart from movement: ``FLOWS_TO`` is the
    only kind that means "data moves downstream", at every level of the model."""

    HAS_DATASET = "HAS_DATASET"  # System -> Dataset
    HAS_FIELD = "HAS_FIELD"  # Dataset -> Field
    HAS_ENDPOINT = "HAS_ENDPOINT"  # System -> Endpoint
    # Endpoint -> Dataset: the payload schema an endpoint reads ("request") or returns
    # ("response:201"); Field -> Dataset: a property whose value is that schema
    USES = "USES"
    FLOWS_TO = "FLOWS_TO"  # upstream -> downstream, any level
    AFFECTS = "AFFECTS"  # Issue -> whatever it is about


class Method(StrEnum):
    """How a fact was obtained, so the UI can explain any node or edge."""

    PARSED = "parsed"  # read from code or a spec by a parser
    DECLARED = "declared"  # stated by a person: inventory row, catalog entry
    INFERRED = "inferred"  # derived by a rule (e.g. a name match, a generator)


class DatasetKind(StrEnum):
    TABLE = "table"
    VIEW = "view"
    API_RESOURCE = "api_resource"
    TOPIC = "topic"
    FILE = "file"


class Classification(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


class FlowKind(StrEnum):
    """``value``: the downstream value is computed from the upstream one;
    ``filter``: the upstream only decides which rows move (WHERE, JOIN ON, ...)."""

    VALUE = "value"
    FILTER = "filter"


class Status(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


_SLUG_SEPARATORS = re.compile(r"[^0-9a-z]+")


def system_key(name: str) -> str:
    """Normalise a system name: case, whitespace and punctuation do not make a new system."""
    slug = _SLUG_SEPARATORS.sub("-", name.strip().lower()).strip("-")
    if not slug:
        raise ValueError(f"system name {name!r} has no letters or digits")
    return slug


def dataset_key(system: str, name: str) -> str:
    """``system`` is a system key; ``name`` the dataset's qualified name (``schema.table``)."""
    return f"{system}:{_normalise_path(name)}"


def field_key(dataset: str, name: str) -> str:
    """``dataset`` is a dataset key; ``name`` may be nested (``customer.email``, ``items[].sku``)"""
    return f"{dataset}#{_normalise_path(name)}"


def endpoint_key(system: str, method: str, path: str) -> str:
    return f"{system}:{method.strip().upper()} {path.strip()}"


def _normalise_path(name: str) -> str:
    cleaned = name.strip().lower()
    if not cleaned:
        raise ValueError("empty name")
    return cleaned


@dataclass(frozen=True)
class Provenance:
    method: Method = Method.DECLARED
    confidence: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} is outside 0..1")


DECLARED = Provenance(Method.DECLARED, 1.0)


@dataclass(frozen=True)
class NodeRecord:
    """Base of every node record. Subclasses add typed properties; ``None`` (or an empty
    string) means "this source does not say", so it never erases a value another gave."""

    KIND: ClassVar[NodeKind]
    key: str
    provenance: Provenance = field(default=DECLARED, kw_only=True)

    def properties(self) -> dict[str, Scalar | list[Scalar]]:
        values = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        return {
            name: value
            for name, value in values.items()
            if value not in (None, "") and name not in ("key", "provenance")
        }


@dataclass(frozen=True)
class System(NodeRecord):
    KIND: ClassVar[NodeKind] = NodeKind.SYSTEM
    name: str = ""
    kind: str | None = None  # e.g. crm, database, broker, saas, warehouse, bi
    owner: str | None = None
    team: str | None = None
    criticality: str | None = None
    holds_personal_data: bool | None = None
    erasure_method: str | None = None  # api / manual / none / unknown
    erasure_endpoint: str | None = None
    retention: str | None = None
    aliases: tuple[str, ...] | None = None
    layer: str | None = None


@dataclass(frozen=True)
class Dataset(NodeRecord):
    KIND: ClassVar[NodeKind] = NodeKind.DATASET
    name: str = ""
    system: str | None = None  # system key
    kind: DatasetKind | None = None
    description: str | None = None
    owner: str | None = None
    temporary: bool | None = None  # a script's temporary table: its key names the script
    tags: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Field(NodeRecord):
    KIND: ClassVar[NodeKind] = NodeKind.FIELD
    name: str = ""
    dataset: str | None = None  # dataset key
    type: str | None = None
    format: str | None = None
    classification: Classification | None = None
    pii_category: str | None = None
    pii_confidence: float | None = None
    pii_evidence: str | None = None  # why: "name matches email", "format: email", "x-pii"
    description: str | None = None
    required: bool | None = None
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Endpoint(NodeRecord):
    KIND: ClassVar[NodeKind] = NodeKind.ENDPOINT
    system: str | None = None
    method: str = ""
    path: str = ""
    operation_id: str | None = None
    deprecated: bool | None = None
    summary: str | None = None
    tags: tuple[str, ...] | None = None
    security: tuple[str, ...] | None = None
    erasure_candidate: bool | None = None  # DELETE on a person-bearing resource


@dataclass(frozen=True)
class Integration(NodeRecord):
    KIND: ClassVar[NodeKind] = NodeKind.INTEGRATION
    name: str = ""
    direction: str | None = None  # one-way / bidirectional
    frequency: str | None = None
    transport: str | None = None
    tls: bool | None = None
    owner: str | None = None
    status: Status | None = None
    classification: Classification | None = None
    auth_method: str | None = None
    sla: str | None = None
    monitoring: str | None = None
    last_reviewed: str | None = None  # ISO date
    known_issues: str | None = None


@dataclass(frozen=True)
class Issue(NodeRecord):
    KIND: ClassVar[NodeKind] = NodeKind.ISSUE
    title: str = ""
    impact: int | None = None  # 1..5
    frequency: int | None = None  # 1..5
    status: str | None = None
    category: str | None = None  # "known_issue", or the data-quality rule that found it
    evidence: str | None = None  # where it was found: file, sheet, row, column

    def __post_init__(self) -> None:
        for name in ("impact", "frequency"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= 5:
                raise ValueError(f"issue {self.key}: {name} {value} is outside 1..5")


@dataclass(frozen=True)
class NodeRef:
    kind: NodeKind
    key: str


@dataclass(frozen=True)
class Edge:
    """A relationship between two nodes. ``key`` tells apart edges of one kind between the
    same two nodes (a value flow and a filter flow, say); it is empty when there is one."""

    kind: EdgeKind
    start: NodeRef
    end: NodeRef
    key: str = ""
    flow_kind: FlowKind | None = None
    transform: str | None = None
    via: str | None = None  # the key of the Integration that carries this flow, if known
    evidence: str | None = None  # where it is written down: "etl/load.sql:12"
    provenance: Provenance = field(default=DECLARED, kw_only=True)

    def __post_init__(self) -> None:
        # Every movement edge says what kind of flow it is, and value and filter flows
        # between the same two nodes stay two edges.
        if self.kind is EdgeKind.FLOWS_TO:
            if self.flow_kind is None:
                object.__setattr__(self, "flow_kind", FlowKind.VALUE)
            if not self.key:
                object.__setattr__(self, "key", FlowKind(self.flow_kind).value)

    def properties(self) -> dict[str, Scalar | list[Scalar]]:
        values = {
            "flow_kind": _plain(self.flow_kind),
            "transform": self.transform,
            "via": self.via,
            "evidence": self.evidence,
        }
        return {name: value for name, value in values.items() if value is not None}


Record = NodeRecord | Edge


def ref(record: NodeRecord) -> NodeRef:
    return NodeRef(record.KIND, record.key)


def contains(parent: NodeRecord, child: NodeRecord, provenance: Provenance = DECLARED) -> Edge:
    """The containment edge between a parent and a child record."""
    kind = _CONTAINMENT[(parent.KIND, child.KIND)]
    return Edge(kind, ref(parent), ref(child), provenance=provenance)


def flows_to(
    upstream: NodeRef,
    downstream: NodeRef,
    *,
    flow_kind: FlowKind = FlowKind.VALUE,
    transform: str | None = None,
    via: str | None = None,
    evidence: str | None = None,
    provenance: Provenance = DECLARED,
) -> Edge:
    return Edge(
        EdgeKind.FLOWS_TO,
        upstream,
        downstream,
        key=flow_kind.value,
        flow_kind=flow_kind,
        transform=transform,
        via=via,
        evidence=evidence,
        provenance=provenance,
    )


_CONTAINMENT = {
    (NodeKind.SYSTEM, NodeKind.DATASET): EdgeKind.HAS_DATASET,
    (NodeKind.DATASET, NodeKind.FIELD): EdgeKind.HAS_FIELD,
    (NodeKind.SYSTEM, NodeKind.ENDPOINT): EdgeKind.HAS_ENDPOINT,
}


def _plain(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class SourceInfo:
    """What is being ingested. ``key`` identifies the source across runs (a path or URI);
    ``content_hash`` changes whenever its facts may change (content, parser options)."""

    key: str
    kind: str
    uri: str
    content_hash: str
    # The ingester's reconciliation report, stored on the Source node: by convention
    # "unit" (rows, lines, documents), "read" = "accepted" + "rejected", "warnings" (a count).
    summary: dict[str, Scalar | list[Scalar]] = field(default_factory=dict, compare=False)
