"""Row models of the integration inventory: one pydantic model per sheet.

Cells arrive as the reader found them: always strings from CSV, numbers, dates and
booleans from XLSX and YAML too. The validators below accept every spelling the inventory
contract allows (docs/inventory.md) and turn anything else into a one-line reason that
names the bad value, so a rejected row tells its author what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from ingest.records import Classification, Status, system_key


class Direction(StrEnum):
    ONE_WAY = "one-way"
    BIDIRECTIONAL = "bidirectional"


class ErasureMethod(StrEnum):
    API = "api"
    MANUAL = "manual"
    NONE = "none"
    UNKNOWN = "unknown"


DIRECTION_ALIASES: dict[str, Direction] = {
    "one-way": Direction.ONE_WAY,
    "one way": Direction.ONE_WAY,
    "oneway": Direction.ONE_WAY,
    "uni": Direction.ONE_WAY,
    "unidirectional": Direction.ONE_WAY,
    "->": Direction.ONE_WAY,
    "bidirectional": Direction.BIDIRECTIONAL,
    "bi-directional": Direction.BIDIRECTIONAL,
    "bi": Direction.BIDIRECTIONAL,
    "two-way": Direction.BIDIRECTIONAL,
    "two way": Direction.BIDIRECTIONAL,
    "<->": Direction.BIDIRECTIONAL,
}
STATUS_ALIASES: dict[str, Status] = {status.value: status for status in Status} | {
    "amber": Status.YELLOW
}
TRUE_WORDS = frozenset({"yes", "y", "true", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})
# YAML reads a bare `no` as False, which as_text turns back into "no".
NOT_MONITORED = frozenset({"", "no", "none", "false"})

SCORE_RANGE = range(1, 6)
# Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in); 2958465 is 9999-12-31.
EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_SERIALS = range(1, 2958466)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DAY_FIRST_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
WHOLE_NUMBER = re.compile(r"\d+(?:\.0+)?")

ENTRY_SEPARATORS = re.compile(r"[;\r\n]+")
ARROW = re.compile(r"->|→")  # spreadsheets like to autocorrect "->" into "→"
ALIAS_SEPARATORS = re.compile(r"[;\r\n]+")


@lru_cache(maxsize=1 << 16)
def cached_system_key(name: str) -> str:
    """``system_key``, remembered: an inventory names the same systems over and over."""
    return system_key(name)


def problem(reason: str) -> PydanticCustomError:
    """A validation error whose message is exactly ``reason`` (no "Value error, " prefix)."""
    return PydanticCustomError("inventory", "{reason}", {"reason": reason})


# -- plain values ----------------------------------------------------------------------


def as_text(value: Any) -> str | None:
    """Any cell as trimmed text; ``None`` for an empty cell."""
    if type(value) is str:  # every CSV cell
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets store 1001 as 1001.0
    if isinstance(value, datetime) and value == datetime(value.year, value.month, value.day):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def required_text(value: Any) -> str:
    text = as_text(value)
    if text is None:
        raise problem("is required but empty")
    return text


def nameable(text: str) -> str:
    """Names that become keys need at least one letter or digit."""
    try:
        cached_system_key(text)
    except ValueError:
        raise problem(f"{text!r} has no letters or digits") from None
    return text


def _choice(value: Any, choices: dict[str, Any], what: str, allowed: str) -> Any:
    text = as_text(value)
    if text is None:
        return None
    choice = choices.get(text.lower())
    if choice is None:
        raise problem(f"{text!r} is not {what}: use {allowed}")
    return choice


def parse_direction(value: Any) -> Direction | None:
    return _choice(
        value,
        DIRECTION_ALIASES,
        "a direction",
        "one-way (or one way, uni, ->) or bidirectional (or bi, two-way, <->)",
    )


def parse_status(value: Any) -> Status | None:
    return _choice(value, STATUS_ALIASES, "a status", "green, yellow (or amber) or red")


CLASSIFICATIONS: dict[str, Classification] = {c.value: c for c in Classification}
ERASURE_METHODS: dict[str, ErasureMethod] = {m.value: m for m in ErasureMethod}


def parse_classification(value: Any) -> Classification | None:
    choices = CLASSIFICATIONS
    return _choice(value, choices, "a classification", ", ".join(choices))


def parse_erasure_method(value: Any) -> ErasureMethod | None:
    choices = ERASURE_METHODS
    return _choice(value, choices, "an erasure method", ", ".join(choices))


def parse_yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = as_text(value)
    if text is None:
        return None
    if text.lower() in TRUE_WORDS:
        return True
    if text.lower() in FALSE_WORDS:
        return False
    raise problem(f"{text!r} is not yes or no: use yes/no, true/false or 1/0")


def parse_score(value: Any) -> int | None:
    """A 1..5 rating; ``3.0`` from a spreadsheet counts as 3, ``3.5`` does not."""
    text = as_text(value)
    if text is None:
        return None
    if isinstance(value, bool) or not re.fullmatch(r"-?\d+(?:\.0+)?", text):
        raise problem(f"{text!r} is not a whole number from 1 to 5")
    score = int(float(text))
    if score not in SCORE_RANGE:
        raise problem(f"{score} is outside 1..5")
    return score


def parse_date(value: Any) -> date | None:
    """YYYY-MM-DD, DD/MM/YYYY, a date cell, or an Excel day number."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = as_text(value)
    if text is None:
        return None
    if isinstance(value, bool):
        raise problem(f"{text!r} is not a date")
    try:
        return _date_from_text(text)
    except ValueError:
        raise problem(f"{text!r} is not a date: use YYYY-MM-DD or DD/MM/YYYY") from None


def _date_from_text(text: str) -> date:
    if ISO_DATE.fullmatch(text):
        return date.fromisoformat(text)
    if match := DAY_FIRST_DATE.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    if WHOLE_NUMBER.fullmatch(text) and int(float(text)) in EXCEL_SERIALS:
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    raise ValueError(text)


def parse_aliases(value: Any) -> tuple[str, ...]:
    """``;``-separated text, or a YAML list."""
    items = value if isinstance(value, list | tuple) else [value]
    aliases: list[str] = []
    for item in items:
        text = as_text(item)
        if text is None:
            continue
        for alias in ALIAS_SEPARATORS.split(text):
            if alias.strip():
                aliases.append(nameable(alias.strip()))
    return tuple(aliases)


# -- field lists -----------------------------------------------------------------------


class FieldListError(ValueError):
    """A field list or field reference that does not parse; the message says why."""


@dataclass(frozen=True)
class FieldRef:
    """``system.dataset.field``: the first dot-segment is the system, the last the field,
    everything between the dataset (which may itself contain dots: ``wh.sales.orders.id``)."""

    system: str
    dataset: str
    field: str

    def __str__(self) -> str:
        return f"{self.system}.{self.dataset}.{self.field}"


@dataclass(frozen=True)
class FieldMapping:
    source: FieldRef
    target: FieldRef

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


@lru_cache(maxsize=1 << 16)
def parse_field_ref(text: str) -> FieldRef:
    """Remembered: a field list names the same fields over and over (a ``FieldRef`` is
    immutable, so one instance serves every mention)."""
    parts = [part.strip() for part in text.strip().split(".")]
    if len(parts) < 3:
        raise FieldListError(f"{text.strip()!r} is not system.dataset.field")
    if not all(parts):
        raise FieldListError(f"{text.strip()!r} has an empty part between dots")
    try:
        cached_system_key(parts[0])
    except ValueError:
        raise FieldListError(
            f"{text.strip()!r}: system {parts[0]!r} has no letters or digits"
        ) from None
    return FieldRef(parts[0], ".".join(parts[1:-1]), parts[-1])


def parse_field_list(text: str) -> tuple[FieldMapping, ...]:
    """Mappings separated by ``;`` or line breaks, each ``a.b.c -> d.e.f``."""
    entries = [entry.strip() for entry in ENTRY_SEPARATORS.split(text) if entry.strip()]
    return tuple(_parse_mapping(number, entry) for number, entry in enumerate(entries, 1))


def _parse_mapping(number: int, entry: str) -> FieldMapping:
    sides = ARROW.split(entry)
    if len(sides) != 2:
        raise FieldListError(
            f"entry {number} {entry!r} is not 'system.dataset.field -> system.dataset.field'"
        )
    try:
        return FieldMapping(parse_field_ref(sides[0]), parse_field_ref(sides[1]))
    except FieldListError as error:
        raise FieldListError(f"entry {number}: {error}") from None


def _field_list(value: Any) -> tuple[FieldMapping, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    text = "\n".join(t for item in items if (t := as_text(item)))
    try:
        return parse_field_list(text)
    except FieldListError as error:
        raise problem(str(error)) from None


def _field_ref(value: Any) -> FieldRef:
    try:
        return parse_field_ref(required_text(value))
    except FieldListError as error:
        raise problem(str(error)) from None


# -- row models ------------------------------------------------------------------------

Text = Annotated[str | None, BeforeValidator(as_text)]
Required = Annotated[str, BeforeValidator(required_text)]
Name = Annotated[str, BeforeValidator(required_text), AfterValidator(nameable)]
OptionalName = Annotated[
    str | None, BeforeValidator(as_text), AfterValidator(lambda v: v and nameable(v))
]
Score = Annotated[int | None, BeforeValidator(parse_score)]


class InventoryRow(BaseModel):
    # Unknown columns are reported by the reader and dropped before validation.
    model_config = ConfigDict(extra="ignore", frozen=True, arbitrary_types_allowed=True)

    @classmethod
    def columns(cls) -> list[str]:
        return list(cls.model_fields)

    @classmethod
    def required_columns(cls) -> list[str]:
        return [name for name, info in cls.model_fields.items() if info.is_required()]


class IntegrationRow(InventoryRow):
    id: Name
    name: Text = None
    source_system: Name
    target_system: Name
    direction: Annotated[Direction | None, BeforeValidator(parse_direction)] = None
    frequency: Text = None
    transport: Text = None
    auth_method: Text = None
    owner: Text = None
    status: Annotated[Status | None, BeforeValidator(parse_status)] = None
    classification: Annotated[Classification | None, BeforeValidator(parse_classification)] = None
    sla: Text = None
    monitoring: Text = None
    fields: Annotated[tuple[FieldMapping, ...], BeforeValidator(_field_list)] = ()
    known_issues: Text = None
    last_reviewed: Annotated[date | None, BeforeValidator(parse_date)] = None

    @property
    def monitored(self) -> bool:
        return (self.monitoring or "").lower() not in NOT_MONITORED


class SystemRow(InventoryRow):
    name: Name
    aliases: Annotated[tuple[str, ...], BeforeValidator(parse_aliases)] = ()
    kind: Text = None
    owner: Text = None
    team: Text = None
    criticality: Text = None
    holds_personal_data: Annotated[bool | None, BeforeValidator(parse_yes_no)] = None
    erasure_method: Annotated[ErasureMethod | None, BeforeValidator(parse_erasure_method)] = None
    erasure_endpoint: Text = None
    retention: Text = None


class IssueRow(InventoryRow):
    id: OptionalName = None
    title: Required
    where: Required
    impact: Score = None
    frequency: Score = None
    status: Text = None


class FieldMappingRow(InventoryRow):
    integration_id: Name
    source_field: Annotated[FieldRef, BeforeValidator(_field_ref)]
    target_field: Annotated[FieldRef, BeforeValidator(_field_ref)]
    transform: Text = None


ROW_MODELS: dict[str, type[InventoryRow]] = {
    "integrations": IntegrationRow,
    "systems": SystemRow,
    "issues": IssueRow,
    "field_mappings": FieldMappingRow,
}


def row_problems(error: ValidationError) -> list[tuple[str | None, str]]:
    """``(column, reason)`` for every problem of a row, in column order."""
    problems: list[tuple[str | None, str]] = []
    for detail in error.errors():
        column = str(detail["loc"][0]) if detail["loc"] else None
        reason = "is required" if detail["type"] == "missing" else detail["msg"]
        problems.append((column, reason))
    return problems
