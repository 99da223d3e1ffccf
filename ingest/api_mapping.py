"""Field-level mappings between API payloads and tables, from a small YAML file.

A spec says what an API's fields are and SQL says where a table's columns go; neither says
which table column an API field is stored in or served from. A mapping file does::

    mappings:
      - api: "order-service: Order.email"
        table: "dwh-staging: staging.stg_orders.email"
        direction: api_to_table          # or table_to_api
        transform: LOWER(email)          # optional
        flow_kind: value                 # optional: value (the default) or filter

Each side is ``<system>: <dataset>.<field>``. On the ``api`` side the dataset is the schema
(``Order``) and the field its payload path as the APIs page shows it (``customer.email``,
``lines[].sku``); on the ``table`` side the field is the column after the last dot. A ``#``
splits the two explicitly where a name holds dots or spaces (``kafka: orders.v1#email``,
``order-service: POST /orders request#email``).

Each accepted row becomes one ``FLOWS_TO`` between the two fields, declared by whoever wrote
the file, with the file and line as evidence. Nothing else is written: the mapping connects
fields that a spec, SQL or the inventory put in the graph. Which field a name means is asked
of ``resolve`` (the CLI asks the graph, following a payload path through the schemas the
schema uses); a row naming a field that is not there, or a path that names two, is rejected
like any other bad row, with the file, line and reason, and the other rows still load.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from ingest.jsonl import Rejection
from ingest.records import (
    DECLARED,
    Edge,
    FlowKind,
    NodeKind,
    NodeRef,
    Scalar,
    SourceInfo,
    dataset_key,
    field_key,
    flows_to,
    system_key,
)
from ingest.spec_files import MAX_YAML_ALIASES, read_limited

API_MAPPING_KIND = "api-mapping"
MAX_FILE_BYTES = 16 * 1024 * 1024
# Part of the content hash: bump it when rows start to make other records.
_FORMAT_VERSION = b"api-mapping-1\0"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# (dataset key, field path) pairs -> the keys of the fields each names (none, one, several)
Resolver = Callable[[list[tuple[str, str]]], dict[tuple[str, str], list[str]]]


class Direction(StrEnum):
    API_TO_TABLE = "api_to_table"  # the API's value is stored in the table
    TABLE_TO_API = "table_to_api"  # the API serves the table's value


@dataclass(frozen=True)
class FieldName:
    """One side of a mapping, as written, and the dataset key and path it names."""

    text: str
    dataset: str  # dataset key
    path: str


def _side(last_dot: bool) -> Callable[[object], FieldName]:
    """A validator for ``<system>: <dataset>.<field>``; the field starts after the first dot
    (an API schema: the payload path follows) or after the last one (a table's column)."""

    def parse(value: object) -> FieldName:
        if not isinstance(value, str):
            raise ValueError("must be text: '<system>: <dataset>.<field>'")
        system, colon, rest = value.partition(":")
        rest = rest.strip()
        if "#" in rest:
            dataset, _, path = rest.rpartition("#")
        elif last_dot:
            dataset, _, path = rest.rpartition(".")
        else:
            dataset, _, path = rest.partition(".")
        if not (colon and system.strip() and dataset.strip() and path.strip()):
            raise ValueError(f"{value!r} is not '<system>: <dataset>.<field>'")
        return FieldName(value, dataset_key(system_key(system), dataset), path.strip())

    return parse


class MappingRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    api: Annotated[FieldName, BeforeValidator(_side(last_dot=False))]
    table: Annotated[FieldName, BeforeValidator(_side(last_dot=True))]
    direction: Direction
    transform: str | None = None
    flow_kind: FlowKind = FlowKind.VALUE


@dataclass
class MappingResult:
    source: SourceInfo
    records: list[Edge] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)  # file, line, reason as well
    read: int = 0  # rows: always accepted + rejected

    @property
    def accepted(self) -> int:
        return self.read - self.rejected

    @property
    def rejected(self) -> int:
        return len(self.rejections)


def as_written(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """The resolver without a graph: every name is the field key it spells."""
    return {(dataset, path): [field_key(dataset, path)] for dataset, path in pairs}


def read_api_mappings(path: Path, resolve: Resolver = as_written) -> MappingResult:
    """Read a mapping file. A file that cannot be read as one (missing, too large, not
    YAML, no ``mappings`` list) raises ``ValueError`` naming it; a bad row is rejected."""
    path = Path(path)
    raw = read_limited(path, MAX_FILE_BYTES)
    rows = _rows(path, raw)
    result = MappingResult(SourceInfo("", API_MAPPING_KIND, str(path), ""), read=len(rows))
    parsed: list[tuple[int, MappingRow]] = []
    for line, node, value in rows:
        try:
            parsed.append((line, MappingRow.model_validate(value)))
        except ValidationError as error:
            result.rejections.append(_rejection(path, line, node, error))
    names = [(side.dataset, side.path) for _, row in parsed for side in (row.api, row.table)]
    found = resolve(names)
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in parsed:
        reason = _unresolved(row, found)
        ends = None if reason else (found[_pair(row.api)][0], found[_pair(row.table)][0])
        if ends and ends[0] == ends[1]:
            reason = "the api and table sides name the same field"
        if reason:
            result.rejections.append(Rejection(str(path), line, reason))
            continue
        start, end = ends if row.direction is Direction.API_TO_TABLE else ends[::-1]
        identity = (start, end, row.flow_kind.value)
        if identity in seen:
            result.warnings.append(
                Rejection(str(path), line, f"repeats the mapping of line {seen[identity]}: skipped")
            )
            continue
        seen[identity] = line
        result.records.append(
            flows_to(
                NodeRef(NodeKind.FIELD, start),
                NodeRef(NodeKind.FIELD, end),
                flow_kind=row.flow_kind,
                transform=row.transform or None,
                evidence=f"{path}:{line}",
                provenance=DECLARED,
            )
        )
    result.rejections.sort(key=lambda problem: problem.line)
    result.source = _source_info(path, raw, result)
    return result


def _pair(side: FieldName) -> tuple[str, str]:
    return side.dataset, side.path


def _unresolved(row: MappingRow, found: dict[tuple[str, str], list[str]]) -> str | None:
    for role, side in (("api", row.api), ("table", row.table)):
        keys = found.get(_pair(side), [])
        if not keys:
            return (
                f"{role}: no field {side.text.strip()!r} in the graph ({side.dataset}#{side.path})"
            )
        if len(keys) > 1:
            return f"{role}: {side.text.strip()!r} names {len(keys)} fields: {', '.join(keys)}"
    return None


def _source_info(path: Path, raw: bytes, result: MappingResult) -> SourceInfo:
    # The facts depend on the graph too (which names resolve): the flows are hashed with
    # the bytes, so a row that resolves after a spec was loaded reloads the file.
    digest = hashlib.sha256(_FORMAT_VERSION + f"{len(raw)}\0".encode() + raw)
    for record in result.records:
        digest.update(repr(record).encode() + b"\0")
    digest.update(f"rejected:{result.rejected}".encode())
    summary: dict[str, Scalar | list[Scalar]] = {
        "unit": "mappings",
        "read": result.read,
        "accepted": result.accepted,
        "rejected": result.rejected,
        "warnings": len(result.warnings),
    }
    return SourceInfo(
        key=f"{API_MAPPING_KIND}:{path.resolve().as_posix()}",
        kind=API_MAPPING_KIND,
        uri=str(path),
        content_hash=digest.hexdigest(),
        summary=summary,
    )


def _rows(path: Path, raw: bytes) -> list[tuple[int, yaml.Node, Any]]:
    """Each row of ``mappings`` with its line, its node and its value."""
    try:
        text = raw.decode("utf-8-sig")
        aliases = sum(1 for e in yaml.parse(text, Loader=_LOADER) if isinstance(e, yaml.AliasEvent))
        if aliases > MAX_YAML_ALIASES:
            raise ValueError(f"{path}: {aliases:,} YAML aliases: refused")
        root = yaml.compose(text, Loader=_LOADER)
        document = _LOADER("").construct_document(root) if root is not None else None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ValueError(f"{where}: not valid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(document, dict) or not isinstance(document.get("mappings"), list):
        raise ValueError(f"{path}: expected a mapping with a 'mappings' list")
    # The last of repeated keys wins, as in the constructed document.
    nodes = [value for key, value in root.value if key.value == "mappings"][-1].value
    return [
        (node.start_mark.line + 1, node, value)
        for node, value in zip(nodes, document["mappings"], strict=True)
    ]


def _rejection(path: Path, line: int, node: yaml.Node, error: ValidationError) -> Rejection:
    """The first error of a row, at the line of the member it is about."""
    first = error.errors()[0]
    member = str(first["loc"][0]) if first["loc"] else ""
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if key.value == member:
                line = key.start_mark.line + 1
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "model_type":
        message = "a mapping needs api, table and direction"
    elif first["type"] == "extra_forbidden":
        message = "unknown member; a mapping has api, table, direction, transform, flow_kind"
    return Rejection(str(path), line, f"{member}: {message}" if member else message)
