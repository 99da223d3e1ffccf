"""The integration inventory: the spreadsheet where people list their integrations.

``read_inventory`` reads one inventory (a folder of CSV files, an XLSX workbook or a YAML
file; the format is in docs/inventory.md) into plain records, and accounts for every row:
each non-blank row is either accepted or rejected with its file, sheet, row, column and a
reason, and the reconciliation report says, per sheet, rows read = accepted + rejected.

Systems are matched by ``system_key`` and by aliases (the systems sheet's aliases column
and an optional aliases file). Names that merely look alike are never merged: they become
``probable_duplicate_system`` findings that suggest the alias. Findings (see
``ingest/inventory_findings.py``) are returned and also emitted as ``Issue`` records.

Reading, validating, naming systems and building records live in ``inventory_files``,
``inventory_rows``, ``inventory_names`` and ``inventory_graph``; this module holds the
pipeline and its result types.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import ValidationError
from rapidfuzz import fuzz, process

from ingest.collector import collector_paused
from ingest.inventory_files import (
    InventoryError,
    Location,
    RawTable,
    read_files,
)
from ingest.inventory_findings import Finding
from ingest.inventory_graph import InventoryGraph
from ingest.inventory_names import Accepted, read_alias_file
from ingest.inventory_rows import ROW_MODELS, row_problems
from ingest.records import Record, Scalar, SourceInfo

__all__ = [
    "InventoryError",
    "InventoryResult",
    "ReconciliationReport",
    "Rejection",
    "SheetReport",
    "read_inventory",
]

SOURCE_KIND = "inventory"
# Part of the content hash: bump it when a change here changes the records of an input.
FORMAT_VERSION = "inventory-1"


@dataclass(frozen=True)
class Rejection:
    """A row that was not loaded. ``row`` is the number its author sees: the CSV line
    (header = line 1), the XLSX row, or the YAML list item (``unit`` is then "item")."""

    file: str
    sheet: str | None
    row: int
    column: str | None
    reason: str
    unit: str = "row"

    def __str__(self) -> str:
        return f"{Location(self.file, self.sheet, self.row, self.unit, self.column)}: {self.reason}"


@dataclass(frozen=True)
class SheetReport:
    kind: str  # integrations, systems, issues or field_mappings
    file: str
    sheet: str | None
    rows_read: int  # non-blank rows below the header
    accepted: int
    rejected: int

    def __str__(self) -> str:
        where = f"{self.file}:{self.sheet}" if self.sheet else self.file
        return (
            f"{where}: {self.rows_read} rows read = {self.accepted} accepted"
            f" + {self.rejected} rejected"
        )


@dataclass
class ReconciliationReport:
    sheets: list[SheetReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # sheet-wide problems, e.g. a missing column

    @property
    def rows_read(self) -> int:
        return sum(sheet.rows_read for sheet in self.sheets)

    @property
    def accepted(self) -> int:
        return sum(sheet.accepted for sheet in self.sheets)

    @property
    def rejected(self) -> int:
        return sum(sheet.rejected for sheet in self.sheets)

    @property
    def balanced(self) -> bool:
        return all(s.rows_read == s.accepted + s.rejected for s in self.sheets)

    def lines(self) -> list[str]:
        return (
            [str(sheet) for sheet in self.sheets]
            + [f"error: {error}" for error in self.errors]
            + [f"warning: {warning}" for warning in self.warnings]
        )


@dataclass
class InventoryResult:
    source: SourceInfo
    records: list[Record]
    rejections: list[Rejection]
    findings: list[Finding]
    report: ReconciliationReport


def read_inventory(
    path: Path,
    *,
    aliases: Path | None = None,
    today: date | None = None,
    stale_after_days: int = 365,
) -> InventoryResult:
    """Read the inventory at ``path``. ``aliases`` is an optional YAML file
    ``{alias: canonical name}``; ``today`` and ``stale_after_days`` drive ``stale_review``.
    Raises ``InventoryError`` (a ``ValueError``) when the inventory as a whole is unreadable:
    unknown file type, a required sheet missing, YAML that is not safe to load."""
    with collector_paused():  # see ingest/collector.py
        return _read_inventory(path, aliases, today or date.today(), stale_after_days)


def _read_inventory(
    path: Path, aliases: Path | None, today: date, stale_after_days: int
) -> InventoryResult:
    files = read_files(path)
    run = _Run(files.warnings)
    accepted = {kind: run.validate(table) for kind, table in files.tables.items()}
    alias_pairs = read_alias_file(aliases, run.warnings) if aliases else []
    graph = InventoryGraph(run.reject, run.warnings, today, stale_after_days)
    graph.build(accepted, alias_pairs)
    report = run.report(files.tables.values())
    findings = graph.findings()
    options = f"{FORMAT_VERSION};today={today.isoformat()};stale_after_days={stale_after_days}"
    hashed = files.files + ([aliases] if aliases else [])
    source = SourceInfo(
        key=f"{SOURCE_KIND}:{path.resolve().as_posix()}",
        kind=SOURCE_KIND,
        uri=str(path),
        content_hash=_content_hash(hashed, options),
        # The reconciliation travels with the source, so the loaded graph can show it too.
        summary=_summary(report, len(files.files), len(findings)),
    )
    return InventoryResult(
        source=source,
        records=graph.records(),
        rejections=sorted(run.rejections, key=lambda r: (r.file, r.sheet or "", r.row)),
        findings=findings,
        report=report,
    )


def _summary(
    report: ReconciliationReport, files: int, findings: int
) -> dict[str, Scalar | list[Scalar]]:
    return {
        "sheets": [str(sheet) for sheet in report.sheets],  # per sheet: read = accepted + rejected
        "unit": "rows",
        "read": report.rows_read,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "warnings": len(report.warnings),
        "errors": len(report.errors),
        "findings": findings,
        "files": files,
    }


class _Run:
    """Rejections, warnings and errors of one read, counted per sheet."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        self.errors: list[str] = []
        self.rejections: list[Rejection] = []
        self._rejected: Counter[tuple[str, str | None]] = Counter()

    def reject(self, location: Location, reason: str) -> None:
        self.rejections.append(
            Rejection(
                location.file,
                location.sheet,
                location.row,
                location.column,
                reason,
                location.unit,
            )
        )
        self._rejected[(location.file, location.sheet)] += 1

    def validate(self, table: RawTable) -> list[Accepted]:
        """Rows of ``table`` that fit its row model; every other row is rejected."""
        model = ROW_MODELS[table.kind]
        missing = [] if table.empty else self._check_columns(table, model.columns())
        accepted: list[Accepted] = []
        known = model.model_fields
        for raw in table.rows:
            if raw.problem:
                self.reject(raw.location, raw.problem)
            elif missing:
                self.reject(raw.location.at(missing[0]), _missing_reason(table, missing))
            else:
                values = {k: v for k, v in raw.values.items() if k in known}
                try:
                    accepted.append(Accepted(model.model_validate(values), raw.location))
                except ValidationError as error:
                    self._reject_problems(raw.location, row_problems(error))
        return accepted

    def _check_columns(self, table: RawTable, known: list[str]) -> list[str]:
        if unknown := [c for c in table.columns if c not in known]:
            names = ", ".join(f"{c!r}{_did_you_mean(c, known)}" for c in unknown)
            self.warnings.append(f"{table.label}: unknown column(s) {names} ignored")
        required = ROW_MODELS[table.kind].required_columns()
        missing = [column for column in required if column not in table.columns]
        if missing:
            self.errors.append(
                f"{_missing_reason(table, missing)}: all {len(table.rows)} rows of"
                f" {table.label} rejected"
            )
        return missing

    def _reject_problems(self, location: Location, problems: list[tuple[str | None, str]]) -> None:
        (column, reason), *others = problems
        also = "; ".join(f"{c}: {r}" for c, r in others)
        self.reject(location.at(column), reason + (f"; also {also}" if also else ""))

    def report(self, tables: Iterable[RawTable]) -> ReconciliationReport:
        report = ReconciliationReport(warnings=self.warnings, errors=self.errors)
        for table in tables:
            rejected = self._rejected[(table.file, table.sheet)]
            report.sheets.append(
                SheetReport(
                    table.kind,
                    table.file,
                    table.sheet,
                    rows_read=len(table.rows),
                    accepted=len(table.rows) - rejected,
                    rejected=rejected,
                )
            )
        return report


def _missing_reason(table: RawTable, missing: list[str]) -> str:
    found = ", ".join(table.columns) or "none"
    names = ", ".join(repr(c) for c in missing)
    return f"missing required column {names} (the header has: {found})"


def _did_you_mean(column: str, known: list[str]) -> str:
    match = process.extractOne(column, known, scorer=fuzz.ratio, score_cutoff=75)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _content_hash(files: list[Path], options: str) -> str:
    digest = hashlib.sha256()
    for path in files:
        data = path.read_bytes()
        # Name and length framing: moving bytes from one file to another changes the hash.
        digest.update(f"{path.name}\0{len(data)}\0".encode())
        digest.update(data)
    digest.update(options.encode())
    return digest.hexdigest()
