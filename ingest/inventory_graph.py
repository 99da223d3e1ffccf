"""From validated inventory rows to graph records, with the checks that need all sheets:
duplicate ids, system names and aliases, what an issue's ``where`` or a field mapping's
``integration_id`` points at, and the data-quality findings.

Records produced (docs/inventory.md): a ``System`` per system (aliases stored), an
``Integration`` per integration with ``FLOWS_TO`` System -> Integration -> System (and the
reverse pair when bidirectional), ``Dataset``/``Field`` records with containment for every
field named, ``FLOWS_TO`` field -> field with ``via`` the integration, ``Issue`` records for
the issues sheet (category ``known_issue``) and for findings, all ``DECLARED``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from ingest.inventory_files import Location
from ingest.inventory_findings import (
    Finding,
    integration_findings,
    probable_duplicates,
    unknown_field,
    unknown_system,
)
from ingest.inventory_names import Accepted, AliasEntry, SystemNames, keyable
from ingest.inventory_rows import (
    Direction,
    FieldMappingRow,
    FieldRef,
    IntegrationRow,
    IssueRow,
    SystemRow,
    cached_system_key,
    parse_field_ref,
)
from ingest.pii import pii_properties
from ingest.records import (
    Dataset,
    Edge,
    EdgeKind,
    Field,
    Integration,
    Issue,
    NodeKind,
    NodeRecord,
    NodeRef,
    Record,
    System,
    dataset_key,
    field_key,
    flows_to,
    ref,
    system_key,
)

Reject = Callable[[Location, str], None]


def integration_key(identifier: str) -> str:
    """``"int:"`` + the id normalised like a system name: ``"INT 7"`` and ``"int-7"`` are one."""
    return f"int:{cached_system_key(identifier)}"


def issue_key(row: IssueRow) -> str:
    if row.id:
        return f"issue:{cached_system_key(row.id)}"
    # No id: the issue is what it says about where, which stays put when rows move.
    text = f"{row.where.strip().lower()}\n{row.title.strip().lower()}"
    return f"issue:{hashlib.sha256(text.encode()).hexdigest()[:12]}"


class InventoryGraph:
    """Builds the records of one inventory; rows it cannot place are passed to ``reject``."""

    def __init__(
        self, reject: Reject, warnings: list[str], today: date, stale_after_days: int
    ) -> None:
        self._reject = reject
        self._warnings = warnings
        self._today = today
        self._stale_after_days = stale_after_days
        self.names = SystemNames(warnings)
        self._integrations: dict[str, Accepted[IntegrationRow]] = {}
        self._nodes: dict[tuple[NodeKind, str], NodeRecord] = {}
        self._edges: dict[tuple[EdgeKind, str, str, str], Edge] = {}
        self._findings: dict[str, Finding] = {}
        self._fields: dict[FieldRef, NodeRef] = {}  # field references already placed

    # -- the pipeline ------------------------------------------------------------------

    def build(self, accepted: dict[str, list[Accepted[Any]]], aliases: list[AliasEntry]) -> None:
        self._define_systems(accepted.get("systems", []), aliases)
        integrations = self._unique(
            accepted.get("integrations", []), lambda r: integration_key(r.id), "id", "id"
        )
        for item in integrations:
            self._integrations[integration_key(item.row.id)] = item
            for column in ("source_system", "target_system"):
                self.names.mention(getattr(item.row, column), item.location.at(column))
        issues = self._place_issues(accepted.get("issues", []))
        mappings = self._place_mappings(accepted.get("field_mappings", []))
        with_issues = {target.key for _, target in issues if isinstance(target, NodeRef)}
        for key, item in self._integrations.items():
            self._integration(key, item, has_issue_row=key in with_issues)
        for mapping in mappings:
            self._mapping(mapping)
        for issue, target in issues:
            self._issue(issue, target)
        for finding in probable_duplicates(self.names.entries()):
            self._finding(finding)

    def records(self) -> list[Record]:
        systems = self._systems()
        findings = [record for f in self._findings.values() for record in f.records()]
        return [*systems, *self._nodes.values(), *self._edges.values(), *findings]

    def findings(self) -> list[Finding]:
        return list(self._findings.values())

    # -- sheet-wide checks -------------------------------------------------------------

    def _unique(
        self,
        items: Iterable[Accepted[Any]],
        key_of: Callable[[Any], str],
        column: str,
        what: str,
    ) -> list[Accepted[Any]]:
        """The first row of each key; later rows are rejected, naming the first."""
        first: dict[str, Accepted[Any]] = {}
        for item in items:
            key = key_of(item.row)
            if key not in first:
                first[key] = item
                continue
            earlier = first[key]
            where = f"{earlier.location.unit} {earlier.location.row}"
            value, was = getattr(item.row, column), getattr(earlier.row, column)
            if value is None:  # an issue without id: its where and title repeat
                at, reason = "title", f"duplicate {what}: same where and title as {where}"
            else:
                same = f"{was!r} " if was != value else ""
                at, reason = column, f"duplicate {what} {value!r}: same as {same}{where}"
            self._reject(item.location.at(at), reason)
        return list(first.values())

    def _define_systems(self, items: list[Accepted[SystemRow]], aliases: list[AliasEntry]) -> None:
        systems = self._unique(items, lambda r: system_key(r.name), "name", "system name")
        for item in systems:
            self.names.define(item)
        # Aliases after every name is known, so an alias can be checked against all names.
        for item in systems:
            for alias in item.row.aliases:
                origin = str(item.location.at("aliases"))
                self.names.add_alias(alias, system_key(item.row.name), origin)
        for alias, canonical, origin in aliases:
            key = self.names.resolve(canonical)
            if key not in self.names.defined:
                self._warnings.append(
                    f"{origin}: {canonical!r}, given as the system of alias {alias!r},"
                    " is not in the systems sheet"
                )
            self.names.add_alias(alias, key, origin)

    def _place_issues(
        self, items: list[Accepted[IssueRow]]
    ) -> list[tuple[Accepted[IssueRow], NodeRef | FieldRef]]:
        placed = []
        for item in self._unique(items, issue_key, "id", "issue"):
            target = self._where(item.row.where)
            if target is None:
                self._reject(
                    item.location.at("where"),
                    f"{item.row.where!r} is not an integration id, a system or"
                    " system.dataset.field",
                )
            else:
                placed.append((item, target))
        return placed

    def _where(self, where: str) -> NodeRef | FieldRef | None:
        """Integration ids first, then systems (by name or alias), then field references."""
        if keyable(where):
            if (key := integration_key(where)) in self._integrations:
                return NodeRef(NodeKind.INTEGRATION, key)
            if self.names.known(key := self.names.resolve(where)):
                return NodeRef(NodeKind.SYSTEM, key)
        try:
            return parse_field_ref(where)
        except ValueError:
            return None

    def _place_mappings(self, items: list[Accepted[FieldMappingRow]]) -> list[Accepted[Any]]:
        placed = []
        for item in items:
            if integration_key(item.row.integration_id) in self._integrations:
                placed.append(item)
            else:
                self._reject(
                    item.location.at("integration_id"),
                    f"{item.row.integration_id!r} is not the id of an accepted integration",
                )
        return placed

    # -- records -----------------------------------------------------------------------

    def _integration(self, key: str, item: Accepted[IntegrationRow], has_issue_row: bool) -> None:
        row, location = item.row, item.location
        integration = Integration(
            key,
            name=row.name or row.id,
            direction=row.direction.value if row.direction else None,
            frequency=row.frequency,
            transport=row.transport,
            owner=row.owner,
            status=row.status,
            classification=row.classification,
            auth_method=row.auth_method,
            sla=row.sla,
            monitoring=row.monitoring,
            last_reviewed=row.last_reviewed.isoformat() if row.last_reviewed else None,
            known_issues=row.known_issues,
        )
        self._node(integration)
        ends = [self._end(row, key, location, c) for c in ("source_system", "target_system")]
        pairs = [(ends[0], ends[1])]
        if row.direction is Direction.BIDIRECTIONAL:
            pairs.append((ends[1], ends[0]))
        for upstream, downstream in pairs:
            self._edge(flows_to(upstream, ref(integration)))
            self._edge(flows_to(ref(integration), downstream))
        if row.fields:
            via, at_fields = ref(integration), location.at("fields")
            for mapping in row.fields:
                source = self._field(mapping.source, at_fields, via)
                target = self._field(mapping.target, at_fields, via)
                self._flow(source, target, key, None)
        for finding in integration_findings(
            row,
            key,
            location,
            has_issue_row=has_issue_row,
            today=self._today,
            stale_after_days=self._stale_after_days,
        ):
            self._finding(finding)

    def _end(self, row: IntegrationRow, key: str, location: Location, column: str) -> NodeRef:
        name = getattr(row, column)
        system = self.names.mention(name, location.at(column))
        if system not in self.names.defined:
            self._finding(unknown_system(row.id, key, system, name, location.at(column)))
        return NodeRef(NodeKind.SYSTEM, system)

    def _mapping(self, item: Accepted[FieldMappingRow]) -> None:
        row = item.row
        key = integration_key(row.integration_id)
        via = NodeRef(NodeKind.INTEGRATION, key)
        source = self._field(row.source_field, item.location.at("source_field"), via)
        target = self._field(row.target_field, item.location.at("target_field"), via)
        self._flow(source, target, key, row.transform)

    def _issue(self, item: Accepted[IssueRow], target: NodeRef | FieldRef) -> None:
        row = item.row
        issue = Issue(
            issue_key(row),
            title=row.title,
            impact=row.impact,
            frequency=row.frequency,
            status=row.status,
            category="known_issue",
            evidence=item.location.evidence(),
        )
        self._node(issue)
        if isinstance(target, FieldRef):
            target = self._field(target, item.location.at("where"), None)
        self._edge(Edge(EdgeKind.AFFECTS, ref(issue), target))

    def _field(self, field_ref: FieldRef, location: Location, via: NodeRef | None) -> NodeRef:
        """Dataset and Field records (with containment) for ``field_ref``. A reference seen
        before adds nothing: its records and finding are kept as first made."""
        if (known := self._fields.get(field_ref)) is not None:
            return known
        self._fields[field_ref] = node = self._new_field(field_ref, location, via)
        return node

    def _new_field(self, field_ref: FieldRef, location: Location, via: NodeRef | None) -> NodeRef:
        system = self.names.mention(field_ref.system, location)
        dataset = Dataset(
            dataset_key(system, field_ref.dataset), name=field_ref.dataset, system=system
        )
        field = Field(
            field_key(dataset.key, field_ref.field),
            name=field_ref.field,
            dataset=dataset.key,
            **pii_properties(field_ref.field, context=field_ref.dataset),
        )
        self._node(dataset)
        self._node(field)
        self._edge(Edge(EdgeKind.HAS_DATASET, NodeRef(NodeKind.SYSTEM, system), ref(dataset)))
        self._edge(Edge(EdgeKind.HAS_FIELD, ref(dataset), ref(field)))
        if system not in self.names.defined:
            also = (via,) if via else ()
            self._finding(
                unknown_field(str(field_ref), field.key, field_ref.system, location, also)
            )
        return ref(field)

    def _flow(self, source: NodeRef, target: NodeRef, via: str, transform: str | None) -> None:
        edge = flows_to(source, target, transform=transform, via=via)
        identity = _identity(edge)
        known = self._edges.get(identity)
        if known is None or (known.via == via and transform and not known.transform):
            # A field_mappings row adds the transform to the field list's bare mapping.
            self._edges[identity] = edge
        elif known.via != via:
            self._warnings.append(
                f"field flow {source.key} -> {target.key} is listed for integrations"
                f" {known.via} and {via}; the graph keeps one FLOWS_TO edge, via {known.via}"
            )

    def _systems(self) -> list[System]:
        systems = []
        for key, item in self.names.defined.items():
            row = item.row
            systems.append(
                System(
                    key,
                    name=row.name,
                    kind=row.kind,
                    owner=row.owner,
                    team=row.team,
                    criticality=row.criticality,
                    holds_personal_data=row.holds_personal_data,
                    erasure_method=row.erasure_method.value if row.erasure_method else None,
                    erasure_endpoint=row.erasure_endpoint,
                    retention=row.retention,
                    aliases=tuple(self.names.aliases_of[key]) or None,
                )
            )
        for key, (name, _) in self.names.mentioned.items():
            systems.append(
                System(key, name=name, aliases=tuple(self.names.aliases_of[key]) or None)
            )
        return systems

    def _node(self, record: NodeRecord) -> None:
        self._nodes.setdefault((record.KIND, record.key), record)

    def _edge(self, edge: Edge) -> None:
        self._edges.setdefault(_identity(edge), edge)

    def _finding(self, finding: Finding) -> None:
        self._findings.setdefault(finding.key, finding)


def _identity(edge: Edge) -> tuple[EdgeKind, str, str, str]:
    return (
        edge.kind,
        f"{edge.start.kind}:{edge.start.key}",
        f"{edge.end.kind}:{edge.end.key}",
        edge.key,
    )
