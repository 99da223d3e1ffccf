"""The API catalog's queries (graph/api_catalog.py) on a small hand-built API graph.

The graph, shaped like what the OpenAPI and AsyncAPI ingesters write:

- ``shop-api`` serves ``POST /orders`` (request ``Order``, inline response 201),
  ``GET /orders`` (an inline array of ``Order``), ``GET /customers/{customer_id}``
  (parameters, response ``Customer``), an erasure ``DELETE`` and a deprecated endpoint;
- ``Order`` is composed of ``Audited`` (allOf), ``Order.customer`` uses ``Customer``,
  ``Customer.address`` uses ``Address`` and ``Customer.orders`` uses ``Order`` (a cycle);
- ``web-shop`` calls ``POST /orders`` both ways, ``mobile-app`` sends to ``GET /customers/..``;
- ``Customer.email`` flows to ``crm`` then ``wh``; ``Order.order_id`` filters a ``wh`` table;
  ``Address.city`` filters ``crm:contacts#region``, which flows on (a chain that must stop);
- ``kafka`` hosts ``orders.v1`` (``shop-api`` publishes, ``crm`` subscribes) and
  ``customers.v1`` (payload ``Customer``; ``crm`` publishes, ``shop-api`` subscribes).
"""

from __future__ import annotations

import pytest
from neo4j import Driver

from graph.api_catalog import (
    api_integrations,
    api_systems,
    endpoint_fields,
    endpoints,
    field_flows,
    payload_field_keys,
    topics,
)
from graph.loader import load_source
from ingest.backstage import read_catalog
from ingest.records import (
    Dataset,
    DatasetKind,
    Edge,
    EdgeKind,
    Endpoint,
    Field,
    FlowKind,
    Integration,
    NodeRecord,
    Record,
    SourceInfo,
    System,
    contains,
    dataset_key,
    endpoint_key,
    field_key,
    flows_to,
    ref,
)
from tests.conftest import FIXTURES

SOURCE = SourceInfo("openapi:shop.yaml", "openapi", "shop.yaml", "h1")
SHOP = "shop-api"
POST_ORDERS = endpoint_key(SHOP, "POST", "/orders")
GET_ORDERS = endpoint_key(SHOP, "GET", "/orders")
GET_CUSTOMER = endpoint_key(SHOP, "GET", "/customers/{customer_id}")
DELETE_CUSTOMER = endpoint_key(SHOP, "DELETE", "/customers/{customer_id}")
CUSTOMER_EMAIL = field_key(dataset_key(SHOP, "Customer"), "email")
ORDER_ID = field_key(dataset_key(SHOP, "Order"), "order_id")
ADDRESS_CITY = field_key(dataset_key(SHOP, "Address"), "city")


class ApiGraph:
    """Collects records, adding each child's containment edge as it is made."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.systems: dict[str, System] = {}

    def system(self, key: str, name: str) -> System:
        self.systems[key] = System(key, name=name)
        self.records.append(self.systems[key])
        return self.systems[key]

    def child(self, parent: NodeRecord, child: NodeRecord) -> NodeRecord:
        self.records += [child, contains(parent, child)]
        return child

    def dataset(self, system: str, name: str, kind=DatasetKind.API_RESOURCE) -> Dataset:
        key = dataset_key(system, name)
        record = Dataset(key, name=name, system=system, kind=kind)
        return self.child(self.systems[system], record)

    def field(self, dataset: Dataset, name: str, **props) -> Field:
        record = Field(field_key(dataset.key, name), name=name, dataset=dataset.key, **props)
        return self.child(dataset, record)

    def endpoint(self, method: str, path: str, **props) -> Endpoint:
        key = endpoint_key(SHOP, method, path)
        record = Endpoint(key, system=SHOP, method=method, path=path, **props)
        return self.child(self.systems[SHOP], record)

    def uses(self, start: NodeRecord, end: Dataset, role: str = "") -> None:
        self.records.append(Edge(EdgeKind.USES, ref(start), ref(end), key=role))

    def flow(self, start: NodeRecord, end: NodeRecord, **props) -> None:
        self.records.append(flows_to(ref(start), ref(end), **props))


def pii(category: str, evidence: str, confidence: float = 0.9) -> dict:
    return {"pii_category": category, "pii_confidence": confidence, "pii_evidence": evidence}


def schemas(g: ApiGraph) -> dict[str, Dataset]:
    order, customer = g.dataset(SHOP, "Order"), g.dataset(SHOP, "Customer")
    address, audited = g.dataset(SHOP, "Address"), g.dataset(SHOP, "Audited")
    g.field(order, "order_id", type="string", format="uuid", required=True)
    g.uses(g.field(order, "customer", type="Customer"), customer)
    g.field(order, "note", type="string")
    g.uses(order, audited)  # allOf: Order's payload holds Audited's fields too
    g.field(audited, "created_at", type="string", format="date-time")
    g.field(customer, "email", type="string", format="email", **pii("email", "format: email"))
    g.field(customer, "name", type="string", **pii("person_name", "name matches name", 0.8))
    g.uses(g.field(customer, "address", type="Address"), address)
    g.uses(g.field(customer, "orders", type="array of Order"), order)  # the cycle
    g.field(address, "street", type="string", **pii("postal_address", "name matches street"))
    g.field(address, "city", type="string")
    return {"order": order, "customer": customer}


def operations(g: ApiGraph, schema: dict[str, Dataset]) -> None:
    post = g.endpoint("POST", "/orders", operation_id="createOrder", summary="Place an order")
    g.uses(post, schema["order"], "request")
    created = g.dataset(SHOP, "POST /orders response 201")
    g.field(created, "order_id", type="string")
    g.uses(post, created, "response:201")
    listed = g.dataset(SHOP, "GET /orders response 200")
    g.uses(listed, schema["order"], "items")
    g.uses(g.endpoint("GET", "/orders", operation_id="listOrders"), listed, "response:200")
    get = g.endpoint("GET", "/customers/{customer_id}", operation_id="getCustomer")
    params = g.dataset(SHOP, "GET /customers/{customer_id} parameters")
    g.field(params, "path.customer_id", type="string", required=True)
    g.uses(get, params, "parameters")
    g.uses(get, schema["customer"], "response:200")
    erase = g.endpoint("DELETE", "/customers/{customer_id}", erasure_candidate=True)
    g.uses(erase, params, "parameters")
    g.endpoint("GET", "/legacy/orders", deprecated=True)
    web, mobile = g.system("web-shop", "Web shop"), g.system("mobile-app", "Mobile app")
    g.flow(web, post)
    g.flow(post, web)
    g.flow(mobile, get)


def lineage(g: ApiGraph) -> None:
    contacts = g.dataset("crm", "contacts", DatasetKind.TABLE)
    dim, facts = g.dataset("wh", "dim_customer", DatasetKind.TABLE), g.dataset("wh", "facts")
    crm_email, region = g.field(contacts, "email"), g.field(contacts, "region")
    g.flow(Field(CUSTOMER_EMAIL), crm_email, transform="lower(email)", evidence="crm.sql:4")
    g.flow(crm_email, g.field(dim, "email"), evidence="wh.sql:9")
    g.flow(Field(ORDER_ID), facts, flow_kind=FlowKind.FILTER, evidence="wh.sql:20")
    g.flow(Field(ADDRESS_CITY), region, flow_kind=FlowKind.FILTER)
    g.flow(region, g.field(dim, "region"))  # past a filter: not where the city goes


def events(g: ApiGraph, schema: dict[str, Dataset]) -> None:
    shop, crm = g.systems[SHOP], g.systems["crm"]
    orders = g.dataset("kafka", "orders.v1", DatasetKind.TOPIC)
    g.field(orders, "order_id", type="string")
    g.field(orders, "email", type="string", **pii("email", "format: email"))
    g.flow(shop, orders)
    g.flow(orders, crm)
    customers = g.dataset("kafka", "customers.v1", DatasetKind.TOPIC)
    g.uses(customers, schema["customer"])
    g.flow(crm, customers)
    g.flow(customers, shop)


def api_records() -> list[Record]:
    g = ApiGraph()
    for key, name in ((SHOP, "Shop API"), ("crm", "CRM"), ("wh", "Warehouse"), ("kafka", "Kafka")):
        g.system(key, name)
    schema = schemas(g)
    operations(g, schema)
    lineage(g)
    events(g, schema)
    return g.records


def load_api_graph(driver: Driver) -> None:
    load_source(driver, SOURCE, api_records())


@pytest.fixture
def api(graph: Driver) -> Driver:
    load_api_graph(graph)
    return graph


def paths(frame, role: str | None = None) -> list[str]:
    rows = frame if role is None else frame[frame["role"] == role]
    return list(rows["path"])


def test_api_systems_are_those_with_endpoints_or_topics(api: Driver) -> None:
    # wh holds only tables, the callers only call: neither is an API system
    assert api_systems(api) == ["crm", "kafka", SHOP]


def test_api_systems_of_an_empty_graph(graph: Driver) -> None:
    assert api_systems(graph) == []


def test_endpoints_list_every_operation_of_the_system(api: Driver) -> None:
    table = endpoints(api, SHOP)
    assert list(zip(table["method"], table["path"], strict=True)) == [
        ("DELETE", "/customers/{customer_id}"),
        ("GET", "/customers/{customer_id}"),
        ("GET", "/legacy/orders"),
        ("GET", "/orders"),
        ("POST", "/orders"),
    ]
    rows = table.set_index("key")
    assert rows.loc[DELETE_CUSTOMER, "erasure_candidate"]
    assert rows.loc[endpoint_key(SHOP, "GET", "/legacy/orders"), "deprecated"]
    assert not rows.loc[POST_ORDERS, "deprecated"]
    assert rows.loc[POST_ORDERS, "operation_id"] == "createOrder"


def test_endpoints_name_callers_in_either_direction(api: Driver) -> None:
    rows = endpoints(api, SHOP).set_index("key")
    assert rows.loc[POST_ORDERS, "callers"] == ["Web shop"]
    assert rows.loc[GET_CUSTOMER, "callers"] == ["Mobile app"]
    assert rows.loc[GET_ORDERS, "callers"] == []


def test_endpoints_count_pii_fields_one_level_deep(api: Driver) -> None:
    rows = endpoints(api, SHOP).set_index("key")
    # Order -> customer -> Customer: email and name; Address.street is two levels down
    assert rows.loc[POST_ORDERS, "pii_fields"] == 2
    assert sorted(rows.loc[POST_ORDERS, "pii_categories"]) == ["email", "person_name"]
    # the Customer response itself: email, name, and address.street one level down
    assert rows.loc[GET_CUSTOMER, "pii_fields"] == 3
    assert rows.loc[DELETE_CUSTOMER, "pii_fields"] == 0


def test_endpoints_of_a_system_without_any(api: Driver) -> None:
    assert endpoints(api, "kafka").empty


def test_endpoint_fields_follow_uses_and_compositions(api: Driver) -> None:
    fields = endpoint_fields(api, POST_ORDERS)
    assert list(fields["role"].unique()) == ["request", "response:201"]
    assert paths(fields, "request") == [
        "created_at",  # from Audited, which Order is composed of
        "customer",
        "customer.address",
        "customer.email",
        "customer.name",
        "customer.orders",
        "note",
        "order_id",
    ]
    assert paths(fields, "response:201") == ["order_id"]
    email = fields.set_index("path").loc["customer.email"]
    assert (email["dataset"], email["payload"], email["field_key"]) == (
        "Customer",
        "Order",
        CUSTOMER_EMAIL,
    )
    assert (email["pii_category"], email["pii_confidence"]) == ("email", 0.9)
    assert email["pii_evidence"] == "format: email"
    request = fields[fields["role"] == "request"].set_index("path")
    assert request.loc["order_id", "required"]
    assert not request.loc["note", "required"]


def test_endpoint_fields_go_deeper_on_request_without_looping(api: Driver) -> None:
    deep = paths(endpoint_fields(api, POST_ORDERS, nesting=3), "request")
    assert "customer.address.street" in deep
    # Customer.orders refers back to Order, already on the path: not entered again
    assert not any(path.startswith("customer.orders[].") for path in deep)
    assert len(deep) == len(set(deep))


def test_endpoint_fields_of_an_array_response_and_parameters(api: Driver) -> None:
    listed = endpoint_fields(api, GET_ORDERS)
    assert "[].order_id" in paths(listed)
    assert "[].customer.email" in paths(listed)
    get = endpoint_fields(api, GET_CUSTOMER)
    assert list(get["role"].unique()) == ["parameters", "response:200"]
    assert paths(get, "parameters") == ["path.customer_id"]
    assert "address.street" in paths(get, "response:200")
    assert "orders[].order_id" in paths(get, "response:200")


def test_endpoint_fields_of_an_endpoint_without_payload(api: Driver) -> None:
    fields = endpoint_fields(api, endpoint_key(SHOP, "GET", "/legacy/orders"))
    assert fields.empty
    assert "pii_category" in fields.columns


def test_field_flows_follow_value_chains_downstream(api: Driver) -> None:
    flows = field_flows(api, [CUSTOMER_EMAIL])
    assert list(zip(flows["node_key"], flows["hops"], strict=True)) == [
        ("crm:contacts#email", 1),
        ("wh:dim_customer#email", 2),
    ]
    first = flows.iloc[0]
    assert (first["system"], first["dataset"], first["flow_kind"]) == ("CRM", "contacts", "value")
    assert (first["transform"], first["evidence"]) == ("lower(email)", "crm.sql:4")
    assert flows.iloc[1]["upstream"] == "crm:contacts#email"


def test_field_flows_stop_after_a_filter(api: Driver) -> None:
    flows = field_flows(api, [ORDER_ID, ADDRESS_CITY])
    found = zip(flows["field_key"], flows["node_key"], flows["flow_kind"], strict=True)
    assert set(found) == {
        (ORDER_ID, "wh:facts", "filter"),
        (ADDRESS_CITY, "crm:contacts#region", "filter"),
    }
    facts = flows.set_index("node_key").loc["wh:facts"]
    assert (facts["node_kind"], facts["dataset"], facts["system"]) == (
        "Dataset",
        "facts",
        "Warehouse",
    )


def test_field_flows_of_no_fields(api: Driver) -> None:
    assert field_flows(api, []).empty
    assert field_flows(api, [field_key(dataset_key(SHOP, "Order"), "note")]).empty


def test_topics_of_a_publisher_and_subscriber(api: Driver) -> None:
    catalog = topics(api, SHOP)
    rows = catalog.topics.set_index("topic")
    assert list(rows.index) == ["customers.v1", "orders.v1"]
    assert rows.loc["orders.v1", "roles"] == ["publishes"]
    assert rows.loc["customers.v1", "roles"] == ["subscribes"]
    assert rows.loc["orders.v1", "broker"] == "Kafka"
    assert rows.loc["orders.v1", "subscribers"] == ["CRM"]
    assert rows.loc["customers.v1", "publishers"] == ["CRM"]
    assert (rows.loc["orders.v1", "pii_fields"], rows.loc["customers.v1", "pii_fields"]) == (1, 3)


def test_topic_fields_include_a_used_schema(api: Driver) -> None:
    fields = topics(api, SHOP).fields
    customers = fields[fields["topic"] == "kafka:customers.v1"]
    assert "address.street" in list(customers["path"])
    assert set(customers["dataset"]) == {"Customer", "Address", "Order", "Audited"}
    orders = fields[fields["topic"] == "kafka:orders.v1"]
    assert list(orders["path"]) == ["email", "order_id"]


def test_broker_hosts_every_topic(api: Driver) -> None:
    rows = topics(api, "kafka").topics
    assert list(rows["topic"]) == ["customers.v1", "orders.v1"]
    assert all(roles == ["hosts"] for roles in rows["roles"])
    assert topics(api, "wh").topics.empty


# --- callers through integrations and a Backstage catalog ----------------------------------

SHOP_INTEGRATIONS = (  # (key, start, end, transport, both ways)
    ("int:checkout", "web", SHOP, "https", False),
    ("int:partner-feed", SHOP, "partner", "REST (JSON)", False),
    ("int:bank", SHOP, "bank", "https (webhook)", True),
    ("int:nightly-extract", SHOP, "wh", "sftp (CSV)", False),
    ("int:order-events", SHOP, "kafka", "kafka:orders.v1", False),
)


def integration_records() -> list[Record]:
    """``shop-api`` with one endpoint, and integrations with other systems over HTTP-like
    transports (web, partner, bank) and others (a file drop, a topic)."""
    g = ApiGraph()
    for key in (SHOP, "web", "partner", "bank", "wh", "kafka"):
        g.system(key, key.title())
    g.endpoint("GET", "/orders")
    for key, start, end, transport, both_ways in SHOP_INTEGRATIONS:
        integration = Integration(key, name=key.removeprefix("int:"), transport=transport)
        g.records.append(integration)
        for upstream, downstream in [(start, end), (end, start)][: 2 if both_ways else 1]:
            g.flow(g.systems[upstream], integration)
            g.flow(integration, g.systems[downstream])
    return g.records


def load_integration_graph(driver: Driver) -> None:
    load_source(driver, SourceInfo("inventory:shop.csv", "inventory", "shop.csv", "h"),
                integration_records())  # fmt: skip


def load_backstage_definitions(driver: Driver) -> None:
    catalog = read_catalog([FIXTURES / "backstage" / "definitions"])
    load_source(driver, catalog.source, catalog.records)


def test_api_integrations_are_http_like_integrations_either_way(graph: Driver) -> None:
    load_integration_graph(graph)
    table = api_integrations(graph, SHOP)
    assert list(zip(table["caller"], table["integration"], table["data"], strict=True)) == [
        ("Bank", "bank", "both ways"),
        ("Partner", "partner-feed", "from this system"),
        ("Web", "checkout", "to this system"),
    ]


def test_api_integrations_leave_out_file_drops_and_topics(graph: Driver) -> None:
    load_integration_graph(graph)
    assert not {"Wh", "Kafka"} & set(api_integrations(graph, SHOP)["caller"])


def test_api_integrations_of_a_system_without_any(api: Driver) -> None:
    table = api_integrations(api, SHOP)
    assert table.empty and "integration" in table.columns


def test_backstage_consumers_call_each_endpoint_of_the_api(graph: Driver) -> None:
    load_backstage_definitions(graph)
    rows = endpoints(graph, "orders").set_index("key")
    assert rows.loc["orders:POST /orders", "callers"] == ["Web shop", "billing"]
    assert rows.loc["orders:DELETE /orders/{id}", "callers"] == ["Web shop", "billing"]


def test_backstage_api_integrations_exclude_event_apis(graph: Driver) -> None:
    load_backstage_definitions(graph)
    table = api_integrations(graph, "orders")
    assert set(zip(table["caller"], table["transport"], strict=True)) == {
        ("Web shop", "openapi"),
        ("billing", "openapi"),
    }


# --- payload paths ---------------------------------------------------------------------------


def test_payload_paths_name_fields_through_used_and_composed_schemas(api: Driver) -> None:
    order = dataset_key(SHOP, "Order")
    found = payload_field_keys(
        api, [(order, "Customer.Email"), (order, "created_at"), (order, "order_id")]
    )
    assert found == {
        (order, "Customer.Email"): [CUSTOMER_EMAIL],  # through Order.customer -> Customer
        (order, "created_at"): [field_key(dataset_key(SHOP, "Audited"), "created_at")],  # allOf
        (order, "order_id"): [ORDER_ID],
    }


def test_payload_paths_that_name_nothing(api: Driver) -> None:
    order = dataset_key(SHOP, "Order")
    found = payload_field_keys(api, [(order, "customer.nowhere"), ("nowhere:x", "id")])
    assert found == {(order, "customer.nowhere"): [], ("nowhere:x", "id"): []}
