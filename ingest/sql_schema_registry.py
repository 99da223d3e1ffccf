"""The column lists known while reading SQL: from a schema file, DDL, and earlier statements.

Names are normalised as the dialect does. A table may be written with fewer parts than it
is known by (``orders`` for ``analytics.orders``): it matches when exactly one known table
ends with those parts. A script's own CREATE TABLE AS and views are learnt in an overlay,
so one script's temporary tables never leak into another's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from ingest.sql_statements import plan_of
from ingest.sql_trace import table_name

_LEARNT_KINDS = ("create_table_as", "create_view", "select_into")


class SchemaRegistry:
    def __init__(self, dialect: str | None = None, parent: SchemaRegistry | None = None):
        self.dialect = dialect
        self.parent = parent
        self.tables: dict[str, dict[str, str]] = {}
        self._by_suffix: dict[str, set[str]] = {}

    @classmethod
    def from_mapping(cls, mapping: Mapping, dialect: str | None = None) -> SchemaRegistry:
        """From ``{"db.table": {"col": "type"}}`` or the nested ``{"db": {"table": {...}}}``."""
        registry = cls(dialect)
        for name, columns in _flatten(mapping):
            registry.add(_normal_table(name, dialect), _normal_columns(columns, dialect))
        return registry

    def overlay(self) -> SchemaRegistry:
        return SchemaRegistry(self.dialect, parent=self)

    def add(self, name: str, columns: Mapping[str, str]) -> None:
        known = self.tables.setdefault(name, {})
        known.update(columns)
        parts = name.split(".")
        for i in range(len(parts)):
            self._by_suffix.setdefault(".".join(parts[i:]), set()).add(name)

    def lookup(self, name: str) -> dict[str, str] | None:
        if name in self.tables:
            return self.tables[name]
        matches = self._by_suffix.get(name, set())
        if len(matches) == 1:
            return self.tables[next(iter(matches))]
        if matches:
            return None  # ambiguous here: do not let a parent's guess win
        return self.parent.lookup(name) if self.parent is not None else None

    def canonical(self, name: str) -> str:
        """The full name of the one known table ``name`` abbreviates, else ``name``."""
        if name in self.tables:
            return name
        matches = self._by_suffix.get(name, set())
        if len(matches) == 1:
            return next(iter(matches))
        if not matches and self.parent is not None:
            return self.parent.canonical(name)
        return name

    def fingerprint(self) -> str:
        """Changes whenever a known column list does."""
        items = sorted((name, sorted(cols.items())) for name, cols in self.tables.items())
        parent = self.parent.fingerprint() if self.parent is not None else ""
        return hashlib.sha256(repr((items, parent)).encode()).hexdigest()

    def for_tables(self, names: Iterable[str]) -> dict[str, dict[str, str]]:
        """The known columns of each of ``names``, keyed by the name as written."""
        out = {}
        for name in names:
            columns = self.lookup(name)
            if columns:
                out[name] = columns
        return out

    def learn_ddl(self, trees: Iterable[exp.Expression]) -> None:
        """CREATE TABLE (with columns) and ALTER TABLE ADD COLUMN."""
        for tree in trees:
            if not isinstance(tree, exp.Create | exp.Alter):
                continue
            plan = plan_of(tree)
            if plan.kind == "ddl" and plan.target is not None and plan.fields:
                self.add(table_name(plan.target), dict(plan.fields))

    def learn_result(self, result) -> None:
        """A table or view built by this statement, when all its columns are named."""
        if result.error or result.kind not in _LEARNT_KINDS or not result.targets:
            return
        target = result.targets[0]
        names = [c.target[len(target) + 1 :] for c in result.columns]
        if names and "*" not in names:
            self.add(target, dict.fromkeys(names, ""))


def _flatten(mapping: Mapping, prefix: str = ""):
    for key, value in mapping.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if (
            isinstance(value, Mapping)
            and value
            and all(isinstance(v, Mapping) for v in value.values())
        ):
            yield from _flatten(value, name)
        elif isinstance(value, Mapping):
            yield name, value


def _normal_table(name: str, dialect: str | None) -> str:
    try:
        table = exp.to_table(name, dialect=dialect)
    except Exception:  # not a SQL name: keep it, lower-cased like most dialects
        return name.lower()
    return table_name(normalize_identifiers(table, dialect=dialect))


def _normal_columns(columns: Mapping, dialect: str | None) -> dict[str, str]:
    out = {}
    for column, kind in columns.items():
        identifier = normalize_identifiers(exp.to_identifier(str(column)), dialect=dialect)
        out[identifier.name] = "" if kind is None else str(kind)
    return out
