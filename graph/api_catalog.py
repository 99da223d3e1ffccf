"""The API catalog: which systems expose endpoints or event topics, what each endpoint reads
and returns field by field (with its personal data), who calls it, and where its fields
flow next.

Who calls an endpoint comes from two levels: callers named for the endpoint itself (a spec's
``x-flowatlas-consumers``, a Backstage API's consumers) flow to or from the endpoint; the
inventory's integrations over HTTP-like transports connect a caller with the whole system.

API specs are stored without dereferencing (docs/api.md): a payload is a dataset whose
fields may ``USES`` other schema datasets, and a dataset may be composed of others
(``allOf``; ``USES {key: "items"}`` for an array of one). Reading a payload therefore walks
``HAS_FIELD`` / ``USES`` from the datasets an endpoint uses, building each field's full path
(``customer.address.street``) on the way; the walk never enters a dataset twice on one path,
so recursive schemas stay finite.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from neo4j import Driver

# How many Field -USES-> Dataset steps a payload walk takes below the top-level fields by
# default, and at most: the page shows one level of nesting, callers may ask for more.
DEFAULT_NESTING = 1
MAX_NESTING = 3
# allOf / items compositions a walk may pass through besides the nesting steps.
_COMPOSITION_HOPS = 2


def _payload_walk(nesting: int) -> str:
    """The walk from ``top`` to every dataset its payload reaches, ``nesting`` levels deep.
    Cypher takes no parameter for a path's length, and a loose bound would enumerate every
    deeper path of a large spec before filtering, so each level has its own query text;
    ``nesting`` is always one of the integers ``0..MAX_NESTING``, never input text."""
    hops = 2 * nesting + _COMPOSITION_HOPS  # a level is two hops: HAS_FIELD, then USES
    return f"""
MATCH p = (top)-[:HAS_FIELD|USES*0..{hops}]->(d:Dataset)
WHERE size([r IN relationships(p) WHERE type(r) = 'HAS_FIELD']) <= {nesting}
  AND all(i IN range(0, length(p)) WHERE NOT nodes(p)[i] IN nodes(p)[i + 1..])
"""


# A field's path is the names of the fields walked through, joined by "." ("[]." below an
# array), then its own name: the JSON path a payload author would write.
_PAYLOAD_FIELDS = """
WITH role, top, d, size([r IN relationships(p) WHERE type(r) = 'HAS_FIELD']) AS depth,
     reduce(prefix = '', r IN relationships(p) | prefix + CASE
       WHEN type(r) = 'HAS_FIELD' THEN coalesce(endNode(r).name, endNode(r).key)
       WHEN startNode(r):Dataset THEN CASE WHEN r.key = 'items' THEN '[].' ELSE '' END
       WHEN startNode(r).type STARTS WITH 'array' THEN '[].'
       ELSE '.' END) AS prefix
MATCH (d)-[:HAS_FIELD]->(f:Field)
RETURN DISTINCT role, coalesce(top.name, top.key) AS payload, coalesce(d.name, d.key) AS dataset,
       prefix + coalesce(f.name, f.key) AS path, f.name AS field, f.key AS field_key, depth,
       f.type AS type, f.format AS format, coalesce(f.required, false) AS required,
       f.pii_category AS pii_category, f.pii_confidence AS pii_confidence,
       f.pii_evidence AS pii_evidence, f.classification AS classification
"""

# Brokers hold topics; applications publish to (System -> topic) or subscribe from them.
API_SYSTEMS = """
MATCH (s:System)
WHERE EXISTS { (s)-[:HAS_ENDPOINT]->(:Endpoint) }
   OR EXISTS { (s)-[:HAS_DATASET|FLOWS_TO]->(:Dataset {kind: 'topic'}) }
   OR EXISTS { (:Dataset {kind: 'topic'})-[:FLOWS_TO]->(s) }
RETURN s.key AS key
ORDER BY key
"""

# A caller sends requests (System -> Endpoint) and/or receives responses (Endpoint ->
# System): either direction makes it a caller.
ENDPOINTS = (
    """
MATCH (:System {key: $system})-[:HAS_ENDPOINT]->(e:Endpoint)
CALL (e) {
  OPTIONAL MATCH (c:System)-[:FLOWS_TO]-(e)
  WITH DISTINCT coalesce(c.name, c.key) AS caller ORDER BY caller
  RETURN collect(caller) AS callers
}
CALL (e) {
  MATCH (e)-[:USES]->(top:Dataset)
  CALL (top) {
"""
    + _payload_walk(DEFAULT_NESTING)
    + """
    MATCH (d)-[:HAS_FIELD]->(f:Field)
    WHERE f.pii_category IS NOT NULL
    RETURN f
  }
  WITH DISTINCT f
  RETURN count(f) AS pii_fields, collect(DISTINCT f.pii_category) AS pii_categories
}
RETURN e.key AS key, e.method AS method, e.path AS path, e.operation_id AS operation_id,
       e.summary AS summary, coalesce(e.deprecated, false) AS deprecated,
       coalesce(e.erasure_candidate, false) AS erasure_candidate, callers, pii_fields,
       pii_categories, coalesce(e.tags, []) AS tags, coalesce(e.security, []) AS security
ORDER BY path, method
"""
)

# One query text per nesting level (see _payload_walk).
ENDPOINT_FIELDS: dict[int, str] = {
    nesting: """
MATCH (:Endpoint {key: $endpoint})-[u:USES]->(top:Dataset)
WITH coalesce(u.key, 'uses') AS role, top
"""
    + _payload_walk(nesting)
    + _PAYLOAD_FIELDS
    for nesting in range(MAX_NESTING + 1)
}

# A chain goes on through fields only, and only while the value travels: past a filter
# flow the upstream value is not what moves, so the chain stops there.
FIELD_FLOWS = """
UNWIND $field_keys AS start_key
MATCH (start:Field {key: start_key})
MATCH p = (start)-[:FLOWS_TO*1..3]->(n)
WHERE all(x IN nodes(p)[1..-1] WHERE x:Field)
  AND all(r IN relationships(p)[..-1] WHERE r.flow_kind = 'value')
WITH start, n, last(relationships(p)) AS r, min(length(p)) AS hops
OPTIONAL MATCH (holder:Dataset)-[:HAS_FIELD]->(n)
WITH start, n, r, hops, coalesce(holder, CASE WHEN n:Dataset THEN n END) AS dataset
OPTIONAL MATCH (s:System)-[:HAS_DATASET]->(dataset)
WITH start, n, r, hops, dataset, coalesce(s, CASE WHEN n:System THEN n END) AS system
RETURN start.key AS field_key, coalesce(start.name, start.key) AS field, hops,
       startNode(r).key AS upstream, n.key AS node_key, labels(n)[0] AS node_kind,
       coalesce(n.name, n.key) AS node, dataset.name AS dataset,
       coalesce(system.name, system.key) AS system, r.flow_kind AS flow_kind,
       r.transform AS transform, r.evidence AS evidence, r.via AS via
ORDER BY field_key, hops, node_key
LIMIT $limit
"""

# Integrations between the system and another one over a request/response transport: the
# inventory's "https (webhook)", "REST", a Backstage API of type openapi or grpc, ... Both
# directions count, as for an endpoint: a caller sends requests, receives responses, or both.
API_TRANSPORTS = r"(https?|rest|api|openapi|graphql|grpc|soap|webhooks?)\b.*"
API_INTEGRATIONS = """
MATCH (s:System {key: $system})
CALL (s) {
  MATCH (s)-[:FLOWS_TO]->(i:Integration)-[:FLOWS_TO]->(c:System)
  RETURN i, c, 'from this system' AS direction
  UNION
  MATCH (c:System)-[:FLOWS_TO]->(i:Integration)-[:FLOWS_TO]->(s)
  RETURN i, c, 'to this system' AS direction
}
WITH s, i, c, direction
WHERE c <> s AND toLower(trim(coalesce(i.transport, ''))) =~ $transports
WITH i, c, collect(DISTINCT direction) AS directions
RETURN coalesce(c.name, c.key) AS caller, c.key AS caller_key,
       coalesce(i.name, i.key) AS integration, i.key AS integration_key,
       i.transport AS transport,
       CASE size(directions) WHEN 1 THEN directions[0] ELSE 'both ways' END AS data,
       i.status AS status
ORDER BY caller, integration_key
"""

SYSTEM_TOPICS = """
MATCH (s:System {key: $system})
CALL (s) {
  MATCH (s)-[:FLOWS_TO]->(t:Dataset {kind: 'topic'}) RETURN t, 'publishes' AS role
  UNION
  MATCH (t:Dataset {kind: 'topic'})-[:FLOWS_TO]->(s) RETURN t, 'subscribes' AS role
  UNION
  MATCH (s)-[:HAS_DATASET]->(t:Dataset {kind: 'topic'}) RETURN t, 'hosts' AS role
}
WITH t, collect(role) AS roles
CALL (t) {
  OPTIONAL MATCH (b:System)-[:HAS_DATASET]->(t)
  RETURN coalesce(b.name, b.key) AS broker LIMIT 1
}
CALL (t) {
  OPTIONAL MATCH (p:System)-[:FLOWS_TO]->(t)
  WITH DISTINCT coalesce(p.name, p.key) AS name ORDER BY name
  RETURN collect(name) AS publishers
}
CALL (t) {
  OPTIONAL MATCH (t)-[:FLOWS_TO]->(c:System)
  WITH DISTINCT coalesce(c.name, c.key) AS name ORDER BY name
  RETURN collect(name) AS subscribers
}
RETURN t.key AS key, coalesce(t.name, t.key) AS topic, broker, roles, publishers, subscribers
ORDER BY topic
"""

# The payload of any dataset: a topic's, or the schema a field mapping names.
DATASET_FIELDS: dict[int, str] = {
    nesting: """
UNWIND $datasets AS dataset_key
MATCH (top:Dataset {key: dataset_key})
WITH top.key AS role, top
"""
    + _payload_walk(nesting)
    + _PAYLOAD_FIELDS
    for nesting in range(MAX_NESTING + 1)
}

ENDPOINT_COLUMNS = (
    "key",
    "method",
    "path",
    "operation_id",
    "summary",
    "deprecated",
    "erasure_candidate",
    "callers",
    "pii_fields",
    "pii_categories",
    "tags",
    "security",
)
FIELD_COLUMNS = (
    "role",
    "path",
    "payload",
    "dataset",
    "field",
    "field_key",
    "depth",
    "type",
    "format",
    "required",
    "pii_category",
    "pii_confidence",
    "pii_evidence",
    "classification",
)
FLOW_COLUMNS = (
    "field_key",
    "field",
    "hops",
    "upstream",
    "node_key",
    "node_kind",
    "node",
    "dataset",
    "system",
    "flow_kind",
    "transform",
    "evidence",
    "via",
)
TOPIC_COLUMNS = ("key", "topic", "broker", "roles", "publishers", "subscribers", "pii_fields")
INTEGRATION_COLUMNS = (
    "caller",
    "caller_key",
    "integration",
    "integration_key",
    "transport",
    "data",
    "status",
)
ROLE_ORDER = ("publishes", "subscribes", "hosts")
DEFAULT_FLOW_LIMIT = 1000


@dataclass(frozen=True)
class TopicCatalog:
    """A system's event topics, and their payload fields (``topic`` holds the topic key)."""

    topics: pd.DataFrame
    fields: pd.DataFrame


def api_systems(driver: Driver, database: str | None = None) -> list[str]:
    """Keys of the systems that expose endpoints, or host, publish to or read event topics."""
    records, _, _ = driver.execute_query(API_SYSTEMS, database_=database)
    return [record["key"] for record in records]


def endpoints(driver: Driver, system: str, database: str | None = None) -> pd.DataFrame:
    """The endpoints of one system, with their callers and how many PII fields they carry."""
    records, _, _ = driver.execute_query(ENDPOINTS, system=system, database_=database)
    return _frame(records, ENDPOINT_COLUMNS)


def api_integrations(driver: Driver, system: str, database: str | None = None) -> pd.DataFrame:
    """The systems connected with ``system`` by an integration over an HTTP-like transport
    (``API_TRANSPORTS``): callers of its API as a whole, one row per integration. ``data``
    says which way the data goes: ``to this system``, ``from this system`` or ``both ways``."""
    records, _, _ = driver.execute_query(
        API_INTEGRATIONS, system=system, transports=API_TRANSPORTS, database_=database
    )
    return _frame(records, INTEGRATION_COLUMNS)


def endpoint_fields(
    driver: Driver,
    endpoint_key: str,
    database: str | None = None,
    nesting: int = DEFAULT_NESTING,
) -> pd.DataFrame:
    """The fields an endpoint reads and returns, one row per payload path: ``role`` is
    ``parameters``, ``request`` or ``response:<status>``. Fields of schemas a field refers to
    are followed ``nesting`` levels deep (at most ``MAX_NESTING``)."""
    records, _, _ = driver.execute_query(
        ENDPOINT_FIELDS[_nesting(nesting)], endpoint=endpoint_key, database_=database
    )
    frame = _frame(records, FIELD_COLUMNS)
    return _sorted_fields(frame, frame["role"].map(_role_rank))


def field_flows(
    driver: Driver,
    field_keys: Iterable[str],
    database: str | None = None,
    limit: int = DEFAULT_FLOW_LIMIT,
) -> pd.DataFrame:
    """Where the given fields flow next, up to three hops downstream, nearest first."""
    keys = sorted(set(field_keys))
    if not keys:
        return pd.DataFrame(columns=list(FLOW_COLUMNS))
    records, _, _ = driver.execute_query(
        FIELD_FLOWS, field_keys=keys, limit=limit, database_=database
    )
    return _frame(records, FLOW_COLUMNS)


def topics(
    driver: Driver,
    system: str,
    database: str | None = None,
    nesting: int = DEFAULT_NESTING,
) -> TopicCatalog:
    """The topics a system publishes to, subscribes from or (as a broker) hosts."""
    records, _, _ = driver.execute_query(SYSTEM_TOPICS, system=system, database_=database)
    rows = [{**r.data(), "roles": sorted(r["roles"], key=ROLE_ORDER.index)} for r in records]
    fields = topic_fields(driver, [row["key"] for row in rows], database, nesting)
    pii = fields[fields["pii_category"].notna()].groupby("topic")["field_key"].nunique()
    for row in rows:
        row["pii_fields"] = int(pii.get(row["key"], 0))
    return TopicCatalog(pd.DataFrame(rows, columns=list(TOPIC_COLUMNS)), fields)


def topic_fields(
    driver: Driver,
    topic_keys: list[str],
    database: str | None = None,
    nesting: int = DEFAULT_NESTING,
) -> pd.DataFrame:
    """Payload fields of the given topics; the ``topic`` column holds the topic key."""
    columns = ["topic", *FIELD_COLUMNS[1:]]
    if not topic_keys:
        return pd.DataFrame(columns=columns)
    records, _, _ = driver.execute_query(
        DATASET_FIELDS[_nesting(nesting)], datasets=topic_keys, database_=database
    )
    frame = _frame(records, FIELD_COLUMNS).rename(columns={"role": "topic"})
    return _sorted_fields(frame[columns], frame["topic"])


def payload_field_keys(
    driver: Driver, paths: Iterable[tuple[str, str]], database: str | None = None
) -> dict[tuple[str, str], list[str]]:
    """For each ``(dataset key, path)``, the keys of the fields the path names in that
    dataset's payload: a path as this page shows it (``customer.email``, ``lines[].sku``,
    a table's column), followed through the schemas the dataset uses and composes, up to
    ``MAX_NESTING`` levels, ignoring case. None when nothing matches; several when the
    path is ambiguous (two ``oneOf`` variants with one property name, say)."""
    wanted = {(dataset, path): (dataset, path.strip().lower()) for dataset, path in paths}
    found: dict[tuple[str, str], list[str]] = {pair: [] for pair in wanted.values()}
    datasets = sorted({dataset for dataset, _ in found})
    if datasets:
        records, _, _ = driver.execute_query(
            DATASET_FIELDS[MAX_NESTING], datasets=datasets, database_=database
        )
        for record in records:
            keys = found.get((record["role"], record["path"].lower()))
            if keys is not None and record["field_key"] not in keys:
                keys.append(record["field_key"])
    return {pair: sorted(found[normal]) for pair, normal in wanted.items()}


def _frame(records: list, columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame([r.data() for r in records], columns=list(columns))


def _sorted_fields(frame: pd.DataFrame, group: pd.Series) -> pd.DataFrame:
    """Grouped by ``group`` then by path, so a nested field sits right under its parent."""
    order = frame.assign(_group=group).sort_values(["_group", "path", "dataset"]).index
    return frame.loc[order].reset_index(drop=True)


def _role_rank(role: str) -> str:
    """Parameters, then the request, then responses by status."""
    rank = {"parameters": "0", "request": "1"}.get(role, "2")
    return f"{rank}{role}"


def _nesting(nesting: int) -> int:
    return max(0, min(nesting, MAX_NESTING))
