"""Records from a JSON Lines file: the way any custom extractor can feed flowatlas.

One JSON object per line, its ``record`` (or ``type``) naming the record (``System``,
``Dataset``, ``Field``, ``Endpoint``, ``Integration``, ``Issue`` or ``Edge``), the other
members its fields as in ``ingest/records.py``. A field's own ``type`` (its data type) needs
``record`` to name the record::

    {"type": "System", "key": "crm", "name": "CRM", "owner": "sales-ops"}
    {"record": "Field", "key": "crm:c#email", "name": "email", "type": "varchar(320)"}
    {"type": "Edge", "kind": "FLOWS_TO", "start": {"kind": "Field", "key": "crm:c#email"},
     "end": {"kind": "Field", "key": "wh:dim#email"}, "key": "value", "flow_kind": "value"}

A bad line is rejected with its line number and reason; every other line is still read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from ingest.records import (
    Dataset,
    Edge,
    Endpoint,
    Field,
    Integration,
    Issue,
    Record,
    SourceInfo,
    System,
)

RECORD_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (System, Dataset, Field, Endpoint, Integration, Issue, Edge)
}
_ADAPTERS = {name: TypeAdapter(cls) for name, cls in RECORD_TYPES.items()}
_FIELD_NAMES = {name: {f.name for f in fields(cls)} for name, cls in RECORD_TYPES.items()}


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class ParsedFile:
    source: SourceInfo
    records: list[Record] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    lines_read: int = 0  # non-blank lines: always accepted + rejected

    @property
    def accepted(self) -> int:
        return len(self.records)


def read_jsonl(path: Path) -> ParsedFile:
    data = path.read_bytes()
    parsed = ParsedFile(
        SourceInfo(
            key=f"records:{path.resolve().as_posix()}",
            kind="records",
            uri=str(path),
            content_hash=hashlib.sha256(data).hexdigest(),
        )
    )
    text = data.decode("utf-8-sig", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parsed.lines_read += 1
        try:
            parsed.records.append(parse_line(line))
        except ValueError as error:
            parsed.rejections.append(Rejection(str(path), number, str(error)))
    parsed.source = replace(
        parsed.source,
        summary={
            "unit": "lines",
            "read": parsed.lines_read,
            "accepted": parsed.accepted,
            "rejected": len(parsed.rejections),
        },
    )
    return parsed


def parse_line(line: str) -> Record:
    """One line to one record; ``ValueError`` with a one-line reason otherwise."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    member = "record" if "record" in obj else "type"
    kind = obj.pop(member, None)
    if kind not in _ADAPTERS:
        raise ValueError(f"{member!r} must be one of {', '.join(RECORD_TYPES)}, not {kind!r}")
    # A misspelt member would otherwise vanish silently.
    if unknown := sorted(set(obj) - _FIELD_NAMES[kind]):
        raise ValueError(f"unknown member(s) for {kind}: {', '.join(unknown)}")
    try:
        return _ADAPTERS[kind].validate_python(obj)
    except ValidationError as error:
        raise ValueError(_first_problem(error)) from None


def _first_problem(error: ValidationError) -> str:
    problems = []
    for detail in error.errors()[:3]:
        where = ".".join(str(part) for part in detail["loc"]) or "record"
        problems.append(f"{where}: {detail['msg']}")
    more = error.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")
