"""OpenAPI 3.0/3.1 and Swagger 2.0 specs as endpoints, payload datasets and fields.

Each operation becomes an ``Endpoint`` of the serving system; its parameters, request body
and responses become datasets it ``USES`` (keys ``parameters``, ``request``,
``response:201``). Which system serves the API: ``--system``, else ``x-flowatlas-system``
(root or ``info``), else ``info.title``. Callers named in ``x-flowatlas-consumers`` (root or
operation) send requests to the endpoint and receive its responses. A ``DELETE`` whose path
names a person-bearing resource by id is marked as a candidate erasure route.

A problem in one operation or schema is reported with the file and JSON pointer
(``#/paths/~1orders/post/requestBody``); the rest of the spec still loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

from ingest.api_schemas import PARSED, Problem, SchemaGraph, operations_summary
from ingest.collector import collector_paused
from ingest.records import (
    Edge,
    EdgeKind,
    Endpoint,
    NodeKind,
    SourceInfo,
    System,
    contains,
    endpoint_key,
    flows_to,
    ref,
    system_key,
)
from ingest.spec_files import SpecDocuments, SpecFileError, pointer

OPENAPI_KIND = "openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_JSON_MEDIA = re.compile(r"json|\*/\*|form|xml", re.IGNORECASE)
PERSON_RESOURCES = {
    "customer", "customers", "user", "users", "contact", "contacts", "account", "accounts",
    "member", "members", "person", "persons", "people", "subscriber", "subscribers",
    "profile", "profiles", "lead", "leads", "patient", "patients", "employee", "employees",
    "guest", "guests", "recipient", "recipients", "candidate", "candidates", "client", "clients",
    "payer", "payers", "buyer", "buyers", "shopper", "shoppers", "consumer", "consumers",
    "driver", "drivers", "student", "students", "applicant", "applicants", "passenger",
    "passengers", "traveler", "travelers", "traveller", "travellers", "visitor", "visitors",
    "cardholder", "cardholders", "beneficiary", "beneficiaries", "donor", "donors",
    "individual", "individuals", "holder", "holders", "owner", "owners",
}  # fmt: skip


@dataclass
class ApiSpec:
    """One spec file (with the files it references) read into records."""

    info: SourceInfo
    records: list
    problems: list[Problem] = field(default_factory=list)
    operations: int = 0
    rejected: int = 0
    schemas: int = 0


def read_openapi(path: Path, *, system: str | None = None, root: Path | None = None) -> ApiSpec:
    """Read one OpenAPI or Swagger document. Raises SpecFileError when the file cannot be
    used at all (unreadable, not a spec, a refused $ref at the top)."""
    with collector_paused():  # a large spec is a million small objects and no cycles
        return _read_openapi(Path(path), system, root)


def _read_openapi(path: Path, system: str | None, root: Path | None) -> ApiSpec:
    docs = SpecDocuments(root=Path(root or path.parent), entry=path)
    spec = docs.document
    if not isinstance(spec, dict) or not ("openapi" in spec or "swagger" in spec):
        raise SpecFileError(f"{path}: not an OpenAPI or Swagger document (no 'openapi' key)")
    name = serving_system(spec, system, path)
    server = System(system_key(name), name=name, provenance=PARSED)
    graph = SchemaGraph(docs, server)
    reader = _Operations(graph, spec, docs.entry_uri)
    reader.read_all()
    graph.drain()
    reader.mark_erasures()
    records = graph.records()
    info = SourceInfo(
        key=f"{OPENAPI_KIND}:{path.resolve().as_posix()}",
        kind=OPENAPI_KIND,
        uri=str(path),
        content_hash=docs.digest.hexdigest() + (system or ""),
        summary=operations_summary(reader.read, reader.rejected, len(graph.problems))
        | {"schemas": sum(1 for r in records if getattr(r, "KIND", None) == "Dataset")},
    )
    return ApiSpec(info, records, graph.problems, reader.read, reader.rejected)


def serving_system(spec: dict, given: str | None, path: Path) -> str:
    info = spec.get("info") if isinstance(spec.get("info"), dict) else {}
    for candidate in (given, spec.get("x-flowatlas-system"), info.get("x-flowatlas-system"),
                      info.get("title"), path.stem):  # fmt: skip
        if isinstance(candidate, str) and has_system_key(candidate):
            return candidate.strip()
    return path.stem if has_system_key(path.stem) else "api"


def has_system_key(name: str) -> bool:
    """Whether a system can be named ``name`` (it has a letter or digit)."""
    try:
        system_key(name)
    except ValueError:
        return False
    return True


class _Operations:
    def __init__(self, graph: SchemaGraph, spec: dict, base_uri: str):
        self.graph = graph
        self.spec = spec
        self.base = base_uri
        self.swagger = "swagger" in spec
        self.read = 0
        self.rejected = 0
        self.consumers = self._systems(spec.get("x-flowatlas-consumers"), "#")
        self.route_uses: dict[str, list] = {}  # route -> datasets its operations use
        self.deletes: dict[str, str] = {}  # route -> DELETE endpoint not yet a candidate

    def read_all(self) -> None:
        paths = self.spec.get("paths")
        if not isinstance(paths, dict):
            if paths is not None:
                self.graph.problem(self.base, "#/paths", "paths is not an object")
            return
        for route, item in paths.items():
            where = pointer("paths", route)
            if isinstance(item, dict) and isinstance(item.get("$ref"), str):
                item = self._deref(item, where)
            if not isinstance(item, dict):
                self.graph.problem(self.base, where, "path item is not an object")
                continue
            shared = item.get("parameters")
            for method in METHODS:
                if method in item:
                    self.operation(route, method, item[method], shared, f"{where}/{method}")

    def operation(self, route: str, method: str, op, shared, where: str) -> None:
        self.read += 1
        if not isinstance(op, dict):
            self.rejected += 1
            self.graph.problem(self.base, where, "operation is not an object")
            return
        system = self.graph.system
        endpoint = Endpoint(
            endpoint_key(system.key, method, route),
            system=system.key,
            method=method.upper(),
            path=route,
            operation_id=_text(op.get("operationId")),
            deprecated=True if op.get("deprecated") is True else None,
            summary=_text(op.get("summary")),
            tags=tuple(map(str, op["tags"])) if isinstance(op.get("tags"), list) else None,
            security=_security(op.get("security", self.spec.get("security"))),
            provenance=PARSED,
        )
        label = f"{method.upper()} {route}"
        params = self.parameters(label, [*_list(shared), *_list(op.get("parameters"))], where)
        uses = [("parameters", params)] if params else []
        uses += self.request(label, op, where) + self.responses(label, op, where)
        self.route_uses.setdefault(route, []).extend(dataset for _, dataset in uses)
        if method == "delete" and _erases_a_person(route, self.graph, params):
            endpoint = replace(endpoint, erasure_candidate=True)
        elif method == "delete" and _ITEM_ROUTE.search(route):
            self.deletes[route] = endpoint.key
        self.graph.nodes[endpoint.key] = endpoint
        self.graph.edge(contains(system, endpoint, PARSED))
        for role, dataset in uses:
            edge = Edge(EdgeKind.USES, ref(endpoint), ref(dataset), key=role, provenance=PARSED)
            self.graph.edge(edge)
        responds = any(role.startswith("response") for role, _ in uses)
        self.callers(endpoint, op, responds, where)

    def parameters(self, label: str, params: list, where: str):
        """Path, query, header and cookie parameters as fields ``path.customer_id``, ...;
        Swagger's body parameter is the request instead (see request)."""
        schema: dict = {"type": "object", "properties": {}, "required": []}
        for i, param in enumerate(params):
            here = f"{where}/parameters/{i}"
            if isinstance(param, dict) and isinstance(param.get("$ref"), str):
                param = self._deref(param, here)
            if not isinstance(param, dict) or not isinstance(param.get("name"), str):
                self.graph.problem(self.base, here, "parameter without a name")
                continue
            location = param.get("in", "query")
            if location == "body":
                continue
            name = f"{location}.{param['name']}"
            described = param.get("schema") if isinstance(param.get("schema"), dict) else param
            schema["properties"][name] = {
                **{k: v for k, v in described.items() if k not in ("name", "in")},
                **{k: param[k] for k in ("x-pii", "x-classification", "description") if k in param},
            }
            if param.get("required"):
                schema["required"].append(name)
        if not schema["properties"]:
            return None
        return self.graph.inline(f"{label} parameters", schema, self.base, f"{where}/parameters")

    def request(self, label: str, op: dict, where: str) -> list:
        if self.swagger:
            for i, param in enumerate(_list(op.get("parameters"))):
                if isinstance(param, dict) and param.get("in") == "body":
                    here = f"{where}/parameters/{i}/schema"
                    schema = param.get("schema")
                    found = self.graph.inline(f"{label} request", schema, self.base, here)
                    return [("request", found)] if found else []
            return []
        body = op.get("requestBody")
        if isinstance(body, dict) and isinstance(body.get("$ref"), str):
            body = self._deref(body, f"{where}/requestBody")
        schema = _content_schema(body)
        if schema is None:
            return []
        found = self.graph.inline(f"{label} request", schema, self.base, f"{where}/requestBody")
        return [("request", found)] if found else []

    def responses(self, label: str, op: dict, where: str) -> list:
        out = []
        responses = op.get("responses")
        for status, response in responses.items() if isinstance(responses, dict) else ():
            here = where + pointer("responses", status)[1:]
            if isinstance(response, dict) and isinstance(response.get("$ref"), str):
                response = self._deref(response, here)
            schema = _swagger_schema(response) if self.swagger else _content_schema(response)
            if schema is None:
                continue
            found = self.graph.inline(f"{label} response {status}", schema, self.base, here)
            if found is not None:
                out.append((f"response:{status}", found))
        return out

    def mark_erasures(self) -> None:
        """``DELETE /travel-profiles/{id}`` where the resource itself (what the same path's,
        or its collection's, operations read and write) holds personal data in its own
        fields, not only in resources it refers to. Run when every schema is flattened."""
        if not self.deletes:
            return
        composed = _compositions(self.graph)
        for route, key in self.deletes.items():
            collection = _ITEM_ROUTE.sub("", route)
            datasets = {d.key for d in self.route_uses.get(route, [])}
            datasets |= {d.key for d in self.route_uses.get(collection, [])}
            if _holds_personal_data(self.graph, datasets, composed):
                self.graph.nodes[key] = replace(self.graph.nodes[key], erasure_candidate=True)

    def _systems(self, value, where: str) -> set[str]:
        """The names of ``x-flowatlas-consumers``; a name no system key can be made of
        (blank, punctuation only) is a problem, not a caller."""
        names = set()
        for name in _names(value):
            try:
                system_key(name)
            except ValueError as e:
                self.graph.problem(self.base, f"{where}/x-flowatlas-consumers", str(e))
                continue
            names.add(name)
        return names

    def callers(self, endpoint: Endpoint, op: dict, responds: bool, where: str) -> None:
        for caller in self.consumers | self._systems(op.get("x-flowatlas-consumers"), where):
            system = System(system_key(caller), name=caller, provenance=PARSED)
            self.graph.nodes.setdefault(system.key, system)
            self.graph.edge(flows_to(ref(system), ref(endpoint), provenance=PARSED))
            if responds:
                self.graph.edge(flows_to(ref(endpoint), ref(system), provenance=PARSED))

    def _deref(self, node: dict, where: str):
        try:
            return self.graph.docs.resolve(node["$ref"], self.base)[1]
        except SpecFileError as e:
            self.graph.problem(self.base, where, str(e))
            return None


def _swagger_schema(response) -> object | None:
    return response.get("schema") if isinstance(response, dict) else None


def _content_schema(body) -> object | None:
    if not isinstance(body, dict):
        return None
    content = body.get("content")
    if not isinstance(content, dict):
        return None
    for media, spec in content.items():
        if _JSON_MEDIA.search(str(media)) and isinstance(spec, dict) and "schema" in spec:
            return spec["schema"]
    return None


# an item route: the last segment is a path parameter (/profiles/{id})
_ITEM_ROUTE = re.compile(r"/\{[^/}]+\}/?$")


def _compositions(graph: SchemaGraph) -> dict[str, set[str]]:
    """dataset -> the datasets it is made of (allOf / oneOf / anyOf of references)."""
    out: dict[str, set[str]] = {}
    for kind, start, end, _ in graph.edges:
        if kind is EdgeKind.USES and start.kind is NodeKind.DATASET:
            out.setdefault(start.key, set()).add(end.key)
    return out


def _holds_personal_data(graph: SchemaGraph, datasets: set[str], composed) -> bool:
    seen, todo = set(), list(datasets)
    while todo:
        key = todo.pop()
        if key in seen or key not in graph.nodes:
            continue
        seen.add(key)
        if any(f.pii_category for f in graph.fields_of(graph.nodes[key])):
            return True
        todo.extend(composed.get(key, ()))
    return False


def _erases_a_person(route: str, graph: SchemaGraph, params) -> bool:
    """DELETE /customers/{id}, /users/{id}/pii: a person-bearing resource named by its id,
    or a path whose parameters themselves hold personal data."""
    segments = [s for s in route.strip("/").split("/") if s]
    for before, segment in pairwise(segments):
        if segment.startswith("{") and before.lower() in PERSON_RESOURCES:
            return True
    if params is None:
        return False
    return any(f.pii_category for f in graph.fields_of(params))


def _security(value) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    names = sorted({str(name) for item in value if isinstance(item, dict) for name in item})
    return tuple(names) or None


def _names(value) -> set[str]:
    if isinstance(value, str):
        return {value}
    return {str(v) for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value) -> list:
    return value if isinstance(value, list) else []
