"""AsyncAPI 2.x and 3.x specs as topics, message fields and event flows.

A spec describes one application. Its channels become ``topic`` datasets of the broker
(``x-flowatlas-broker`` at the root, else the server's ``x-flowatlas-system``, else its
protocol: ``kafka``, ``amqp``...); a message payload's fields are the topic's fields, or,
for a ``$ref`` payload, those of the schema the topic ``USES``. An application that sends
to a channel ``FLOWS_TO`` its topic; one that receives from it is downstream of the topic.
In AsyncAPI 2, ``subscribe`` means the application sends and ``publish`` that it receives.
"""

from __future__ import annotations

from pathlib import Path

from ingest.api_schemas import PARSED, SchemaGraph, operations_summary
from ingest.collector import collector_paused
from ingest.openapi import ApiSpec, has_system_key, serving_system
from ingest.records import (
    Dataset,
    DatasetKind,
    SourceInfo,
    System,
    contains,
    dataset_key,
    flows_to,
    ref,
    system_key,
)
from ingest.spec_files import SpecDocuments, SpecFileError, pointer

ASYNCAPI_KIND = "asyncapi"
NEEDS_ACTION_AND_CHANNEL = (
    "operation needs an action (send or receive) and a $ref to a channel of this spec"
)
_V2_ACTIONS = {"subscribe": "send", "publish": "receive"}


def read_asyncapi(
    path: Path, *, system: str | None = None, broker: str | None = None, root: Path | None = None
) -> ApiSpec:
    with collector_paused():  # see read_openapi
        return _read_asyncapi(Path(path), system, broker, root)


def _read_asyncapi(
    path: Path, system: str | None, broker: str | None, root: Path | None
) -> ApiSpec:
    docs = SpecDocuments(root=Path(root or path.parent), entry=path)
    spec = docs.document
    if not isinstance(spec, dict) or "asyncapi" not in spec:
        raise SpecFileError(f"{path}: not an AsyncAPI document (no 'asyncapi' key)")
    name = serving_system(spec, system, path)
    app = System(system_key(name), name=name, provenance=PARSED)
    graph = SchemaGraph(docs, app)
    reader = _Channels(graph, spec, docs.entry_uri, _broker(spec, broker))
    reader.read_all()
    graph.drain()
    info = SourceInfo(
        key=f"{ASYNCAPI_KIND}:{path.resolve().as_posix()}",
        kind=ASYNCAPI_KIND,
        uri=str(path),
        content_hash=docs.digest.hexdigest() + f"{system or ''}|{broker or ''}",
        summary=operations_summary(reader.read, reader.rejected, len(graph.problems)),
    )
    return ApiSpec(info, graph.records(), graph.problems, reader.read, reader.rejected)


def _broker(spec: dict, given: str | None) -> str:
    servers = spec.get("servers") if isinstance(spec.get("servers"), dict) else {}
    named = [given, spec.get("x-flowatlas-broker")]
    for server in servers.values():
        if isinstance(server, dict):
            named += [server.get("x-flowatlas-system"), server.get("protocol")]
    for name in named:
        if isinstance(name, str) and has_system_key(name):
            return name
    return "message-broker"


class _Channels:
    def __init__(self, graph: SchemaGraph, spec: dict, base: str, broker: str):
        self.graph = graph
        self.spec = spec
        self.base = base
        self.broker = System(system_key(broker), name=broker, provenance=PARSED)
        graph.nodes.setdefault(self.broker.key, self.broker)
        self.version = str(spec.get("asyncapi", ""))
        self.read = 0
        self.rejected = 0
        self.topics: dict[str, Dataset] = {}

    def read_all(self) -> None:
        channels = self.spec.get("channels")
        if not isinstance(channels, dict):
            self.graph.problem(self.base, "#/channels", "channels is not an object")
            return
        for name, channel in channels.items():
            where = pointer("channels", name)
            if not isinstance(channel, dict):
                self.graph.problem(self.base, where, "channel is not an object")
                continue
            topic = self.topic(name, channel, where)
            if topic is None:
                continue
            for message, here in self._channel_messages(channel, where):
                self.payload(topic, message, here)
            if self.version.startswith("2"):
                for verb, action in _V2_ACTIONS.items():
                    if verb in channel:
                        self.operation(topic, action, channel[verb], f"{where}/{verb}")
        if not self.version.startswith("2"):
            self.operations_v3()

    def topic(self, name: str, channel: dict, where: str) -> Dataset | None:
        address = channel.get("address") if isinstance(channel.get("address"), str) else name
        try:
            key = dataset_key(self.broker.key, address)
        except ValueError as e:  # an empty address names no topic
            self.graph.problem(self.base, where, f"channel address {address!r}: {e}")
            return None
        dataset = Dataset(
            key, name=address, system=self.broker.key, kind=DatasetKind.TOPIC, provenance=PARSED
        )
        self.graph.nodes.setdefault(key, dataset)
        self.graph.edge(contains(self.broker, dataset, PARSED))
        self.topics[name] = dataset
        return dataset

    def operation(self, topic: Dataset, action: str, op, where: str) -> None:
        self.read += 1
        if not isinstance(op, dict):
            self.rejected += 1
            self.graph.problem(self.base, where, "operation is not an object")
            return
        if isinstance(op.get("message"), dict):
            self.payload(topic, self._deref(op["message"], f"{where}/message"), where)
        self.flow(topic, action)

    def operations_v3(self) -> None:
        operations = self.spec.get("operations")
        for name, op in operations.items() if isinstance(operations, dict) else ():
            where = pointer("operations", name)
            self.read += 1
            channel = op.get("channel") if isinstance(op, dict) else None
            target = channel.get("$ref") if isinstance(channel, dict) else None
            target = target if isinstance(target, str) else ""
            topic = self.topics.get(target.rsplit("/", 1)[-1].replace("~1", "/"))
            if topic is None or op.get("action") not in ("send", "receive"):
                self.rejected += 1
                self.graph.problem(self.base, where, NEEDS_ACTION_AND_CHANNEL)
                continue
            self.flow(topic, op["action"])

    def flow(self, topic: Dataset, action: str) -> None:
        app = self.graph.system
        edge = (
            flows_to(ref(app), ref(topic)) if action == "send" else flows_to(ref(topic), ref(app))
        )
        self.graph.edge(flows_to(edge.start, edge.end, provenance=PARSED))

    def payload(self, topic: Dataset, message, where: str) -> None:
        if not isinstance(message, dict):
            return
        for i, variant in enumerate(message.get("oneOf") or []):
            self.payload(topic, self._deref(variant, f"{where}/oneOf/{i}"), f"{where}/oneOf/{i}")
        if "payload" in message:
            self.graph.walk(topic, message["payload"], "", self.base, f"{where}/payload", 0)

    def _channel_messages(self, channel: dict, where: str):
        messages = channel.get("messages")  # AsyncAPI 3
        for key, message in messages.items() if isinstance(messages, dict) else ():
            here = where + pointer("messages", key)[1:]  # names escaped as pointer parts
            yield self._deref(message, here), here

    def _deref(self, node, where: str):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            try:
                return self.graph.docs.resolve(node["$ref"], self.base)[1]
            except SpecFileError as e:
                self.graph.problem(self.base, where, str(e))
                return None
        return node
