"""Backstage software-catalog files as an inventory source.

Backstage keeps a company's software catalog in YAML files, usually one ``catalog-info.yaml``
per repository, each holding one or more entities separated by ``---``. This ingester turns
those entities into records:

- ``Component`` and ``Resource`` entities (services, websites, databases, buckets...) become
  ``System`` records keyed by ``system_key(metadata.name)``, named by ``metadata.title`` when
  there is one, with ``spec.type`` as their kind. A Backstage ``System``, which groups
  components, becomes a ``System`` record of kind ``system-group``.
- An ``API`` that one entity provides (``spec.providesApis``) and another consumes
  (``spec.consumesApis``) becomes one ``Integration`` per provider and consumer, with flows
  ``provider -> integration -> consumer``; its ``spec.type`` is the transport.
- An ``API`` of type ``openapi`` or ``asyncapi`` whose ``spec.definition`` holds its spec
  (written in place, or ``$text: ./openapi.yaml``) is read like any spec file, served by
  each component that provides it: its endpoints (or topics) join the graph, and every
  consumer calls them, over the integration above (``ingest/backstage_definitions.py``).
- ``spec.dependsOn`` (and its reverse, ``spec.dependencyOf``) becomes an ``Integration`` named
  ``dependsOn`` with flows from the dependency to the dependent: a service that depends on a
  database reads its data from there.
- ``Group`` and ``User`` entities give team names: an entity's ``team`` is the display name of
  the group that owns it, or of the first catalog group the owning user belongs to.

The record model has no member-of relation, so the grouping of components into a Backstage
System shows through ownership only: a component without an owner of its own takes the
owner and team of its System.

Everything here is stated by the teams that wrote the catalog: method ``declared``, confidence
1.0; only what a spec reader finds in an API definition is ``parsed``. A malformed document
is rejected with its file, document index, start line and a JSON pointer to the offending
member (``/spec/owner``); the other documents are still read. A reference that cannot be
followed is kept where its target can be named and always reported as a warning, and so is
a problem in an API definition (the entity itself is accepted).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ingest.backstage_definitions import consumer_flows, read_definition, reads_definitions
from ingest.records import (
    DECLARED,
    Edge,
    Integration,
    NodeKind,
    NodeRef,
    Record,
    Scalar,
    SourceInfo,
    System,
    flows_to,
    system_key,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
CATALOG_FILE_NAME = "catalog-info.yaml"
CATALOG_FILE_SUFFIX = ".catalog.yaml"

# Vendored packages ship their own catalog files, which describe someone else's software;
# hidden folders hold tool state (.git, .venv), never the company's catalog.
_SKIPPED_FOLDERS = frozenset({"node_modules"})

# Part of the content hash, so that changing how entities become records reloads sources
# whose files did not change. Bump it with every such change.
_MAPPING_VERSION = b"backstage-mapping-2\0"

SYSTEM_KINDS = frozenset({"component", "resource", "system"})
# Kinds Backstage defines that carry no data flow: accepted, and read only for team names.
OTHER_KINDS = frozenset({"api", "group", "user", "domain", "location", "template"})
KNOWN_KINDS = SYSTEM_KINDS | OTHER_KINDS

# The C loader when PyYAML has it (several times faster on large catalogs); both variants
# only build plain YAML types, never Python objects.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Members that the mapping reads, with the type each must have when present. A member of
# the wrong type rejects the document: reading around it would silently lose what it says.
_MEMBER_TYPES: tuple[tuple[tuple[str, ...], type], ...] = (
    (("metadata", "namespace"), str),
    (("metadata", "title"), str),
    (("spec",), dict),
    (("spec", "type"), str),
    (("spec", "owner"), str),
    (("spec", "system"), str),
    (("spec", "dependsOn"), list),
    (("spec", "dependencyOf"), list),
    (("spec", "providesApis"), list),
    (("spec", "consumesApis"), list),
    (("spec", "memberOf"), list),
    (("spec", "profile"), dict),
    (("spec", "profile", "displayName"), str),
    (("relations",), list),
)


# --- entity references -----------------------------------------------------------------

# Backstage's grammar, ``[<kind>:][<namespace>/]<name>``, with no separator or blank inside
# a part, so that a ref always prints back to text that parses to the same ref.
_REF = re.compile(r"(?:(?P<kind>[^\s:/]+):)?(?:(?P<namespace>[^\s:/]+)/)?(?P<name>[^\s:/]+)")


@dataclass(frozen=True)
class EntityRef:
    """A reference to a catalog entity, lower-cased: Backstage compares refs ignoring case.
    ``kind`` is ``None`` when the text named none and the caller gave no default."""

    kind: str | None
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}" if self.kind else self.qualified

    @property
    def qualified(self) -> str:
        return f"{self.namespace}/{self.name}"


def parse_entity_ref(
    text: object, *, default_kind: str | None = None, default_namespace: str = "default"
) -> EntityRef:
    """``kind:namespace/name``, ``kind:name``, ``namespace/name`` or ``name``; the missing
    parts come from the defaults. ``ValueError`` with a one-line reason otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"an entity ref must be a string, not {_type_name(text)}")
    match = _REF.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an entity ref of the form [kind:][namespace/]name")
    kind = match["kind"] or default_kind
    return EntityRef(
        kind=kind.lower() if kind else None,
        namespace=(match["namespace"] or default_namespace).lower(),
        name=match["name"].lower(),
    )


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A rejected document or a warning about one. ``document`` counts the documents of the
    file from 0; ``line`` (from 1) is where that document starts, or where the YAML syntax
    error is; both are ``None`` for a problem with a whole file. ``pointer`` is a JSON
    pointer into the document, empty when the problem is the document as a whole."""

    file: str
    document: int | None
    line: int | None
    pointer: str
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.document is not None:
            where += f": document {self.document}"
        if self.pointer:
            where += f" {self.pointer}"
        return f"{where}: {self.reason}"


@dataclass
class CatalogResult:
    source: SourceInfo
    records: list[Record] = field(default_factory=list)
    rejections: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    documents_read: int = 0  # non-empty documents and refused files: accepted + rejected
    kinds: Counter[str] = field(default_factory=Counter)  # accepted entities per kind
    definitions: int = 0  # API definitions read into endpoints or topics

    @property
    def accepted(self) -> int:
        return sum(self.kinds.values())

    @property
    def rejected(self) -> int:
        return len(self.rejections)


def read_catalog(paths: list[Path]) -> CatalogResult:
    """Read Backstage catalog files: each path a catalog file or a folder searched for
    ``catalog-info.yaml`` and ``*.catalog.yaml``. A path that does not exist raises."""
    if not paths:
        raise ValueError("no catalog file or folder given")
    files, empty_folders = _catalog_files(paths)
    reading = _Reading()
    for folder in empty_folders:
        reading.warn(_Where(str(folder)), "", "no catalog-info.yaml or *.catalog.yaml here")
    digest = hashlib.sha256(_MAPPING_VERSION)
    for path in files:
        reading.read_file(path, digest.update)
    result = CatalogResult(
        _source_info(paths, ""),
        rejections=reading.rejections,
        warnings=reading.warnings,
        documents_read=reading.documents_read,
    )
    roots = [path.resolve() for path in paths if path.is_dir()]
    _Catalog(reading.entities, result, roots, digest.update).build()
    # The reconciliation travels with the source, so the loaded graph can show it too.
    summary = _summary(result, len(files))
    result.source = replace(result.source, content_hash=digest.hexdigest(), summary=summary)
    return result


def _summary(result: CatalogResult, files: int) -> dict[str, Scalar | list[Scalar]]:
    return {
        "unit": "documents",
        "read": result.documents_read,
        "accepted": result.accepted,
        "rejected": result.rejected,
        "warnings": len(result.warnings),
        "files": files,
        "definitions": result.definitions,
    }


def _source_info(paths: list[Path], content_hash: str) -> SourceInfo:
    if len(paths) == 1:
        described, uri = paths[0].resolve().as_posix(), str(paths[0])
    else:
        # Sorted, so that naming the same paths in another order is the same source.
        described = ";".join(sorted({path.resolve().as_posix() for path in paths}))
        uri = ";".join(str(path) for path in paths)
    return SourceInfo(
        key=f"backstage:{described}", kind="backstage", uri=uri, content_hash=content_hash
    )


# --- finding and reading files -------------------------------------------------------------


def _is_catalog_file(name: str) -> bool:
    return name == CATALOG_FILE_NAME or name.endswith(CATALOG_FILE_SUFFIX)


def _catalog_files(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """The catalog files to read, once each and sorted by resolved path (so the content
    hash does not depend on the order paths were given in), and the folders without any."""
    found: dict[Path, Path] = {}
    empty_folders: list[Path] = []
    for path in paths:
        if path.is_dir():
            files = list(_walk(path))
            if not files:
                empty_folders.append(path)
        elif path.is_file():
            files = [path]
        else:
            raise FileNotFoundError(f"no such catalog file or folder: {path}")
        for file in files:
            found.setdefault(file.resolve(), file)
    return [found[resolved] for resolved in sorted(found)], empty_folders


def _walk(folder: Path) -> Iterator[Path]:
    # os.walk does not follow symbolic links to folders, so a link loop cannot trap it.
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(
            name for name in folders if not name.startswith(".") and name not in _SKIPPED_FOLDERS
        )
        for name in sorted(names):
            if _is_catalog_file(name):
                yield Path(root, name)


@dataclass(frozen=True)
class _Where:
    file: str
    document: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class _Entity:
    ref: EntityRef  # always with its kind
    name: str  # metadata.name as written
    document: dict[str, Any]
    where: _Where

    def get(self, *path: str) -> Any:
        return _member(self.document, path)

    @property
    def label(self) -> str:
        return self.get("metadata", "title") or self.name


class _Invalid(ValueError):
    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(reason)
        self.pointer = pointer
        self.reason = reason


@dataclass
class _Reading:
    """What reading the files found, before entities are matched with each other."""

    entities: list[_Entity] = field(default_factory=list)
    rejections: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    documents_read: int = 0

    def reject(self, where: _Where, pointer: str, reason: str) -> None:
        # Every rejection here is one document (or one refused file) read: counts reconcile.
        self.documents_read += 1
        self.rejections.append(Problem(where.file, where.document, where.line, pointer, reason))

    def warn(self, where: _Where, pointer: str, reason: str) -> None:
        self.warnings.append(Problem(where.file, where.document, where.line, pointer, reason))

    def read_file(self, path: Path, hash_update: Callable[[bytes], None]) -> None:
        data, size = _read_at_most(path, MAX_FILE_BYTES)
        if data is None:
            # The size stands in for the bytes: the facts (one refusal) change only with it.
            hash_update(f"refused:{size}\0".encode())
            limit = MAX_FILE_BYTES // (1024 * 1024)
            self.reject(_Where(str(path)), "", f"file is {size} bytes, over the {limit} MB limit")
            return
        # The length prefix keeps two files' bytes from hashing like one file's.
        hash_update(f"{len(data)}\0".encode() + data)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            self.reject(_Where(str(path)), "", f"not UTF-8 text (byte {error.start})")
            return
        self.read_text(str(path), text)

    def read_text(self, file: str, text: str) -> None:
        for where, document in self._documents(file, text):
            if document is None:
                continue  # an empty document (a stray '---') is no entity and no error
            try:
                entity = _entity(document, where)
            except _Invalid as invalid:
                self.reject(where, invalid.pointer, invalid.reason)
                continue
            self.documents_read += 1
            self.entities.append(entity)

    def _documents(self, file: str, text: str) -> Iterator[tuple[_Where, Any]]:
        """Each document with where it starts. This is ``yaml.safe_load_all`` taken apart:
        composing first gives each document's start line, and building each document with
        its own safe loader lets a refused tag reject that document only."""
        nodes = yaml.compose_all(text, Loader=_LOADER)
        index = 0
        while True:
            try:
                node = next(nodes, None)
            except yaml.YAMLError as error:
                # The parser cannot resume after a syntax error: the rest of the file is lost.
                line = _error_line(error)
                reason = f"not valid YAML, rest of the file skipped: {_yaml_problem(error)}"
                self.reject(_Where(file, index, line), "", reason)
                return
            if node is None:
                return
            where = _Where(file, index, node.start_mark.line + 1)
            index += 1
            try:
                document = _LOADER("").construct_document(node)
            except yaml.YAMLError as error:
                self.reject(where, "", f"refused: {_yaml_problem(error)}")
                continue
            yield where, document


def _read_at_most(path: Path, limit: int) -> tuple[bytes | None, int]:
    """The file's bytes, or ``None`` and its size when it is over ``limit``. The size is
    checked on the open file and the read is bounded, so a file that grows meanwhile is
    still refused rather than read whole."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            return None, size
        data = handle.read(limit + 1)
    return (None, len(data)) if len(data) > limit else (data, len(data))


def _error_line(error: yaml.YAMLError) -> int | None:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return None if mark is None else mark.line + 1


def _yaml_problem(error: yaml.YAMLError) -> str:
    parts = [getattr(error, "context", None), getattr(error, "problem", None)]
    return " ".join(part for part in parts if part) or str(error)


# --- checking one document -----------------------------------------------------------------


def _entity(document: Any, where: _Where) -> _Entity:
    """A document to an entity; ``_Invalid`` with a pointer and reason otherwise."""
    if not isinstance(document, dict):
        raise _Invalid("", f"expected a mapping (one entity), not {_type_name(document)}")
    _required_text(document, ("apiVersion",))
    kind = _required_text(document, ("kind",))
    if kind.lower() not in KNOWN_KINDS:
        known = ", ".join(sorted(KNOWN_KINDS))
        raise _Invalid("/kind", f"unknown kind {kind!r}, skipped (known kinds: {known})")
    if not isinstance(document.get("metadata"), dict):
        raise _Invalid("/metadata", "missing, or not a mapping")
    name = _required_text(document, ("metadata", "name"))
    for path, expected in _MEMBER_TYPES:
        value = _member(document, path)
        if value is not None and not isinstance(value, expected):
            wanted = _type_name(expected())
            raise _Invalid(_pointer(*path), f"must be a {wanted}, not {_type_name(value)}")
    namespace = _member(document, ("metadata", "namespace")) or "default"
    try:
        ref = parse_entity_ref(f"{kind}:{namespace}/{name}")
        if ref.kind in SYSTEM_KINDS:
            system_key(name)
    except ValueError as error:
        raise _Invalid("/metadata/name", f"unusable name: {error}") from None
    return _Entity(ref, name.strip(), document, where)


def _required_text(document: dict[str, Any], path: tuple[str, ...]) -> str:
    value = _member(document, path)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _Invalid(_pointer(*path), "missing")
    if not isinstance(value, str):
        raise _Invalid(_pointer(*path), f"must be a string, not {_type_name(value)}")
    return value.strip()


def _member(document: dict[str, Any], path: Iterable[str]) -> Any:
    """The value at ``path``, or ``None`` when a step is missing or not a mapping."""
    value: Any = document
    for step in path:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def _pointer(*parts: str | int) -> str:
    # JSON pointer escaping (RFC 6901): '~' and '/' inside a part.
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _type_name(value: object) -> str:
    names = {dict: "mapping", list: "list", str: "string", type(None): "null"}
    return names.get(type(value), type(value).__name__)


# --- matching entities and writing records -----------------------------------------------


class _Catalog:
    """The accepted entities, indexed by ref, and the records they make."""

    def __init__(
        self,
        entities: list[_Entity],
        result: CatalogResult,
        roots: list[Path],
        hash_update: Callable[[bytes], None],
    ) -> None:
        self.result = result
        self._roots = roots  # the folders given: an API definition's file stays inside one
        self._hash_update = hash_update
        self.by_ref: dict[EntityRef, _Entity] = {}
        self.systems: list[_Entity] = []
        self._owners: dict[EntityRef, tuple[str | None, str | None]] = {}
        self._teams: dict[EntityRef, str | None] = {}
        self._emitted: set[tuple[str, ...]] = set()
        self._register(entities)

    def build(self) -> None:
        for entity in self.systems:
            self._emit(("node", system_key(entity.name)), self._system(entity))
        self._api_integrations()
        for entity in self.systems:
            self._dependencies(entity)
        for entity in self.by_ref.values():
            if entity.ref.kind == "location":
                self._warn(
                    entity,
                    "/spec",
                    "Location entities are not followed: pass the files they point to as well",
                )

    def _warn(self, entity: _Entity, pointer: str, reason: str) -> None:
        where = entity.where
        self.result.warnings.append(
            Problem(where.file, where.document, where.line, pointer, reason)
        )

    def _register(self, entities: list[_Entity]) -> None:
        """Index the entities; one that repeats a ref or a system key is rejected, since two
        entities cannot both be that node. Components and resources win a system key over
        a Backstage System: they are what flows connect."""
        keys: dict[str, _Entity] = {}
        for entity in sorted(entities, key=lambda entity: entity.ref.kind == "system"):
            if (other := self.by_ref.get(entity.ref)) is not None:
                self._reject(entity, f"{entity.ref} is already defined at {other.where}")
                continue
            if entity.ref.kind in SYSTEM_KINDS:
                key = system_key(entity.name)
                if (other := keys.get(key)) is not None:
                    self._reject(
                        entity, f"system key {key!r} is already {other.ref}'s ({other.where})"
                    )
                    continue
                keys[key] = entity
                self.systems.append(entity)
            self.by_ref[entity.ref] = entity
            self.result.kinds[entity.ref.kind or ""] += 1

    def _reject(self, entity: _Entity, reason: str) -> None:
        # Already counted as read when its document was parsed.
        where = entity.where
        self.result.rejections.append(
            Problem(where.file, where.document, where.line, "/metadata/name", reason)
        )

    def _emit(self, identity: tuple[str, ...], record: Record) -> None:
        # dependsOn on one side and dependencyOf on the other state the same flow once.
        if identity not in self._emitted:
            self._emitted.add(identity)
            self.result.records.append(record)

    def _lookup(self, ref: EntityRef, kinds: Iterable[str]) -> _Entity | None:
        for kind in [ref.kind] if ref.kind else kinds:
            if (found := self.by_ref.get(EntityRef(kind, ref.namespace, ref.name))) is not None:
                return found
        return None

    def _refs(
        self, entity: _Entity, path: tuple[str, ...], default_kind: str | None
    ) -> Iterator[tuple[EntityRef, str]]:
        """The refs listed at ``path`` with their pointers; the unparseable ones are warned
        about. Like Backstage, a ref without a namespace is in its entity's namespace."""
        for index, text in enumerate(entity.get(*path) or []):
            pointer = _pointer(*path, index)
            try:
                yield self._parse(text, entity, default_kind), pointer
            except ValueError as error:
                self._warn(entity, pointer, f"skipped: {error}")

    @staticmethod
    def _parse(text: object, entity: _Entity, default_kind: str | None) -> EntityRef:
        return parse_entity_ref(
            text, default_kind=default_kind, default_namespace=entity.ref.namespace
        )

    # Systems, owners and teams.

    def _system(self, entity: _Entity) -> System:
        owner, team = self._owner(entity)
        group = self._system_group(entity) if entity.ref.kind != "system" else None
        if owner is None and group is not None:
            owner, team = self._owner(group)
        kind = "system-group" if entity.ref.kind == "system" else entity.get("spec", "type")
        return System(
            key=system_key(entity.name),
            name=entity.label,
            kind=kind.strip() if kind else None,
            owner=owner,
            team=team,
            provenance=DECLARED,
        )

    def _system_group(self, entity: _Entity) -> _Entity | None:
        text = entity.get("spec", "system")
        if text is None:
            return None
        try:
            ref = self._parse(text, entity, "system")
        except ValueError as error:
            self._warn(entity, "/spec/system", f"skipped: {error}")
            return None
        if (group := self._lookup(ref, ["system"])) is None:
            self._warn(entity, "/spec/system", f"{ref} is not in the catalog")
        return group

    def _owner(self, entity: _Entity) -> tuple[str | None, str | None]:
        """The owner's name (no kind, no namespace) and team; cached, so each entity's
        owner is warned about once however many members inherit it."""
        if entity.ref not in self._owners:
            self._owners[entity.ref] = self._find_owner(entity)
        return self._owners[entity.ref]

    def _find_owner(self, entity: _Entity) -> tuple[str | None, str | None]:
        found = self._owner_ref(entity)
        if found is None:
            return None, None
        ref, pointer = found
        owner = self._lookup(ref, ["group"])
        if owner is None or owner.ref.kind not in ("group", "user"):
            self._warn(entity, pointer, f"owner {ref} is not a group or user in the catalog")
            return ref.name, None
        return ref.name, self._team(owner)

    def _owner_ref(self, entity: _Entity) -> tuple[EntityRef, str] | None:
        # spec.owner as written, else the ownedBy relation of an entity exported from a
        # running catalog. An owner without a kind is a group, as in Backstage.
        candidates: list[tuple[object, str]] = [(entity.get("spec", "owner"), "/spec/owner")]
        for index, relation in enumerate(entity.get("relations") or []):
            if isinstance(relation, dict) and str(relation.get("type")).lower() == "ownedby":
                candidates.append(
                    (relation.get("targetRef"), _pointer("relations", index, "targetRef"))
                )
        for text, pointer in candidates:
            if text is None:
                continue
            try:
                return self._parse(text, entity, "group"), pointer
            except ValueError as error:
                self._warn(entity, pointer, f"skipped: {error}")
        return None

    def _team(self, owner: _Entity) -> str | None:
        if owner.ref not in self._teams:
            self._teams[owner.ref] = (
                _display_name(owner) if owner.ref.kind == "group" else self._user_team(owner)
            )
        return self._teams[owner.ref]

    def _user_team(self, user: _Entity) -> str | None:
        for ref, pointer in self._refs(user, ("spec", "memberOf"), "group"):
            if (group := self._lookup(ref, ["group"])) is not None:
                return _display_name(group)
            self._warn(user, pointer, f"{ref} is not in the catalog")
        return None

    # APIs.

    def _api_integrations(self) -> None:
        providers = self._api_sites("providesApis")
        consumers = self._api_sites("consumesApis")
        for api_ref, sites in consumers.items():
            if api_ref not in providers:
                for entity, pointer in sites:
                    self._warn(entity, pointer, f"no entity in the catalog provides {api_ref}")
        for api_ref, provider_sites in providers.items():
            for provider, _ in provider_sites:
                # A service calling its own API moves nothing between systems.
                calls = {
                    system_key(consumer.name): self._api_integration(api_ref, provider, consumer)
                    for consumer, _ in consumers.get(api_ref, [])
                    if consumer is not provider
                }
                if (api := self.by_ref.get(api_ref)) is not None:
                    self._api_definition(api, provider, calls)

    def _api_sites(self, member: str) -> dict[EntityRef, list[tuple[_Entity, str]]]:
        """API ref -> the entities listing it under ``spec.<member>``, with pointers."""
        sites: dict[EntityRef, list[tuple[_Entity, str]]] = {}
        for entity in self.systems:
            for ref, pointer in self._refs(entity, ("spec", member), "api"):
                if ref.kind != "api":
                    self._warn(entity, pointer, f"skipped: {ref} is not an API")
                    continue
                if ref not in self.by_ref:
                    self._warn(
                        entity,
                        pointer,
                        f"{ref} is not in the catalog; its integrations have no transport or owner",
                    )
                sites.setdefault(ref, []).append((entity, pointer))
        return sites

    def _api_integration(self, api_ref: EntityRef, provider: _Entity, consumer: _Entity) -> str:
        api = self.by_ref.get(api_ref)
        start, end = system_key(provider.name), system_key(consumer.name)
        transport = api.get("spec", "type") if api else None
        integration = Integration(
            key=f"int:backstage:{start}--{api_ref.name}-->{end}",
            name=api.name if api else api_ref.name,
            direction="one-way",
            transport=transport.strip().lower() if transport else None,
            owner=self._owner(api)[0] if api else None,
            provenance=DECLARED,
        )
        self._flow(start, integration, end)
        return integration.key

    def _api_definition(self, api: _Entity, provider: _Entity, calls: dict[str, str]) -> None:
        """The endpoints or topics of the API's spec, served by ``provider`` and called by
        the consumers in ``calls`` (system key -> the integration carrying the calls)."""
        api_type, definition = api.get("spec", "type"), api.get("spec", "definition")
        if definition is None or not reads_definitions(api_type):
            return  # a gRPC or GraphQL definition, say: the integrations say all we know
        catalog_file = Path(api.where.file)
        found = read_definition(
            definition,
            api_type=api_type,
            system=provider.name,
            catalog_file=catalog_file,
            root=self._root(catalog_file),
        )
        for pointer, reason in found.problems:
            self._warn(api, pointer, reason)
        if not found.read:
            return
        self.result.definitions += 1
        self._hash_update(found.fingerprint())
        provider_key = system_key(provider.name)
        for record in [*found.records, *consumer_flows(found.records, provider_key, calls)]:
            if isinstance(record, Edge):
                identity = (record.kind.value, record.start.key, record.end.key, record.key)
                self._emit(identity, record)
            else:  # the catalog's own record of a system it also defines comes first
                self._emit(("node", record.key), record)

    def _root(self, catalog_file: Path) -> Path:
        resolved = catalog_file.resolve()
        for root in self._roots:
            if resolved.is_relative_to(root):
                return root
        return resolved.parent

    def _flow(self, start: str, integration: Integration, end: str) -> None:
        middle = NodeRef(NodeKind.INTEGRATION, integration.key)
        upstream, downstream = NodeRef(NodeKind.SYSTEM, start), NodeRef(NodeKind.SYSTEM, end)
        self._emit(("node", integration.key), integration)
        self._emit((start, integration.key), flows_to(upstream, middle, provenance=DECLARED))
        self._emit((integration.key, end), flows_to(middle, downstream, provenance=DECLARED))

    # Dependencies.

    def _dependencies(self, entity: _Entity) -> None:
        own = system_key(entity.name)
        for key in self._flow_ends(entity, "dependsOn", own):
            self._dependency(key, own)
        for key in self._flow_ends(entity, "dependencyOf", own):
            self._dependency(own, key)

    def _flow_ends(self, entity: _Entity, member: str, own: str) -> Iterator[str]:
        """The system keys listed under ``spec.<member>``, other than the entity's own."""
        for ref, pointer in self._refs(entity, ("spec", member), None):
            key = self._flow_end(entity, ref, pointer)
            if key == own:
                self._warn(entity, pointer, f"skipped: {ref} is this entity itself")
            elif key is not None:
                yield key

    def _flow_end(self, entity: _Entity, ref: EntityRef, pointer: str) -> str | None:
        # A target missing from the catalog still has a key, so its flow is kept (the loader
        # creates the bare node) and the gap is reported.
        if ref.kind is not None and ref.kind not in SYSTEM_KINDS:
            self._warn(entity, pointer, f"skipped: {ref} is not a component or resource")
            return None
        if (target := self._lookup(ref, ["component", "resource", "system"])) is not None:
            return system_key(target.name)
        try:
            key = system_key(ref.name)
        except ValueError:
            self._warn(entity, pointer, f"skipped: {ref} cannot be named as a system")
            return None
        self._warn(entity, pointer, f"{ref} is not in the catalog; the flow is kept")
        return key

    def _dependency(self, upstream: str, downstream: str) -> None:
        integration = Integration(
            key=f"int:backstage:{upstream}-->{downstream}",
            name="dependsOn",
            direction="one-way",
            provenance=DECLARED,
        )
        self._flow(upstream, integration, downstream)


def _display_name(group: _Entity) -> str:
    return group.get("spec", "profile", "displayName") or group.label
