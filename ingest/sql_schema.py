"""Schema files: the column lists that resolve ``SELECT *`` and unqualified columns.

Three forms are read:

- YAML or JSON ``{"db.schema.table": {"column": "type"}}``;
- the same, nested: ``{"db": {"schema": {"table": {"column": "type"}}}}``;
- a CSV export of ``information_schema.columns`` (``table_schema``, ``table_name``,
  ``column_name``, ``data_type``; optionally ``table_catalog`` and ``ordinal_position``,
  which orders the columns). Headers are case-insensitive; a byte-order mark and ``;`` or
  tab delimiters are fine.

Names are normalised as ``normalise`` does: as the dialect would read them in SQL, and
lower-cased without a dialect. YAML and JSON keys are written as in SQL (quote a part to keep
its case); the names of a CSV export are the names as stored, so with a dialect they keep
their case exactly (as if quoted).

A bad entry is reported with the file and its line (YAML, CSV) and/or JSON pointer and
skipped; the rest is used. ``read`` counts tables (YAML, JSON) or rows (CSV), and ``read`` =
``accepted`` + ``rejected``. Every table must have the same number of parts (sqlglot's
schemas have one depth): a file that mixes ``orders`` and ``wh.shop.orders`` keeps the most
common depth and rejects the others by name.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from ingest.inventory_files import normalise_column, sniff_delimiter

SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".csv": "csv"}
CSV_REQUIRED = ("table_schema", "table_name", "column_name")
# More tables than any warehouse has: a file past this is a mistake or an alias bomb.
MAX_TABLES = 1_000_000
_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SchemaFileError(ValueError):
    """The file cannot be used at all (missing, unreadable, not a mapping); one line."""


@dataclass
class SchemaFile:
    path: Path
    dialect: str | None = None
    unit: str = "tables"  # what ``read`` counts: "tables" (YAML, JSON) or "rows" (CSV)
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    read: int = 0
    rejected: int = 0

    @property
    def accepted(self) -> int:
        return self.read - self.rejected

    def reject(self, where: str, reason: str, units: int = 1) -> None:
        self.rejected += units
        self.problems.append(f"{where}: {reason}")


def normalise(name: str, dialect: str | None = None) -> str:
    """A table or column name as ``dialect`` reads it in SQL (sqlglot's
    ``normalize_identifiers``): unquoted parts lower-cased (upper-cased in Snowflake ...),
    quoted parts kept where the dialect is case-sensitive; the parts joined by dots."""
    return ".".join(_table_parts(name, dialect))


def read_schema(path: Path, *, dialect: str | None = None) -> SchemaFile:
    """Read a schema file; names are normalised for ``dialect`` (see ``normalise``)."""
    path = Path(path)
    form = SUFFIXES.get(path.suffix.lower())
    if form is None:
        raise SchemaFileError(f"{path}: a schema file is .yaml, .yml, .json or .csv")
    text = _text(path)
    result = SchemaFile(path, dialect, unit="rows" if form == "csv" else "tables")
    if form == "csv":
        entries = list(_csv_entries(result, text))
    else:
        tree = _load_json(path, text) if form == "json" else _load_yaml(path, text)
        entries = list(_mapping_entries(result, tree))
    for entry in _one_depth(result, _distinct(result, entries)):
        result.tables[".".join(entry.parts)] = entry.columns
    return result


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SchemaFileError(f"{path}: cannot read the schema file: {e.strerror}") from e
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SchemaFileError(f"{path}: not UTF-8 text (byte {e.start})") from e


# -- names -----------------------------------------------------------------------------


def _table_parts(name: str, dialect: str | None) -> tuple[str, ...]:
    """Normalised parts of a dotted name written as in SQL."""
    return _normal(exp.to_table(name, dialect=dialect), dialect)


def _stored_parts(catalog: str, schema: str, table: str, dialect: str | None) -> tuple[str, ...]:
    """Normalised parts of a name as a database stores it: exact, as if quoted, when the
    dialect is known."""
    quoted = dialect is not None
    parts = [exp.to_identifier(p, quoted=quoted) if p else None for p in (catalog, schema)]
    this = exp.to_identifier(table, quoted=quoted)
    return _normal(exp.Table(this=this, db=parts[1], catalog=parts[0]), dialect)


def _normal(table: exp.Table, dialect: str | None) -> tuple[str, ...]:
    return tuple(part.name for part in normalize_identifiers(table, dialect=dialect).parts)


def _column(name: str, dialect: str | None, stored: bool = False) -> str:
    """A column name as written in SQL (quotes keep its case), or as ``stored``."""
    if stored:
        identifier = exp.to_identifier(name, quoted=True if dialect is not None else None)
    elif _PLAIN.fullmatch(name):  # most names: no need to parse
        identifier = exp.to_identifier(name)
    else:
        parts = exp.to_table(name, dialect=dialect).parts
        identifier = parts[0] if len(parts) == 1 else exp.to_identifier(name)
    return normalize_identifiers(identifier, dialect=dialect).name


def _name_problem(name: str | None) -> str | None:
    if name is None:
        return "the table name is not text"
    if not name.strip():
        return "the table name is empty"
    if ".." in name or name.startswith(".") or name.endswith("."):
        return f"{name!r} has an empty part"
    return None


# -- entries: one table each -----------------------------------------------------------


@dataclass
class _Entry:
    where: str  # file and line and/or JSON pointer
    parts: tuple[str, ...]
    columns: dict[str, str]
    units: int = 1  # how many of ``read`` it stands for (a CSV table: its rows)
    ref: str = ""  # ``where`` within the file: "line 3", "/crm.contacts"

    @property
    def name(self) -> str:
        return ".".join(self.parts)


def _distinct(result: SchemaFile, entries: list[_Entry]) -> list[_Entry]:
    """A table written twice (``Orders`` and ``orders`` are one after normalising): the
    first is kept, so that what is used never depends on a later typo."""
    first: dict[tuple[str, ...], _Entry] = {}
    for entry in entries:
        if entry.parts in first:
            reason = f"{entry.name!r} is already listed ({first[entry.parts].ref})"
            result.reject(entry.where, reason, entry.units)
        else:
            first[entry.parts] = entry
    return list(first.values())


def _one_depth(result: SchemaFile, entries: list[_Entry]) -> list[_Entry]:
    """Keep the most common number of parts (the larger on a tie); reject the others."""
    depths = Counter(len(entry.parts) for entry in entries)
    if len(depths) <= 1:
        return entries
    depth = max(depths, key=lambda d: (depths[d], d))
    example = next(entry.name for entry in entries if len(entry.parts) == depth)
    for entry in entries:
        if len(entry.parts) != depth:
            reason = (
                f"{entry.name!r} has {_parts(len(entry.parts))} but this file's other tables "
                f"have {depth} (like {example!r}); write every table with the same parts"
            )
            result.reject(entry.where, reason, entry.units)
    return [entry for entry in entries if len(entry.parts) == depth]


def _parts(count: int) -> str:
    return "1 part" if count == 1 else f"{count} parts"


# -- YAML and JSON ---------------------------------------------------------------------


@dataclass
class _Map:
    """A mapping with its keys in order, duplicates kept, and the line of each key (YAML)."""

    items: list[tuple[str | None, Any, int | None]]


def _load_json(path: Path, text: str) -> _Map:
    try:
        tree = json.loads(text, object_pairs_hook=lambda pairs: _Map([(*p, None) for p in pairs]))
    except json.JSONDecodeError as e:
        raise SchemaFileError(f"{path}:{e.lineno}: not valid JSON: {e.msg}") from e
    except RecursionError as e:
        raise SchemaFileError(f"{path}: nested too deeply") from e
    return _top(path, tree)


def _load_yaml(path: Path, text: str) -> _Map:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise SchemaFileError(f"{path}{line}: not valid YAML: {problem}") from e
    except RecursionError as e:
        raise SchemaFileError(f"{path}: nested too deeply") from e
    return _top(path, _from_node(node, {}) if node is not None else None)


def _from_node(node: yaml.Node, seen: dict[int, Any]) -> Any:
    """Plain values from YAML nodes, keeping lines; scalars stay text (``no`` is a column
    name, not false). ``seen`` converts a node reached twice through aliases once."""
    if id(node) in seen:
        return seen[id(node)]
    if isinstance(node, yaml.MappingNode):
        value: Any = _Map([])
        seen[id(node)] = value
        for key, child in node.value:
            text = key.value if isinstance(key, yaml.ScalarNode) else None
            value.items.append((text, _from_node(child, seen), key.start_mark.line + 1))
    elif isinstance(node, yaml.SequenceNode):
        value = []  # a list is never valid here: its items do not matter
    elif node.tag == _STR_TAG:
        value = node.value
    else:  # null, or a number or true/false: not a type, and said so
        value = _constructed(node)
    seen[id(node)] = value
    return value


def _constructed(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node)
    finally:
        loader.dispose()


def _top(path: Path, tree: Any) -> _Map:
    if tree is None:
        raise SchemaFileError(f"{path}: empty; a schema file maps table names to {{column: type}}")
    if not isinstance(tree, _Map):
        raise SchemaFileError(
            f"{path}: a schema file maps table names to {{column: type}}, not {_kind(tree)}"
        )
    return tree


def _mapping_entries(result: SchemaFile, tree: _Map) -> Iterator[_Entry]:
    for where, ref, names, columns in _tables(result.path, tree, [], ""):
        result.read += 1
        if result.read > MAX_TABLES:
            raise SchemaFileError(f"{result.path}: more than {MAX_TABLES:,} tables")
        name = ".".join(names) if names is not None else None
        problem = _name_problem(name) or _columns_problem(columns)
        if problem:
            result.reject(where, problem)
            continue
        try:
            parts = _table_parts(name, result.dialect)
            yield _Entry(where, parts, _typed_columns(columns, result.dialect), ref=ref)
        except _BadColumn as e:
            result.reject(where, str(e))
        except ValueError as e:  # sqlglot's ParseError
            result.reject(where, f"{name!r} is not a table name: {e}")


def _tables(path: Path, tree: _Map, names: list[str], pointer: str):
    """(where, where in the file, name parts, columns) of every table: a mapping whose
    values are all mappings is a level of the nested form."""
    for key, value, line in tree.items:
        here = f"{pointer}/{_escape(key or '')}"
        where = f"{path}:{line} {here}" if line else f"{path}#{here}"
        ref = f"line {line}" if line else here
        if key is None:
            yield where, ref, None, value
        elif _is_level(value):
            yield from _tables(path, value, [*names, key], here)
        else:
            yield where, ref, [*names, key], value


def _is_level(value: Any) -> bool:
    return (
        isinstance(value, _Map)
        and bool(value.items)
        and all(isinstance(v, _Map) for _, v, _ in value.items)
    )


def _columns_problem(columns: Any) -> str | None:
    if not isinstance(columns, _Map):
        return f"expected {{column: type}}, found {_kind(columns)}"
    if not columns.items:
        return "no columns"
    levels = [str(k) for k, v, _ in columns.items if isinstance(v, _Map)]
    if levels:
        plain = [str(k) for k, v, _ in columns.items if not isinstance(v, _Map)]
        return (
            f"mixes columns ({', '.join(plain)}) with mappings ({', '.join(levels)}); "
            "each column maps to its type"
        )
    return None


class _BadColumn(ValueError):
    pass


def _typed_columns(columns: _Map, dialect: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, kind, _ in columns.items:
        if key is None or not key.strip():
            raise _BadColumn("a column name is empty or not text")
        if kind is not None and not isinstance(kind, str):
            raise _BadColumn(f"the type of column {key!r} is {_kind(kind)}, not text")
        name = _column(key, dialect)
        if name in out:
            raise _BadColumn(f"column {key!r} is listed twice")
        out[name] = (kind or "").strip()
    return out


def _kind(value: Any) -> str:
    if isinstance(value, _Map):
        return "a mapping"
    if isinstance(value, bool):
        return "true/false"
    kinds = {list: "a list", str: "text", int: "a number", float: "a number"}
    return kinds.get(type(value), "nothing" if value is None else type(value).__name__)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


# -- information_schema CSV ------------------------------------------------------------


@dataclass
class _CsvTable:
    line: int
    parts: tuple[str, ...]
    columns: list[tuple[float, int, str, str]] = field(default_factory=list)  # pos, line, ...


def _csv_entries(result: SchemaFile, text: str) -> Iterator[_Entry]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    header, width = _csv_header(result.path, next(reader, None))
    tables: dict[tuple[str, ...], _CsvTable] = {}
    last = reader.line_num
    for cells in reader:
        line, last = last + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        result.read += 1
        try:
            _csv_row(result, (header, width), cells, line, tables)
        except _BadRow as e:
            result.reject(f"{result.path}:{line}", str(e))
    for table in tables.values():
        ordered = sorted(table.columns)
        columns = {column: kind for _, _, column, kind in ordered}
        where = f"{result.path}:{table.line}"
        yield _Entry(where, table.parts, columns, len(ordered), f"line {table.line}")


def _csv_header(path: Path, cells: list[str] | None) -> tuple[dict[str, int], int]:
    """Column name -> index (the first of a repeated name), and the header's width."""
    if cells is None:
        raise SchemaFileError(f"{path}: empty; expected an information_schema.columns export")
    header: dict[str, int] = {}
    for index, cell in enumerate(cells):
        header.setdefault(normalise_column(cell), index)
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise SchemaFileError(
            f"{path}: an information_schema.columns export needs the columns "
            f"{', '.join(CSV_REQUIRED)}; missing {', '.join(missing)}"
        )
    return header, len(cells)


class _BadRow(ValueError):
    pass


def _csv_row(
    result: SchemaFile,
    header: tuple[dict[str, int], int],
    cells: list[str],
    line: int,
    tables: dict[tuple[str, ...], _CsvTable],
) -> None:
    columns, width = header
    if any(cell.strip() for cell in cells[width:]):
        raise _BadRow(f"{len(cells)} cells but the header has {width}")
    value = {name: cells[i].strip() if i < len(cells) else "" for name, i in columns.items()}
    empty = [name for name in CSV_REQUIRED if not value[name]]
    if empty:
        raise _BadRow(f"{' and '.join(empty)} empty; {', '.join(CSV_REQUIRED)} are required")
    catalog, schema = value.get("table_catalog", ""), value["table_schema"]
    parts = _stored_parts(catalog, schema, value["table_name"], result.dialect)
    table = tables.setdefault(parts, _CsvTable(line, parts))
    column = _column(value["column_name"], result.dialect, stored=True)
    earlier = next((at for _, at, known, _ in table.columns if known == column), None)
    if earlier is not None:
        raise _BadRow(f"column {column!r} of {'.'.join(parts)!r} is already on line {earlier}")
    position = _position(value.get("ordinal_position", ""))
    table.columns.append((position, line, column, value.get("data_type", "")))


def _position(text: str) -> float:
    if not text:
        return float("inf")  # no position: keep the file's order
    try:
        return int(text)
    except ValueError:
        raise _BadRow(f"ordinal_position {text!r} is not a whole number") from None
