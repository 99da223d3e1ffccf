"""Unconfirmed name-similarity suggestions (graph/api_suggestions.py) on a small graph.

``shop`` serves ``GET /customers/{id}``, which returns ``Customer`` (``customerId``,
``email``, ``zip``, ``id``). Elsewhere:

- ``crm:contacts`` (a table) has ``customer_id``, ``email`` and ``zip``; the API's ``email``
  flows to ``crm:contacts#email`` and on to ``wh:mirror#email``, and ``wh:exports#email``
  flows into the API's ``email``: all three are connected, none may be suggested;
- ``wh:customers`` (no kind, as SQL leaves it) has ``customer_id``, ``email_address`` and
  ``zipper_count`` (which only contains ``zip``);
- ``ledger:entries`` has ``customer_id`` and ``id``;
- ``partner:Profile`` is another API's schema with an ``email``: never a candidate.
"""

from __future__ import annotations

import pytest
from neo4j import Driver

from graph.api_catalog import endpoint_fields
from graph.api_suggestions import name_score, own_name, suggestions, words
from graph.loader import load_source
from graph.stats import graph_stats
from ingest.records import DatasetKind, Endpoint, SourceInfo, endpoint_key, field_key
from tests.test_api_catalog import ApiGraph

SOURCE = SourceInfo("records:suggestions", "records", "suggestions", "h")
ENDPOINT = endpoint_key("shop", "GET", "/customers/{id}")


def suggestion_records() -> list:
    g = ApiGraph()
    for key in ("shop", "crm", "wh", "ledger", "partner"):
        g.system(key, key.upper())
    customer = g.dataset("shop", "Customer")
    fields = {name: g.field(customer, name) for name in ("customerId", "email", "zip", "id")}
    get = Endpoint(ENDPOINT, system="shop", method="GET", path="/customers/{id}")
    g.child(g.systems["shop"], get)
    g.uses(get, customer, "response:200")
    contacts = g.dataset("crm", "contacts", DatasetKind.TABLE)
    crm = {name: g.field(contacts, name) for name in ("customer_id", "email", "zip")}
    g.flow(fields["email"], crm["email"])
    g.flow(crm["email"], g.field(g.dataset("wh", "mirror"), "email"))
    g.flow(g.field(g.dataset("wh", "exports"), "email"), fields["email"])
    customers = g.dataset("wh", "customers", None)
    for name in ("customer_id", "email_address", "zipper_count"):
        g.field(customers, name)
    entries = g.dataset("ledger", "entries", DatasetKind.TABLE)
    g.field(entries, "customer_id")
    g.field(entries, "id")
    g.field(g.dataset("partner", "Profile"), "email")
    return g.records


@pytest.fixture
def estate(graph: Driver) -> Driver:
    load_source(graph, SOURCE, suggestion_records())
    return graph


def suggested(driver: Driver, **options) -> dict[str, list[str]]:
    found = suggestions(driver, endpoint_fields(driver, ENDPOINT), **options)
    return {path: list(rows["suggested_key"]) for path, rows in found.groupby("path")}


def test_words_split_camel_case_and_punctuation() -> None:
    assert words("customerId") == ["customer", "id"]
    assert words("lines[].unit_price") == ["lines", "unit", "price"]


def test_own_name_is_the_last_step_of_a_path() -> None:
    assert own_name("customer.address.city") == "city"
    assert own_name("lines[].sku") == "sku"
    assert own_name("metadata.*") == "metadata"


def test_name_score_ranks_same_words_over_shared_words_over_others() -> None:
    same = name_score("customerId", "customer_id")
    shared = name_score("email", "email_address")
    other = name_score("email", "postcode")
    assert same == 100
    assert same > shared > other
    assert name_score("customer.email", "email") == 100  # by the field's own name


def test_similar_names_are_suggested_and_marked_unconfirmed(estate: Driver) -> None:
    found = suggestions(estate, endpoint_fields(estate, ENDPOINT))
    rows = found.set_index("suggested_key")
    assert rows.loc[field_key("wh:customers", "customer_id"), "path"] == "customerId"
    assert set(found["status"]) == {"unconfirmed"}
    assert found["score"].between(80, 100).all()


def test_fields_a_flow_connects_are_not_suggested(estate: Driver) -> None:
    # downstream one and two hops, and upstream: all already connected to the API's email
    assert suggested(estate)["email"] == [field_key("wh:customers", "email_address")]


def test_other_api_schemas_are_never_suggested(estate: Driver) -> None:
    everything = suggested(estate, min_score=0)
    assert field_key("partner:profile", "email") not in everything["email"]


def test_dissimilar_names_are_not_suggested(estate: Driver) -> None:
    assert suggested(estate)["zip"] == [field_key("crm:contacts", "zip")]
    assert field_key("wh:customers", "zipper_count") in suggested(estate, min_score=0)["zip"]


def test_at_most_per_field_suggestions_best_first(estate: Driver) -> None:
    found = suggestions(estate, endpoint_fields(estate, ENDPOINT), per_field=2)
    customer_id = found[found["path"] == "customerId"]
    assert len(customer_id) == 2
    assert list(customer_id["score"]) == sorted(customer_id["score"], reverse=True)
    assert len(suggested(estate, per_field=3)["customerId"]) == 3


def test_a_name_without_a_word_of_three_letters_gets_no_suggestion(estate: Driver) -> None:
    assert "id" not in suggested(estate, min_score=0)


def test_suggesting_writes_nothing(estate: Driver) -> None:
    before = graph_stats(estate).checksum
    assert suggested(estate)
    assert graph_stats(estate).checksum == before


def test_past_the_candidate_limit_exact_names_are_kept_first(
    estate: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("graph.api_suggestions.CANDIDATE_LIMIT", 2)
    # by key alone, crm:contacts#customer_id and #email would fill the two places
    assert suggested(estate, min_score=0)["zip"] == [field_key("crm:contacts", "zip")]
