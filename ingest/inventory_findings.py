"""Data-quality findings about an inventory: what an owner should look at, not errors.

A row that validates is loaded as it is; the rules below then point at what it leaves
open (no owner, no monitoring, a red status nobody explained, ...). Each finding becomes
an ``Issue`` whose category is the rule's name, with ``AFFECTS`` edges to what it is about.
Its key is built from the rule and the target, never from a row number, so the same
finding keeps the same node when rows move.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np
from rapidfuzz import fuzz, process

from ingest.inventory_files import Location
from ingest.inventory_rows import IntegrationRow
from ingest.records import (
    Edge,
    EdgeKind,
    Issue,
    Method,
    NodeKind,
    NodeRef,
    Provenance,
    Record,
    Status,
    ref,
)

FOUND_BY_RULE = Provenance(Method.INFERRED, 1.0)
DUPLICATE_THRESHOLD = 90  # rapidfuzz score (0-100) from which two names look like one system


class Rule(StrEnum):
    UNKNOWN_SYSTEM = "unknown_system"
    NO_OWNER = "no_owner"
    NO_MONITORING = "no_monitoring"
    RED_WITHOUT_KNOWN_ISSUE = "red_without_known_issue"
    STALE_REVIEW = "stale_review"
    PROBABLE_DUPLICATE_SYSTEM = "probable_duplicate_system"
    UNKNOWN_FIELD = "unknown_field"


@dataclass(frozen=True)
class Finding:
    rule: Rule
    message: str
    evidence: str  # file[:sheet]:row N[:column]
    target: str  # key of the node the finding is about
    affects: tuple[NodeRef, ...]
    detail: str = ""  # tells apart findings of one rule about one target

    @property
    def key(self) -> str:
        suffix = f":{self.detail}" if self.detail else ""
        return f"finding:{self.rule.value}:{self.target}{suffix}"

    def records(self) -> list[Record]:
        # A finding is derived by a rule from declared rows, so it is inferred, not declared.
        issue = Issue(
            self.key,
            title=self.message,
            status="open",
            category=self.rule.value,
            evidence=self.evidence,
            provenance=FOUND_BY_RULE,
        )
        edges = (
            Edge(EdgeKind.AFFECTS, ref(issue), node, provenance=FOUND_BY_RULE)
            for node in self.affects
        )
        return [issue, *edges]


def integration_findings(
    row: IntegrationRow,
    key: str,
    location: Location,
    *,
    has_issue_row: bool,
    today: date,
    stale_after_days: int,
) -> list[Finding]:
    """The rules about one accepted integration row on its own."""
    target = (NodeRef(NodeKind.INTEGRATION, key),)
    label = f"integration {row.id!r}"
    found: list[Finding] = []

    def add(rule: Rule, column: str, message: str) -> None:
        found.append(Finding(rule, message, location.at(column).evidence(), key, target))

    if row.owner is None:
        add(Rule.NO_OWNER, "owner", f"{label} has no owner")
    if not row.monitored:
        said = f" (monitoring: {row.monitoring!r})" if row.monitoring else ""
        add(Rule.NO_MONITORING, "monitoring", f"{label} is not monitored{said}")
    if row.status is Status.RED and not row.known_issues and not has_issue_row:
        add(
            Rule.RED_WITHOUT_KNOWN_ISSUE,
            "status",
            f"{label} is red but has no known_issues text and no issues row points at it",
        )
    if row.last_reviewed is not None and (today - row.last_reviewed).days > stale_after_days:
        age = (today - row.last_reviewed).days
        add(
            Rule.STALE_REVIEW,
            "last_reviewed",
            f"{label} was last reviewed on {row.last_reviewed.isoformat()}, {age} days ago"
            f" (more than {stale_after_days})",
        )
    return found


def unknown_system(
    integration_id: str, integration_key: str, system: str, name: str, location: Location
) -> Finding:
    """``location`` carries the column (source_system or target_system)."""
    return Finding(
        Rule.UNKNOWN_SYSTEM,
        f"integration {integration_id!r} names {location.column} {name!r},"
        " which is not in the systems sheet",
        location.evidence(),
        integration_key,
        (NodeRef(NodeKind.INTEGRATION, integration_key), NodeRef(NodeKind.SYSTEM, system)),
        detail=system,
    )


def unknown_field(
    field: str, field_key: str, system: str, location: Location, also: tuple[NodeRef, ...] = ()
) -> Finding:
    return Finding(
        Rule.UNKNOWN_FIELD,
        f"field {field!r} belongs to system {system!r}, which is not in the systems sheet",
        location.evidence(),
        field_key,
        (NodeRef(NodeKind.FIELD, field_key), *also),
    )


@dataclass(frozen=True)
class SystemName:
    """One system as the inventory names it: ``defined`` when it has a systems row;
    ``location`` is that row, or else the first row that mentions it."""

    key: str
    name: str
    defined: bool
    location: Location


def similarity(a: str, b: str) -> int:
    """0-100 for two system keys. ``token_set_ratio`` scores 100 when the words of one name
    are all in the other ("crm" and "salesforce-crm"); the plain ratio of the names without
    separators catches typos and split words ("sales force" and "salesforce")."""
    spaced = fuzz.token_set_ratio(a.replace("-", " "), b.replace("-", " "))
    compact = fuzz.ratio(a.replace("-", ""), b.replace("-", ""))
    return round(max(spaced, compact))


def probable_duplicates(
    names: Sequence[SystemName], threshold: int = DUPLICATE_THRESHOLD
) -> list[Finding]:
    """Pairs of names that look like one system. Never merged: the finding suggests the
    alias that would merge them. ``names`` come in order of preference for the canonical
    name (systems rows first, in sheet order), so the earlier one is suggested as canonical."""
    keys = [name.key for name in names]
    return [
        _duplicate(names[first], names[second], score)
        for first, second, score in similar_pairs(keys, threshold)
    ]


def similar_pairs(keys: Sequence[str], threshold: int) -> Iterator[tuple[int, int, int]]:
    """``(i, j, similarity(keys[i], keys[j]))`` for every ``i < j`` scoring at least
    ``threshold``, in order of ``i`` then ``j``. Every pair is compared, in rapidfuzz's
    compiled ``cdist`` one block of rows at a time; the pairs it finds within a point of the
    threshold are then scored again with ``similarity`` itself, which decides."""
    spaced = [key.replace("-", " ") for key in keys]
    compact = [key.replace("-", "") for key in keys]
    near = threshold - 1  # similarity rounds: 89.5 already counts as 90
    for start in range(0, len(keys), _BLOCK):
        rows = slice(start, start + _BLOCK)
        scores = np.maximum(
            process.cdist(spaced[rows], spaced, scorer=fuzz.token_set_ratio, score_cutoff=near),
            process.cdist(compact[rows], compact, scorer=fuzz.ratio, score_cutoff=near),
        )
        for row, column in np.argwhere(scores >= near):
            first, second = start + int(row), int(column)
            if first < second and (score := similarity(keys[first], keys[second])) >= threshold:
                yield first, second, score


_BLOCK = 512  # rows of scores held at once: 512 x names


def _duplicate(canonical: SystemName, alias: SystemName, score: int) -> Finding:
    remove = " and remove its own systems row" if alias.defined else ""
    message = (
        f"{alias.name!r} and {canonical.name!r} look like the same system (similarity"
        f" {score}); if they are, add {alias.name!r} as an alias of {canonical.name!r}{remove}"
    )
    return Finding(
        Rule.PROBABLE_DUPLICATE_SYSTEM,
        message,
        alias.location.evidence(),
        alias.key,
        (NodeRef(NodeKind.SYSTEM, alias.key), NodeRef(NodeKind.SYSTEM, canonical.key)),
        detail=canonical.key,
    )
