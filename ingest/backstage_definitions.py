"""The OpenAPI and AsyncAPI definitions of Backstage ``API`` entities.

An ``API`` entity may carry its spec in ``spec.definition``: written in place (a YAML or JSON
text block), or as a placeholder naming a file next to the catalog file
(``$text: ./openapi.yaml``; ``$json`` and ``$yaml`` are read the same way). The spec is
read by the ordinary spec readers (``ingest.openapi``, ``ingest.asyncapi``) with the
providing component as the serving system, so its endpoints, payloads and topics land in the
graph exactly as ``flowatlas ingest openapi`` would put them there. The components that
consume the API (``spec.consumesApis``) then call every endpoint: they send requests to it
and, where it responds with a body, receive its responses. For an event API they receive
from the topics the provider sends to, and send to those it receives from.

A placeholder is only followed to a file inside the folder the catalog was read from; a URL
is named and never fetched. Whatever the spec reader finds wrong is handed back as
``(pointer, reason)`` pairs, the file named relative to the catalog file.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlparse

from ingest.asyncapi import read_asyncapi
from ingest.openapi import ApiSpec, read_openapi
from ingest.records import (
    DECLARED,
    Edge,
    EdgeKind,
    Endpoint,
    NodeKind,
    NodeRef,
    Record,
    flows_to,
    ref,
)
from ingest.spec_files import SpecFileError

DEFINITION_POINTER = "/spec/definition"
PLACEHOLDERS = ("$text", "$json", "$yaml")
READERS: dict[str, Callable[..., ApiSpec]] = {"openapi": read_openapi, "asyncapi": read_asyncapi}


@dataclass
class Definition:
    """What one API definition gave: the spec's records, the problems, and a fingerprint
    of the records for the catalog's content hash (the spec may live in files the catalog
    does not list, and a change there must reload the catalog)."""

    records: list[Record] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (JSON pointer, reason)
    read: bool = False

    def fingerprint(self) -> bytes:
        digest = hashlib.sha256()
        for record in self.records:
            digest.update(repr(record).encode() + b"\0")
        return digest.digest()


def reads_definitions(api_type: str | None) -> bool:
    return (api_type or "").strip().lower() in READERS


def read_definition(
    definition: object,
    *,
    api_type: str,
    system: str,
    catalog_file: Path,
    root: Path,
) -> Definition:
    """Read the spec in ``definition`` as served by ``system`` (a component's name).
    ``root`` is the folder a placeholder may not leave."""
    reader = READERS[api_type.strip().lower()]
    found = Definition()
    placeholder = _placeholder(definition)
    if placeholder is not None:
        path = _placeholder_path(*placeholder, catalog_file, root, found)
        if path is not None:
            _read(partial(reader, path, system=system, root=root), found, catalog_file.parent)
        return found
    if isinstance(definition, dict):  # the spec written as YAML rather than as a text block
        definition = json.dumps(definition, default=str)  # dates, say, as text
    if not isinstance(definition, str):
        found.problems.append((DEFINITION_POINTER, "must be a text block or a $text placeholder"))
        return found
    # The spec readers read files: an inline spec gets a private folder of its own, so a
    # relative $ref inside it cannot reach anything else.
    with tempfile.TemporaryDirectory(prefix="flowatlas-definition-") as folder:
        path = Path(folder, "definition.yaml")
        path.write_text(definition, encoding="utf-8")
        read = partial(reader, path, system=system, root=Path(folder))
        _read(read, found, Path(folder), {path: "definition"})
    return found


def consumer_flows(records: list[Record], provider: str, consumers: dict[str, str]) -> list[Edge]:
    """The flows between each consumer (system key -> the key of the integration that
    carries its calls) and the provider's endpoints and topics among ``records``."""
    responding = {
        edge.start.key
        for edge in records
        if isinstance(edge, Edge) and edge.kind is EdgeKind.USES and edge.key.startswith("response")
    }
    endpoints = [r for r in records if isinstance(r, Endpoint) and r.system == provider]
    topic_flows = [
        edge
        for edge in records
        if isinstance(edge, Edge)
        and edge.kind is EdgeKind.FLOWS_TO
        and provider in (edge.start.key, edge.end.key)
        and NodeKind.DATASET in (edge.start.kind, edge.end.kind)
    ]
    flows: list[Edge] = []
    for consumer, via in consumers.items():
        caller = NodeRef(NodeKind.SYSTEM, consumer)
        for endpoint in endpoints:
            flows.append(flows_to(caller, ref(endpoint), via=via, provenance=DECLARED))
            if endpoint.key in responding:
                flows.append(flows_to(ref(endpoint), caller, via=via, provenance=DECLARED))
        for edge in topic_flows:
            # The provider sends to a topic: consumers receive from it, and the other way.
            start, end = (edge.end, caller) if edge.start.key == provider else (caller, edge.start)
            flows.append(flows_to(start, end, via=via, provenance=DECLARED))
    return flows


def _placeholder(definition: object) -> tuple[str, object] | None:
    """``($text, ./openapi.yaml)`` for a placeholder, ``None`` for a spec written in place."""
    if isinstance(definition, dict) and len(definition) == 1:
        name, target = next(iter(definition.items()))
        if name in PLACEHOLDERS:
            return name, target
    return None


def _placeholder_path(
    name: str, target: object, catalog_file: Path, root: Path, found: Definition
) -> Path | None:
    pointer = f"{DEFINITION_POINTER}/{name}"
    if not isinstance(target, str) or not target.strip():
        found.problems.append((pointer, "a placeholder names a file as text"))
        return None
    if urlparse(target).scheme or target.startswith("//"):
        found.problems.append((pointer, f"{target!r} is a URL: not fetched"))
        return None
    path = (catalog_file.parent / target.strip()).resolve()
    if not path.is_relative_to(root.resolve()):
        found.problems.append((pointer, f"{target!r} leaves the catalog folder {root}"))
        return None
    if not path.is_file():
        found.problems.append((pointer, f"{target!r}: no such file"))
        return None
    return path


def _read(
    read: Callable[[], ApiSpec], found: Definition, base: Path, names: dict[Path, str] | None = None
) -> None:
    """Run the spec reader; its problems name files relative to ``base``, or by ``names``."""

    def place(text: str) -> str:
        for path, name in (names or {}).items():
            text = text.replace(str(path.resolve()), name).replace(str(path), name)
        prefix = str(base.resolve())
        return text.replace(prefix + "/", "").replace(prefix, ".")

    try:
        spec = read()
    except SpecFileError as error:
        found.problems.append((DEFINITION_POINTER, place(str(error))))
        return
    found.read = True
    found.records = list(spec.records)
    for problem in spec.problems:
        where = place(problem.file) + problem.pointer
        found.problems.append((DEFINITION_POINTER, f"{where}: {place(problem.reason)}"))
