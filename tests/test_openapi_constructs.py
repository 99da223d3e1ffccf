"""OpenAPI 3.1 constructs, one behaviour each (fixture: tests/fixtures/api/constructs)."""

from __future__ import annotations

import pytest

from ingest.openapi import read_openapi
from ingest.records import Edge, EdgeKind, Endpoint, Field
from tests.conftest import FIXTURES

SPEC = FIXTURES / "api" / "constructs" / "billing.yaml"


@pytest.fixture(scope="module")
def billing():
    return read_openapi(SPEC)


def fields(spec) -> dict[str, Field]:
    return {r.key: r for r in spec.records if isinstance(r, Field)}


def uses(spec) -> set[tuple[str, str]]:
    return {
        (e.start.key, e.end.key)
        for e in spec.records
        if isinstance(e, Edge) and e.kind is EdgeKind.USES
    }


def endpoint(spec, key: str) -> Endpoint:
    return next(r for r in spec.records if isinstance(r, Endpoint) and r.key == key)


def test_system_comes_from_x_flowatlas_system_in_info(billing):
    assert {r.system for r in billing.records if isinstance(r, Endpoint)} == {"billing"}


def test_operation_metadata_is_kept(billing):
    get = endpoint(billing, "billing:GET /invoices/{invoice_id}")
    assert (get.operation_id, get.summary, get.tags, get.deprecated) == (
        "getInvoice",
        "One invoice",
        ("invoices",),
        True,
    )


def test_security_is_inherited_unless_the_operation_sets_its_own(billing):
    assert endpoint(billing, "billing:GET /invoices/{invoice_id}").security == ("oauth",)
    assert endpoint(billing, "billing:DELETE /payers/{payer_id}").security == ("apiKey",)


def test_all_of_uses_the_base_schema_and_keeps_its_own_properties(billing):
    assert ("billing:invoice", "billing:base") in uses(billing)
    assert "billing:invoice#amount" in fields(billing)


def test_type_list_of_3_1_reads_as_its_non_null_type_and_required_is_kept(billing):
    amount = fields(billing)["billing:invoice#amount"]
    assert (amount.type, amount.required) == ("number", True)


def test_enum_values_are_kept(billing):
    assert fields(billing)["billing:invoice#status"].enum == ("draft", "sent", "paid")


def test_additional_properties_become_a_star_field(billing):
    assert fields(billing)["billing:invoice#metadata.*"].type == "string"


def test_any_of_uses_each_alternative(billing):
    assert {("billing:payer", "billing:person"), ("billing:payer", "billing:company")} <= uses(
        billing
    )


def test_recursive_schema_uses_itself_once(billing):
    assert ("billing:line#parent", "billing:line") in uses(billing)
    assert [k for k in fields(billing) if k.startswith("billing:line#")] == [
        "billing:line#sku",
        "billing:line#parent",
    ]


def test_format_ipv4_is_personal_data_with_its_evidence(billing):
    ip = fields(billing)["billing:person#client_ip"]
    assert (ip.pii_category, ip.pii_evidence) == ("ip_address", "format: ipv4")


def test_explicit_x_pii_category_wins_with_full_confidence(billing):
    tax = fields(billing)["billing:person#tax_ref"]
    assert (tax.pii_category, tax.pii_confidence, tax.classification) == (
        "national_id",
        1.0,
        "restricted",
    )


def test_x_pii_false_clears_a_field(billing):
    assert fields(billing)["billing:person#nickname"].pii_category is None


def test_x_classification_sets_the_classification_only(billing):
    notes = fields(billing)["billing:person#notes"]
    assert (notes.classification, notes.pii_category) == ("internal", None)


def test_delete_of_a_payer_by_id_is_an_erasure_candidate(billing):
    assert endpoint(billing, "billing:DELETE /payers/{payer_id}").erasure_candidate is True


def test_a_clean_spec_reports_no_problems_and_reconciles(billing):
    summary = billing.info.summary
    assert billing.problems == []
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (5, 5, 0)


def test_delete_of_a_resource_holding_personal_data_is_an_erasure_candidate(billing):
    # "travel-profiles" is no known person noun: the profile's own passport number decides
    assert endpoint(billing, "billing:DELETE /travel-profiles/{profile_id}").erasure_candidate


def test_delete_of_a_resource_that_only_refers_to_a_person_is_not(billing):
    # an invoice names its payer by reference; voiding it erases no person
    assert endpoint(billing, "billing:DELETE /invoices/{invoice_id}").erasure_candidate is None
