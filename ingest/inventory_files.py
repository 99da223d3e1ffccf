"""Reading an inventory's files into plain tables of cells, before any validation.

Three shapes carry the same sheets (docs/inventory.md): a folder of CSV files, one XLSX
workbook, one YAML file. Each reader yields, per sheet, the header's column names
(normalised) and every non-blank row with the number its author sees: the CSV line
(header = line 1), the XLSX row, the YAML list item. Anything odd that is not a bad row
(an encoding fallback, a merged range, an ignored sheet) becomes a warning, never a
silent change.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import yaml
from openpyxl import load_workbook
from openpyxl.utils.cell import get_column_letter, range_boundaries

SHEETS = ("integrations", "systems", "issues", "field_mappings")
REQUIRED_SHEETS = ("integrations", "systems")
DELIMITERS = (",", ";", "\t")
CSV_SUFFIXES = {".csv"}
XLSX_SUFFIXES = {".xlsx"}
YAML_SUFFIXES = {".yaml", ".yml"}

_COLUMN_SEPARATORS = re.compile(r"[\s\-]+")


class InventoryError(ValueError):
    """The inventory as a whole cannot be read (no row of it can be trusted)."""


@dataclass(frozen=True)
class Location:
    """Where a value sits, as its author would look it up."""

    file: str
    sheet: str | None
    row: int
    unit: str = "row"  # "item" for YAML lists
    column: str | None = None

    def at(self, column: str | None) -> Location:
        return Location(self.file, self.sheet, self.row, self.unit, column)

    def evidence(self) -> str:
        """The location with the file's name only: stored in the graph, so it must not
        depend on the directory the ingester ran from."""
        return str(Location(_file_name(self.file), self.sheet, self.row, self.unit, self.column))

    def __str__(self) -> str:
        parts = [self.file, self.sheet, f"{self.unit} {self.row}", self.column]
        return ":".join(part for part in parts if part)


@lru_cache(maxsize=64)
def _file_name(file: str) -> str:
    return Path(file).name


@dataclass
class RawRow:
    location: Location
    values: dict[str, Any]
    problem: str | None = None  # set by a reader when the row cannot be mapped to columns


@dataclass
class RawTable:
    kind: str  # one of SHEETS
    file: str
    sheet: str | None
    columns: list[str] = field(default_factory=list)  # normalised, as in the header
    rows: list[RawRow] = field(default_factory=list)
    empty: bool = False  # no header at all

    @property
    def label(self) -> str:
        return f"{self.file}:{self.sheet}" if self.sheet else self.file


@dataclass
class InventoryFiles:
    files: list[Path]  # every file the inventory was read from, for the content hash
    tables: dict[str, RawTable]
    warnings: list[str] = field(default_factory=list)


def normalise_column(name: Any) -> str:
    """Case, surrounding whitespace, spaces and hyphens do not make a different column."""
    return _COLUMN_SEPARATORS.sub("_", str(name).strip().lower()) if name is not None else ""


def read_files(path: Path) -> InventoryFiles:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_csv_folder(path)
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return _read_workbook(path)
    if suffix in YAML_SUFFIXES:
        return _read_yaml(path)
    raise InventoryError(
        f"{path}: an inventory is a folder of CSV files, an .xlsx workbook or a .yaml file"
    )


def _require_sheets(path: Path, found: Iterable[str], what: str) -> None:
    missing = [name for name in REQUIRED_SHEETS if name not in set(found)]
    if missing:
        raise InventoryError(f"{path}: no {what} {', '.join(missing)} (required)")


def _table(
    kind: str, file: str, sheet: str | None, header: Sequence[Any], warnings: list[str]
) -> tuple[RawTable, list[str | None]]:
    """A table for ``header``; returns it with the column of each header position:
    ``None`` where the header cell is empty, ``""`` where it repeats an earlier column."""
    table = RawTable(kind, file, sheet)
    positions: list[str | None] = []
    for cell in header:
        name = normalise_column(cell)
        if name in table.columns:
            warnings.append(
                f"{table.label}: column {name!r} appears twice; the values of the second are"
                " ignored"
            )
            positions.append("")
            continue
        positions.append(name or None)
        if name:
            table.columns.append(name)
    return table, positions


def _add_row(
    table: RawTable, location: Location, cells: Sequence[Any], positions: list[str | None]
) -> None:
    values: dict[str, Any] = {}
    stray: list[int] = []
    for index, cell in enumerate(cells):
        column = positions[index] if index < len(positions) else None
        if column:
            values[column] = cell
        elif column is None and not _blank_cell(cell):
            stray.append(index)
    row = RawRow(location, values)
    if stray:
        # Usually a delimiter inside an unquoted CSV value, which shifts every later cell.
        cell = cells[stray[0]]
        row.problem = (
            f"cell {stray[0] + 1} ({cell!r}) has a value but its column has no header name"
            " (a delimiter inside an unquoted value?)"
        )
    table.rows.append(row)


def _blank_cell(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _blank(cells: Sequence[Any]) -> bool:
    return all(_blank_cell(cell) for cell in cells)


# -- CSV -------------------------------------------------------------------------------


def _read_csv_folder(folder: Path) -> InventoryFiles:
    by_name = {
        p.stem.lower(): p for p in sorted(folder.iterdir()) if p.suffix.lower() in CSV_SUFFIXES
    }
    _require_sheets(folder, by_name, "CSV file(s) named")
    result = InventoryFiles(files=[], tables={})
    for name, path in by_name.items():
        if name not in SHEETS:
            result.warnings.append(f"{path}: not an inventory sheet ({', '.join(SHEETS)}); ignored")
            continue
        result.files.append(path)
        result.tables[name] = read_csv(path, name, result.warnings)
    return result


def read_csv(path: Path, kind: str, warnings: list[str]) -> RawTable:
    text = _decode(path, warnings)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table: RawTable | None = None
    positions: list[str | None] = []
    last_line = 0
    try:
        for cells in reader:
            # A quoted value may span lines: a row starts on the line after the last one.
            first_line, last_line = last_line + 1, reader.line_num
            if _blank(cells):
                continue
            if table is None:
                table, positions = _table(kind, str(path), None, cells, warnings)
                continue
            _add_row(table, Location(str(path), None, first_line), cells, positions)
    except csv.Error as error:
        raise InventoryError(
            f"{path}: line {reader.line_num}: not readable as CSV ({error})"
        ) from None
    if table is None:
        warnings.append(f"{path}: empty file (no header row)")
        return RawTable(kind, str(path), None, empty=True)
    return table


def _decode(path: Path, warnings: list[str]) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets on Windows save "CSV" in the ANSI code page; cp1252 covers the
        # Western European ones. Undefined bytes become U+FFFD rather than an error.
        warnings.append(f"{path}: not valid UTF-8; read as Windows-1252 (cp1252)")
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    """The delimiter the header line uses most; ``,`` when it uses none."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties keep the first: ","
    return best if counts[best] else ","


# -- XLSX ------------------------------------------------------------------------------


def _read_workbook(path: Path) -> InventoryFiles:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise InventoryError(f"{path}: not a readable .xlsx workbook ({error})") from None
    try:
        by_name = {name.strip().lower(): name for name in workbook.sheetnames}
        _require_sheets(path, by_name, "sheet(s) named")
        merged = merged_ranges(path)
        result = InventoryFiles(files=[path], tables={})
        for key, name in by_name.items():
            kind = normalise_column(key)
            if kind not in SHEETS:
                result.warnings.append(f"{path}:{name}: not an inventory sheet; ignored")
                continue
            worksheet = workbook[name]
            worksheet.reset_dimensions()  # a stale stored size must not cut rows off
            rows = worksheet.iter_rows(min_row=1, values_only=True)
            result.tables[kind] = _sheet_table(
                path, name, kind, rows, merged.get(name, []), result.warnings
            )
        return result
    finally:
        workbook.close()


def _sheet_table(
    path: Path,
    sheet: str,
    kind: str,
    rows: Iterable[Sequence[Any]],
    merged: list[str],
    warnings: list[str],
) -> RawTable:
    grid = {number: [_clean(cell) for cell in cells] for number, cells in enumerate(rows, 1)}
    filled = {number for number, cells in grid.items() if not _blank(cells)}
    if not filled:
        warnings.append(f"{path}:{sheet}: empty sheet")
        return RawTable(kind, str(path), sheet, empty=True)
    header_row = min(filled)
    table, positions = _table(kind, str(path), sheet, grid[header_row], warnings)
    for ref in merged:
        _spread_merged(table, grid, filled, header_row, positions, ref, warnings)
    for number in sorted(filled - {header_row}):
        _add_row(table, Location(str(path), sheet, number), grid[number], positions)
    return table


def _clean(cell: Any) -> Any:
    return cell.strip() if isinstance(cell, str) else cell


def _spread_merged(
    table: RawTable,
    grid: dict[int, list[Any]],
    filled: set[int],
    header_row: int,
    positions: list[str | None],
    ref: str,
    warnings: list[str],
) -> None:
    """The value of a merged range is meant for every row it covers (an owner merged
    over three integrations owns all three), so it is copied down its first column.
    Rows that are blank apart from the merge stay blank. Ranges over the header or across
    columns are not guessed at: they are reported."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    if min_row <= header_row:
        warnings.append(f"{table.label}: merged cells {ref} touch the header row; left as is")
        return
    column = positions[min_col - 1] if min_col <= len(positions) else None
    value = grid.get(min_row, [])[min_col - 1] if min_col <= len(grid.get(min_row, [])) else None
    if max_col > min_col:
        warnings.append(
            f"{table.label}: merged cells {ref} span columns {get_column_letter(min_col)}"
            f"-{get_column_letter(max_col)}; the value is read as column {column!r} only"
        )
    if max_row == min_row:
        return
    for number in range(min_row + 1, max_row + 1):
        if number in filled:
            cells = grid[number]
            cells.extend([None] * (min_col - len(cells)))
            cells[min_col - 1] = value
    warnings.append(
        f"{table.label}: merged cells {ref}: {value!r} applies to rows {min_row}-{max_row}"
        f" of column {column!r}"
    )


def merged_ranges(path: Path) -> dict[str, list[str]]:
    """Sheet name -> merged ranges (``"B3:B5"``), read from the workbook's XML parts,
    because openpyxl's read-only worksheets do not expose them."""
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target", "") for rel in relations}
        ranges: dict[str, list[str]] = {}
        for sheet in workbook.iter():
            if _local(sheet.tag) != "sheet":
                continue
            relation = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
            target = targets.get(relation, "")
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if part not in archive.namelist():
                continue
            with archive.open(part) as source:
                found = [
                    element.get("ref", "")
                    for _, element in ElementTree.iterparse(source)
                    if _local(element.tag) == "mergeCell"
                ]
            ranges[sheet.get("name", "")] = [ref for ref in found if ":" in ref]
        return ranges


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# -- YAML ------------------------------------------------------------------------------


def _read_yaml(path: Path) -> InventoryFiles:
    data = load_safe_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InventoryError(f"{path}: expected a mapping with keys {', '.join(SHEETS)}")
    sections = {normalise_column(key): value for key, value in data.items()}
    _require_sheets(path, sections, "top-level key(s)")
    result = InventoryFiles(files=[path], tables={})
    for kind, items in sections.items():
        if kind not in SHEETS:
            result.warnings.append(f"{path}: top-level key {kind!r} is not a sheet; ignored")
            continue
        result.tables[kind] = _yaml_table(path, kind, items, result.warnings)
    return result


def load_safe_yaml(path: Path) -> Any:
    """``yaml.safe_load``: tags that would build Python objects are refused, not obeyed."""
    try:
        return yaml.safe_load(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InventoryError(f"{path}: not valid UTF-8") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        reason = getattr(error, "problem", None) or str(error)
        raise InventoryError(f"{path}: not valid safe YAML{where}: {reason}") from None


def _yaml_table(path: Path, kind: str, items: Any, warnings: list[str]) -> RawTable:
    if items is None or items == []:
        warnings.append(f"{path}:{kind}: empty")
        return RawTable(kind, str(path), kind, empty=True)
    if not isinstance(items, list):
        raise InventoryError(f"{path}:{kind}: expected a list of mappings, not a {_kind(items)}")
    table = RawTable(kind, str(path), kind)
    for number, item in enumerate(items, 1):
        location = Location(str(path), kind, number, unit="item")
        if item is None or item == {}:
            continue  # the YAML form of a blank row
        if not isinstance(item, dict):
            table.rows.append(RawRow(location, {}, f"expected a mapping, not a {_kind(item)}"))
            continue
        values = {normalise_column(key): value for key, value in item.items()}
        for column in values:
            if column not in table.columns:
                table.columns.append(column)
        table.rows.append(RawRow(location, values))
    return table


def _kind(value: Any) -> str:
    return {list: "list", dict: "mapping", str: "text"}.get(type(value), type(value).__name__)
