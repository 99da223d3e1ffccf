"""Backstage catalog files as an inventory source.

The ``acme`` fixture is a small company catalog (teams, a user, a Backstage System, services,
a website, a pipeline, databases, a topic and two APIs) spread over several files as teams
keep it; ``broken`` holds the documents a real catalog accumulates before anyone validates
it. None of these tests needs Neo4j: they inspect the records the reader returns.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.backstage import (
    MAX_FILE_BYTES,
    CatalogResult,
    EntityRef,
    Problem,
    parse_entity_ref,
    read_catalog,
)
from ingest.records import (
    DECLARED,
    Edge,
    EdgeKind,
    Endpoint,
    Field,
    Integration,
    Method,
    NodeKind,
    System,
)

FIXTURES = Path(__file__).parent / "fixtures" / "backstage"
ACME = FIXTURES / "acme"
BROKEN = FIXTURES / "broken"


@pytest.fixture(scope="module")
def acme() -> CatalogResult:
    return read_catalog([ACME])


@pytest.fixture(scope="module")
def broken() -> CatalogResult:
    return read_catalog([BROKEN / "catalog-info.yaml"])


def systems(result: CatalogResult) -> dict[str, System]:
    return {record.key: record for record in result.records if isinstance(record, System)}


def integrations(result: CatalogResult) -> dict[str, Integration]:
    return {record.key: record for record in result.records if isinstance(record, Integration)}


def flows(result: CatalogResult) -> set[tuple[str, str]]:
    return {
        (record.start.key, record.end.key)
        for record in result.records
        if isinstance(record, Edge) and record.kind is EdgeKind.FLOWS_TO
    }


def read_text(tmp_path: Path, text: str) -> CatalogResult:
    path = tmp_path / "catalog-info.yaml"
    path.write_text(textwrap.dedent(text))
    return read_catalog([path])


def reasons(problems: list[Problem]) -> list[str]:
    return [f"{problem.pointer} {problem.reason}" for problem in problems]


# --- systems, owners, teams ----------------------------------------------------------------


def test_components_resources_and_systems_become_system_records(acme: CatalogResult) -> None:
    assert set(systems(acme)) == {
        "orders-service",
        "payments-service",
        "storefront-web",
        "analytics-etl",
        "orders-db",
        "payments-db",
        "orders-events",
        "checkout",
    }


def test_title_is_the_name_and_metadata_name_the_key(acme: CatalogResult) -> None:
    assert systems(acme)["orders-service"].name == "Orders Service"
    assert systems(acme)["payments-service"].name == "payments-service"


def test_spec_type_is_the_kind_and_a_backstage_system_is_a_system_group(
    acme: CatalogResult,
) -> None:
    kinds = {key: system.kind for key, system in systems(acme).items()}
    assert kinds["orders-db"] == "database"
    assert kinds["storefront-web"] == "website"
    assert kinds["checkout"] == "system-group"


def test_owner_loses_kind_and_namespace_and_case(acme: CatalogResult) -> None:
    owners = {key: system.owner for key, system in systems(acme).items()}
    assert owners["orders-service"] == "team-storefront"  # group:team-storefront
    assert owners["payments-service"] == "team-payments"  # Group:Default/Team-Payments
    assert owners["orders-db"] == "jane.doe"  # user:jane.doe


def test_team_is_the_display_name_of_the_owning_group(acme: CatalogResult) -> None:
    teams = {key: system.team for key, system in systems(acme).items()}
    assert teams["orders-service"] == "Storefront Team"  # spec.profile.displayName
    assert teams["payments-db"] == "Payments"  # no display name: metadata.title


def test_a_users_team_is_the_first_catalog_group_they_belong_to(acme: CatalogResult) -> None:
    assert systems(acme)["orders-db"].team == "Data Platform"


def test_a_component_without_owner_takes_its_systems_owner_and_team(
    acme: CatalogResult,
) -> None:
    storefront = systems(acme)["storefront-web"]
    assert (storefront.owner, storefront.team) == ("team-storefront", "Storefront Team")


def test_owner_comes_from_the_owned_by_relation_of_an_exported_entity(tmp_path: Path) -> None:
    result = read_text(
        tmp_path,
        """\
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata: {name: search}
        spec: {type: service}
        relations:
          - {type: partOf, targetRef: system:default/discovery}
          - {type: ownedBy, targetRef: group:default/team-search}
        """,
    )
    assert systems(result)["search"].owner == "team-search"


def test_refs_without_namespace_are_in_the_entitys_namespace(tmp_path: Path) -> None:
    result = read_text(
        tmp_path,
        """\
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata: {name: risk, namespace: finance, title: Risk Team}
        spec: {type: team, children: []}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata: {name: scoring, namespace: finance}
        spec: {type: service, owner: risk}
        """,
    )
    assert systems(result)["scoring"].team == "Risk Team"
    assert result.warnings == []


# --- APIs ------------------------------------------------------------------------------------


def test_each_provider_and_consumer_of_an_api_make_one_integration(acme: CatalogResult) -> None:
    named = {key: record.name for key, record in integrations(acme).items() if record.transport}
    assert named == {
        "int:backstage:orders-service--orders-api-->storefront-web": "orders-api",
        "int:backstage:orders-service--orders-api-->analytics-etl": "orders-api",
        "int:backstage:payments-service--payments-api-->orders-service": "payments-api",
        "int:backstage:payments-service--payments-api-->storefront-web": "payments-api",
    }


def test_api_type_is_the_transport_and_api_owner_the_integration_owner(
    acme: CatalogResult,
) -> None:
    payments = integrations(acme)["int:backstage:payments-service--payments-api-->orders-service"]
    assert (payments.transport, payments.owner) == ("grpc", "team-payments")


def test_data_flows_from_provider_through_the_integration_to_consumer(
    acme: CatalogResult,
) -> None:
    key = "int:backstage:orders-service--orders-api-->storefront-web"
    assert {("orders-service", key), (key, "storefront-web")} <= flows(acme)
    assert ("storefront-web", key) not in flows(acme)


def test_flows_join_systems_and_integrations_of_the_same_catalog(acme: CatalogResult) -> None:
    kinds = {
        (record.start.kind, record.end.kind) for record in acme.records if isinstance(record, Edge)
    }
    assert kinds == {
        (NodeKind.SYSTEM, NodeKind.INTEGRATION),
        (NodeKind.INTEGRATION, NodeKind.SYSTEM),
    }
    named = set(systems(acme)) | set(integrations(acme))
    assert {end for flow in flows(acme) for end in flow} <= named


# --- dependencies --------------------------------------------------------------------------


def test_depends_on_flows_from_the_dependency_to_the_dependent(acme: CatalogResult) -> None:
    key = "int:backstage:orders-db-->orders-service"
    assert integrations(acme)[key].name == "dependsOn"
    assert {("orders-db", key), (key, "orders-service")} <= flows(acme)


def test_dependency_of_is_depends_on_seen_from_the_other_side(acme: CatalogResult) -> None:
    key = "int:backstage:orders-events-->analytics-etl"
    assert {("orders-events", key), (key, "analytics-etl")} <= flows(acme)


def test_a_dependency_stated_from_both_sides_is_one_integration(tmp_path: Path) -> None:
    result = read_text(
        tmp_path,
        """\
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata: {name: reports}
        spec: {type: service, dependsOn: [resource:ledger-db]}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Resource
        metadata: {name: ledger-db}
        spec: {type: database, dependencyOf: [component:reports]}
        """,
    )
    assert list(integrations(result)) == ["int:backstage:ledger-db-->reports"]
    assert len(flows(result)) == len([r for r in result.records if isinstance(r, Edge)]) == 2


def test_everything_is_declared_with_full_confidence(acme: CatalogResult) -> None:
    assert {record.provenance for record in acme.records} == {DECLARED}
    assert DECLARED.method is Method.DECLARED
    assert DECLARED.confidence == 1.0


# --- finding files -------------------------------------------------------------------------


def test_folders_are_searched_but_vendored_and_hidden_folders_are_not(
    acme: CatalogResult,
) -> None:
    assert acme.source.summary["files"] == 5
    assert not {"left-pad", "ci-bot"} & set(systems(acme))


def test_a_folder_without_catalog_files_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# not a catalog\n")
    result = read_catalog([tmp_path])
    assert (result.records, result.rejections, result.documents_read) == ([], [], 0)
    assert reasons(result.warnings) == [" no catalog-info.yaml or *.catalog.yaml here"]


def test_a_path_that_does_not_exist_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read_catalog([tmp_path / "nowhere"])


def test_location_entities_are_reported_as_not_followed(acme: CatalogResult) -> None:
    assert [problem.document for problem in acme.warnings] == [6]
    assert "not followed" in acme.warnings[0].reason


# --- entity refs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("component:payments/ledger", EntityRef("component", "payments", "ledger")),
        ("component:ledger", EntityRef("component", "default", "ledger")),
        ("ledger", EntityRef("group", "default", "ledger")),
        ("payments/ledger", EntityRef("group", "payments", "ledger")),
        ("Group:Default/Team-Payments", EntityRef("group", "default", "team-payments")),
        ("  user:jane.doe \n", EntityRef("user", "default", "jane.doe")),
    ],
)
def test_entity_ref_forms(text: str, expected: EntityRef) -> None:
    assert parse_entity_ref(text, default_kind="group") == expected


def test_entity_ref_without_kind_or_default_has_none() -> None:
    assert parse_entity_ref("ledger") == EntityRef(None, "default", "ledger")


@pytest.mark.parametrize(
    "text", ["", "component:", ":ledger", "component:/ledger", "a:b:c", "a/b/c", "two words", 7]
)
def test_malformed_entity_refs_are_refused(text: object) -> None:
    with pytest.raises(ValueError, match="entity ref"):
        parse_entity_ref(text)


_PART = st.text(min_size=1, max_size=20).filter(
    lambda part: not any(char in ":/" or char.isspace() for char in part)
)


@given(kind=_PART, namespace=_PART, name=_PART, text=st.text(max_size=40))
def test_entity_refs_print_back_to_what_they_parse_from(
    kind: str, namespace: str, name: str, text: str
) -> None:
    written = f"{kind}:{namespace}/{name}"
    assert parse_entity_ref(written) == EntityRef(kind.lower(), namespace.lower(), name.lower())
    try:
        parsed = parse_entity_ref(text)
    except ValueError:
        return
    assert parse_entity_ref(str(parsed)) == parsed


# --- rejections and warnings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "line", "pointer", "reason"),
    [
        (1, 10, "/apiVersion", "missing"),
        (2, 17, "/kind", "missing"),
        (3, 23, "/metadata/name", "missing"),
        (4, 31, "/kind", "unknown kind 'Widget'"),
        (5, 36, "/spec/dependsOn", "must be a list, not string"),
        (6, 45, "", "expected a mapping (one entity), not list"),
        (7, 48, "/metadata/name", "has no letters or digits"),
        (10, 73, "/metadata/name", "already defined at"),
    ],
)
def test_a_rejection_says_which_document_where_and_why(
    broken: CatalogResult, document: int, line: int, pointer: str, reason: str
) -> None:
    (found,) = [problem for problem in broken.rejections if problem.document == document]
    assert (found.file, found.line, found.pointer) == (
        str(BROKEN / "catalog-info.yaml"),
        line,
        pointer,
    )
    assert reason in found.reason


def test_rejected_documents_do_not_stop_the_others(broken: CatalogResult) -> None:
    assert set(systems(broken)) == {"legacy-billing"}


def test_a_component_and_a_system_of_one_name_keep_the_component(tmp_path: Path) -> None:
    result = read_text(
        tmp_path,
        """\
        apiVersion: backstage.io/v1alpha1
        kind: System
        metadata: {name: billing}
        ---
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata: {name: Billing}
        spec: {type: service}
        """,
    )
    assert systems(result)["billing"].kind == "service"
    assert [problem.document for problem in result.rejections] == [0]
    assert "already component:default/billing's" in result.rejections[0].reason


def test_a_missing_dependency_keeps_its_flow_and_is_warned_about(broken: CatalogResult) -> None:
    key = "int:backstage:legacy-ftp-->legacy-billing"
    assert {("legacy-ftp", key), (key, "legacy-billing")} <= flows(broken)
    assert (
        "/spec/dependsOn/0 resource:default/legacy-ftp is not in the catalog; the flow is kept"
        in reasons(broken.warnings)
    )


@pytest.mark.parametrize(
    ("pointer", "reason"),
    [
        ("/spec/dependsOn/1", "skipped: group:default/team-billing is not a component or resource"),
        ("/spec/dependsOn/2", "skipped: 'not a ref' is not an entity ref"),
        ("/spec/dependsOn/3", "skipped: component:default/legacy-billing is this entity itself"),
        ("/spec/providesApis/0", "skipped: component:default/invoice-mailer is not an API"),
        ("/spec/consumesApis/0", "no entity in the catalog provides api:default/invoices-api"),
        ("/spec/owner", "owner group:default/ghosts is not a group or user in the catalog"),
        ("/spec/system", "system:default/billing is not in the catalog"),
    ],
)
def test_a_ref_that_cannot_be_followed_is_a_warning(
    broken: CatalogResult, pointer: str, reason: str
) -> None:
    assert any(text.startswith(f"{pointer} {reason}") for text in reasons(broken.warnings))


def test_an_owner_missing_from_the_catalog_is_still_the_owner(broken: CatalogResult) -> None:
    legacy = systems(broken)["legacy-billing"]
    assert (legacy.owner, legacy.team) == ("ghosts", None)


def test_warnings_do_not_reject(broken: CatalogResult) -> None:
    assert all(problem.document != 8 for problem in broken.rejections)


# --- counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("paths", [[ACME], [BROKEN]], ids=["acme", "broken"])
def test_documents_read_are_accepted_plus_rejected(paths: list[Path]) -> None:
    result = read_catalog(paths)
    assert result.documents_read == result.accepted + result.rejected
    assert result.source.summary["read"] == result.documents_read


def test_counts_of_the_broken_file(broken: CatalogResult) -> None:
    # 11 documents, one of them empty: 10 read, 8 rejected (one as a duplicate).
    assert (broken.documents_read, broken.accepted, broken.rejected) == (10, 2, 8)
    assert broken.kinds == {"group": 1, "component": 1}


def test_accepted_entities_are_counted_per_kind(acme: CatalogResult) -> None:
    assert acme.kinds == {
        "group": 3,
        "user": 1,
        "domain": 1,
        "system": 1,
        "location": 1,
        "component": 4,
        "api": 2,
        "resource": 3,
    }


# --- files YAML cannot or must not read ------------------------------------------------------


def test_an_unsafe_yaml_tag_rejects_its_document_only() -> None:
    result = read_catalog([BROKEN / "unsafe.catalog.yaml"])
    assert set(systems(result)) == {"before-the-tag", "after-the-tag"}
    (rejection,) = result.rejections
    assert (rejection.document, rejection.line) == (1, 8)
    assert "python/object/apply:os.getcwd" in rejection.reason


def test_a_yaml_syntax_error_keeps_earlier_documents_and_gives_its_line() -> None:
    result = read_catalog([BROKEN / "truncated.catalog.yaml"])
    assert set(systems(result)) == {"still-read"}
    (rejection,) = result.rejections
    assert (rejection.document, rejection.line) == (1, 12)
    assert rejection.reason.startswith("not valid YAML, rest of the file skipped")


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "catalog-info.yaml"
    path.write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\n")
    with path.open("r+b") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no 5 MB written to disk
    result = read_catalog([path])
    assert result.records == []
    assert reasons(result.rejections) == [
        f" file is {MAX_FILE_BYTES + 1} bytes, over the 5 MB limit"
    ]
    assert result.documents_read == result.rejected == 1


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog-info.yaml"
    path.write_bytes(b"apiVersion: backstage.io/v1alpha1\nkind: \xff\n")
    assert reasons(read_catalog([path]).rejections) == [" not UTF-8 text (byte 40)"]


def test_empty_documents_are_neither_read_nor_rejected(tmp_path: Path) -> None:
    result = read_text(tmp_path, "---\n---\n# nothing here\n")
    assert (result.documents_read, result.rejections, result.warnings) == (0, [], [])


# --- the source ------------------------------------------------------------------------------


def test_the_source_is_named_by_its_resolved_path(acme: CatalogResult) -> None:
    assert acme.source.key == f"backstage:{ACME.resolve().as_posix()}"
    assert acme.source.kind == "backstage"


def test_several_paths_are_one_source_in_any_order() -> None:
    first, second = ACME / "services", ACME / "infra"
    one, other = read_catalog([first, second]).source, read_catalog([second, first]).source
    assert one.key == other.key
    assert one.content_hash == other.content_hash
    assert str(first.resolve()) in one.key and str(second.resolve()) in one.key


def test_the_content_hash_follows_the_bytes_not_the_place(tmp_path: Path) -> None:
    copy = shutil.copytree(ACME, tmp_path / "acme")
    assert read_catalog([copy]).source.content_hash == read_catalog([ACME]).source.content_hash
    with (copy / "infra" / "databases.catalog.yaml").open("a") as handle:
        handle.write("# reviewed\n")
    assert read_catalog([copy]).source.content_hash != read_catalog([ACME]).source.content_hash


# --- API definitions -------------------------------------------------------------------------

DEFINITIONS = FIXTURES / "definitions"
ORDERS_INTEGRATION = "int:backstage:orders--orders-api-->{}"


@pytest.fixture(scope="module")
def definitions() -> CatalogResult:
    return read_catalog([DEFINITIONS])


def endpoints(result: CatalogResult) -> dict[str, Endpoint]:
    return {record.key: record for record in result.records if isinstance(record, Endpoint)}


def flows_via(result: CatalogResult) -> set[tuple[str, str, str | None]]:
    return {
        (record.start.key, record.end.key, record.via)
        for record in result.records
        if isinstance(record, Edge) and record.kind is EdgeKind.FLOWS_TO
    }


def test_a_definition_file_gives_the_endpoints_of_the_providing_component(
    definitions: CatalogResult,
) -> None:
    assert set(endpoints(definitions)) == {"orders:POST /orders", "orders:DELETE /orders/{id}"}
    assert {endpoint.system for endpoint in endpoints(definitions).values()} == {"orders"}


def test_the_providing_component_keeps_the_record_the_catalog_gives_it(
    definitions: CatalogResult,
) -> None:
    orders = systems(definitions)["orders"]
    assert (orders.kind, orders.provenance) == ("service", DECLARED)


def test_consumers_call_each_endpoint_over_their_integration(
    definitions: CatalogResult,
) -> None:
    web_shop, billing = ORDERS_INTEGRATION.format("web-shop"), ORDERS_INTEGRATION.format("billing")
    assert {
        ("web-shop", "orders:POST /orders", web_shop),
        ("orders:POST /orders", "web-shop", web_shop),
        ("billing", "orders:DELETE /orders/{id}", billing),
    } <= flows_via(definitions)


def test_an_endpoint_without_a_response_body_sends_nothing_back(
    definitions: CatalogResult,
) -> None:
    backwards = {(start, end) for start, end, _ in flows_via(definitions)}
    assert ("orders:DELETE /orders/{id}", "web-shop") not in backwards
    assert ("web-shop", "orders:DELETE /orders/{id}") in backwards


def test_consumers_of_an_event_api_receive_what_the_provider_sends(
    definitions: CatalogResult,
) -> None:
    via = "int:backstage:orders--order-events-->web-shop"
    found = flows_via(definitions)
    assert ("orders", "kafka:orders.placed", None) in found  # from the inline AsyncAPI spec
    assert ("kafka:orders.placed", "web-shop", via) in found
    assert ("web-shop", "kafka:orders.cancel", via) in found  # the provider receives there


def test_what_a_definition_says_is_parsed_and_who_calls_it_declared(
    definitions: CatalogResult,
) -> None:
    methods = {
        type(record).__name__: record.provenance.method
        for record in definitions.records
        if isinstance(record, Endpoint | Field)
    }
    assert methods == {"Endpoint": Method.PARSED, "Field": Method.PARSED}
    calls = [r for r in definitions.records if isinstance(r, Edge) and r.via]
    assert calls and {call.provenance for call in calls} == {DECLARED}


def test_definitions_read_are_counted_and_nothing_is_rejected(
    definitions: CatalogResult,
) -> None:
    summary = definitions.source.summary
    assert (summary["definitions"], summary["rejected"], summary["warnings"]) == (2, 0, 0)


def test_a_definition_that_cannot_be_read_is_a_warning_on_its_api() -> None:
    result = read_catalog([FIXTURES / "definitions_broken" / "catalog-info.yaml"])
    assert [(problem.document, problem.pointer) for problem in result.warnings] == [
        (1, "/spec/definition/$text"),
        (2, "/spec/definition/$text"),
        (3, "/spec/definition/$text"),
        (4, "/spec/definition"),
        (5, "/spec/definition"),
    ]
    reasons = [problem.reason for problem in result.warnings]
    assert "leaves the catalog folder" in reasons[0]
    assert reasons[1] == "'https://example.com/openapi.yaml' is a URL: not fetched"
    assert reasons[2] == "'./nowhere.yaml': no such file"
    assert reasons[3] == "definition: not an OpenAPI or Swagger document (no 'openapi' key)"
    assert reasons[4] == "definition#/paths/~1broken/get: operation is not an object"


def test_the_readable_part_of_a_broken_definition_still_loads() -> None:
    result = read_catalog([FIXTURES / "definitions_broken" / "catalog-info.yaml"])
    assert set(endpoints(result)) == {"orders:GET /ok"}
    assert (result.rejected, result.definitions) == (0, 1)


def test_a_change_in_a_definition_file_changes_the_content_hash(tmp_path: Path) -> None:
    copy = shutil.copytree(DEFINITIONS, tmp_path / "definitions")
    before = read_catalog([copy]).source.content_hash
    spec = copy / "specs" / "orders.yaml"
    spec.write_text(spec.read_text().replace("email: {type: string", "mail: {type: string"))
    assert read_catalog([copy]).source.content_hash != before


def test_the_content_hash_of_definitions_follows_the_bytes_not_the_place(tmp_path: Path) -> None:
    copy = shutil.copytree(DEFINITIONS, tmp_path / "definitions")
    assert (
        read_catalog([copy]).source.content_hash == read_catalog([DEFINITIONS]).source.content_hash
    )


def test_a_definition_written_as_yaml_is_read_like_text() -> None:
    # the version is a date to YAML: it must not stop the spec from being read
    result = read_catalog([FIXTURES / "definition-as-yaml.catalog.yaml"])
    assert set(endpoints(result)) == {"orders:GET /orders"}
    assert result.warnings == []
