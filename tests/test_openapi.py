"""OpenAPI / Swagger specs as endpoints, datasets and fields (ingest/openapi.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.api_specs import read_openapi_paths
from ingest.openapi import read_openapi
from ingest.records import Dataset, Edge, EdgeKind, Endpoint, Field, System
from ingest.spec_files import SpecFileError
from tests.conftest import FIXTURES

API = FIXTURES / "api"


@pytest.fixture(scope="module")
def multi():
    return read_openapi(API / "multi" / "spec.yaml")


def of(spec, kind):
    return {r.key: r for r in spec.records if isinstance(r, kind)}


def uses(spec) -> set[tuple[str, str, str]]:
    return {
        (e.start.key, e.end.key, e.key)
        for e in spec.records
        if isinstance(e, Edge) and e.kind is EdgeKind.USES
    }


def test_serving_system_comes_from_the_title_when_not_given(multi):
    assert "orders-api" in of(multi, System)
    assert read_openapi(API / "multi" / "spec.yaml", system="order-service").info.key == (
        multi.info.key
    )


def test_operations_become_endpoints_with_counts_that_reconcile(multi):
    assert set(of(multi, Endpoint)) == {
        "orders-api:POST /orders",
        "orders-api:DELETE /customers/{customer_id}",
    }
    summary = multi.info.summary
    assert summary["read"] == summary["accepted"] + summary["rejected"] == 2


def test_relative_file_ref_becomes_one_dataset_used_by_request_and_response(multi):
    assert ("orders-api:POST /orders", "orders-api:order", "request") in uses(multi)
    assert ("orders-api:POST /orders", "orders-api:post /orders response 201", "response:201") in (
        uses(multi)
    )
    assert ("orders-api:post /orders response 201", "orders-api:order", "") in uses(multi)
    assert ("orders-api:post /orders response 201", "orders-api:problem", "") in uses(multi)


def test_nested_inline_objects_arrays_and_maps_get_path_names(multi):
    fields = of(multi, Field)
    for name in ("email", "customer.full_name", "items", "items[].sku", "metadata.*", "notes.text"):
        assert f"orders-api:order#{name}" in fields, name
    email = fields["orders-api:order#email"]
    assert (email.type, email.format, email.required) == ("string", "email", True)
    assert fields["orders-api:order#status"].enum == ("new", "paid")


def test_referenced_schema_is_used_not_copied_and_recursion_is_finite(multi):
    assert ("orders-api:order#customer.address", "orders-api:address", "") in uses(multi)
    assert ("orders-api:order#items[].bundle", "orders-api:order", "") in uses(multi)
    assert "orders-api:order#customer.address.street" not in of(multi, Field)
    assert "orders-api:address#street" in of(multi, Field)


def test_personal_data_is_flagged_with_evidence(multi):
    email = of(multi, Field)["orders-api:order#email"]
    assert email.pii_category == "email" and email.pii_confidence > 0.9 and email.pii_evidence
    assert of(multi, Field)["orders-api:order#status"].pii_category is None


def test_delete_of_a_person_by_id_is_an_erasure_candidate(multi):
    assert of(multi, Endpoint)["orders-api:DELETE /customers/{customer_id}"].erasure_candidate


def test_consumers_call_the_endpoints(multi):
    flows = {
        (e.start.key, e.end.key)
        for e in multi.records
        if isinstance(e, Edge) and e.kind is EdgeKind.FLOWS_TO
    }
    assert ("web-shop", "orders-api:POST /orders") in flows
    assert ("orders-api:POST /orders", "web-shop") in flows


def test_swagger_body_parameter_definitions_and_headers():
    spec = read_openapi(API / "swagger.json")
    assert ("carrier-api:POST /labels", "carrier-api:label", "request") in uses(spec)
    fields = of(spec, Field)
    assert "carrier-api:post /labels parameters#header.x-api-key" in fields
    assert fields["carrier-api:label#consignee_email"].pii_category == "email"


def test_broken_refs_are_named_by_pointer_and_the_rest_loads():
    spec = read_openapi(API / "bad" / "refs.yaml")
    problems = [str(p) for p in spec.problems]
    where = str(API / "bad" / "refs.yaml")
    assert any(p.startswith(f"{where}#/paths/~1a/get/responses/200") for p in problems)
    assert any("no network fetches" in p and "~1b" in p for p in problems)
    assert any("leaves the spec's folder" in p and "~1c" in p for p in problems)
    assert f"{where}#/paths/~1d/post: operation is not an object" in problems
    assert "broken-refs:get /e response 200" in {d.key for d in of(spec, Dataset).values()}
    summary = spec.info.summary
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (5, 4, 1)


def test_yaml_alias_bomb_is_refused():
    with pytest.raises(SpecFileError, match="YAML aliases"):
        read_openapi(API / "bad" / "laughs.yaml")


def test_unsafe_yaml_tag_is_refused():
    with pytest.raises(SpecFileError, match="unsupported YAML tag"):
        read_openapi(API / "bad" / "tag.yaml")


def test_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr("ingest.spec_files.MAX_FILE_BYTES", 100)
    with pytest.raises(SpecFileError, match="the limit is"):
        read_openapi(API / "swagger.json")


def test_folder_reads_specs_and_skips_schema_files():
    run = read_openapi_paths([API / "multi"])
    assert [s.info.uri for s in run.specs] == [str(API / "multi" / "spec.yaml")]
    assert run.skipped == [str(API / "multi" / "schemas" / "order.yaml")]


def test_not_a_spec_given_explicitly_is_a_failure():
    run = read_openapi_paths([API / "events2.yaml"])
    assert run.specs == [] and "not an OpenAPI" in run.failed[0]


schemas = st.recursive(
    st.fixed_dictionaries({"type": st.sampled_from(["string", "integer", "boolean"])}),
    lambda inner: st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.just("object"),
                "properties": st.dictionaries(
                    st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner, max_size=4
                ),
            }
        ),
        st.fixed_dictionaries({"type": st.just("array"), "items": inner}),
        st.fixed_dictionaries({"$ref": st.sampled_from(["#/components/schemas/A", "#/nope"])}),
        st.fixed_dictionaries({"allOf": st.lists(inner, max_size=3)}),
    ),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=schemas, component=schemas)
def test_generated_specs_never_crash_and_reconcile(tmp_path, body, component):
    path = tmp_path / "spec.json"
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "gen", "version": "1"},
        "paths": {"/x": {"post": {
            "requestBody": {"content": {"application/json": {"schema": body}}},
            "responses": {"200": {"description": "ok"}},
        }}},
        "components": {"schemas": {"A": component}},
    }  # fmt: skip
    path.write_text(json.dumps(spec))
    result = read_openapi(path)
    summary = result.info.summary
    assert summary["read"] == summary["accepted"] + summary["rejected"] == 1
    keys = [getattr(r, "key", None) for r in result.records if not isinstance(r, Edge)]
    assert len(keys) == len(set(keys))
