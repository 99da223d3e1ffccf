"""Schema files: the column lists that resolve ``SELECT *`` and unqualified columns.

Three forms are read:

- YAML or JSON ``{"db.schema.table": {"column": "type"}}``;
- the same, nested: ``{"db": {"schema": {"table": {"column": "type"}}}}``;
- a CSV export of ``information_schema.columns`` (``table_schema``, ``table_name``,
  ``column_name``, ``data_type``; optionally ``table_catalog`` and ``ordinal_position``).

A bad entry is reported with the file and its line (CSV) or JSON pointer and skipped; the
rest is used. Names are normalised later, by the dialect of the SQL they serve.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml


class SchemaFileError(ValueError):
    """The file cannot be used at all (missing, unreadable, not a mapping)."""


@dataclass
class SchemaFile:
    path: Path
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    read: int = 0  # tables (YAML/JSON) or rows (CSV)
    rejected: int = 0

    @property
    def accepted(self) -> int:
        return self.read - self.rejected


def read_schema(path: Path, dialect: str | None = None) -> SchemaFile:
    """Read a schema file; ``dialect`` is accepted for symmetry and used by the caller."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SchemaFileError(f"{path}: cannot read the schema file: {e.strerror}") from e
    text = _decode(path, raw)
    if path.suffix.lower() == ".csv":
        return _from_csv(path, text)
    return _from_mapping(path, _load_mapping(path, text))


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SchemaFileError(f"{path}: not UTF-8 text (byte {e.start})") from e


def _load_mapping(path: Path, text: str) -> Mapping:
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise SchemaFileError(f"{path}: not valid {path.suffix.lstrip('.') or 'YAML'}: {e}") from e
    if not isinstance(data, Mapping):
        raise SchemaFileError(
            f"{path}: a schema file maps table names to {{column: type}}, "
            f"not a {type(data).__name__}"
        )
    return data


def _from_mapping(path: Path, data: Mapping) -> SchemaFile:
    result = SchemaFile(path)
    for pointer, name, columns in _tables(data, ""):
        result.read += 1
        problem = _column_problem(columns)
        if problem:
            result.rejected += 1
            result.problems.append(f"{path}#{pointer}: {problem}")
            continue
        result.tables[name] = {str(c): "" if t is None else str(t) for c, t in columns.items()}
    _check_depths(result)
    return result


def _tables(data: Mapping, prefix: str, pointer: str = ""):
    """(JSON pointer, dotted name, columns) of every table; a mapping whose values are all
    mappings is a level of the nested form."""
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        here = f"{pointer}/{_escape(str(key))}"
        nested = isinstance(value, Mapping) and value
        if nested and all(isinstance(v, Mapping) for v in value.values()):
            yield from _tables(value, name, here)
        else:
            yield here, name, value


def _column_problem(columns) -> str | None:
    if not isinstance(columns, Mapping):
        return f"expected {{column: type}}, found {type(columns).__name__}"
    if not columns:
        return "no columns"
    bad = [c for c, t in columns.items() if isinstance(t, Mapping | list)]
    return f"column {bad[0]!r} has no plain type" if bad else None


def _check_depths(result: SchemaFile) -> None:
    """Mixed depths (``orders`` next to ``crm.customers``) are allowed; a name that is a
    prefix of another (``crm`` table and ``crm.customers``) means the nesting was misread."""
    names = set(result.tables)
    for name in sorted(names):
        clash = next((other for other in names if other.startswith(name + ".")), None)
        if clash:
            result.problems.append(
                f"{result.path}: {name!r} is both a table and a prefix of {clash!r}; "
                "write tables as 'schema.table': {column: type}"
            )


_CSV_COLUMNS = ("table_schema", "table_name", "column_name")


def _from_csv(path: Path, text: str) -> SchemaFile:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = {h.strip().lower(): h for h in reader.fieldnames or []}
    missing = [c for c in _CSV_COLUMNS if c not in headers]
    if missing:
        raise SchemaFileError(
            f"{path}: an information_schema.columns export needs the columns "
            f"{', '.join(_CSV_COLUMNS)}; missing {', '.join(missing)}"
        )
    result = SchemaFile(path)
    ordered: dict[str, list[tuple[float, str, str]]] = {}
    for line, row in enumerate(reader, start=2):
        result.read += 1
        value = {k: (row.get(h) or "").strip() for k, h in headers.items()}
        if not value["table_name"] or not value["column_name"]:
            result.rejected += 1
            result.problems.append(f"{path}:{line}: table_name and column_name are required")
            continue
        parts = [value.get("table_catalog", ""), value["table_schema"], value["table_name"]]
        name = ".".join(p for p in parts if p)
        position = _position(value.get("ordinal_position", ""), line)
        ordered.setdefault(name, []).append(
            (position, value["column_name"], value.get("data_type", ""))
        )
    for name, columns in ordered.items():
        result.tables[name] = {column: kind for _, column, kind in sorted(columns)}
    return result


def _position(text: str, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        return 1e9 + line  # no position: keep the file's order


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
