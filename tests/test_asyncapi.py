"""AsyncAPI specs as topics, message fields and event flows (ingest/asyncapi.py)."""

from __future__ import annotations

from ingest.asyncapi import read_asyncapi
from ingest.records import Dataset, DatasetKind, Edge, EdgeKind, Field
from tests.conftest import FIXTURES

API = FIXTURES / "api"


def flows(spec) -> set[tuple[str, str]]:
    return {
        (e.start.key, e.end.key)
        for e in spec.records
        if isinstance(e, Edge) and e.kind is EdgeKind.FLOWS_TO
    }


def test_v2_subscribe_means_the_application_sends():
    spec = read_asyncapi(API / "events2.yaml")
    assert ("order-service", "kafka:orders.v1") in flows(spec)
    assert ("kafka:shipments.v1", "order-service") in flows(spec)


def test_channels_are_topics_of_the_broker_with_payload_fields():
    spec = read_asyncapi(API / "events2.yaml")
    topics = {r.key: r for r in spec.records if isinstance(r, Dataset)}
    assert topics["kafka:orders.v1"].kind is DatasetKind.TOPIC
    fields = {r.key: r for r in spec.records if isinstance(r, Field)}
    assert fields["kafka:orders.v1#email"].pii_category == "email"


def test_referenced_message_payload_is_used_by_the_topic():
    spec = read_asyncapi(API / "events2.yaml")
    used = {
        (e.start.key, e.end.key)
        for e in spec.records
        if isinstance(e, Edge) and e.kind is EdgeKind.USES
    }
    assert ("kafka:shipments.v1", "order-service:shipment") in used


def test_v3_operations_and_a_broken_one_is_rejected_by_pointer():
    spec = read_asyncapi(API / "events3.yaml")
    assert ("inventory-service", "kafka:stock.v1") in flows(spec)
    assert [str(p) for p in spec.problems] == [
        f"{API / 'events3.yaml'}#/operations/broken: operation needs an action (send or receive)"
        " and a $ref to a channel of this spec"
    ]
    summary = spec.info.summary
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (2, 1, 1)
