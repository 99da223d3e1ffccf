"""SQL lineage: which tables and columns each statement of a SQL script reads and writes.

Uses sqlglot to split, parse and qualify; knows nothing of Neo4j. Every statement is handled on
its own: one that fails (parse error, sqlglot error, RecursionError) gets an ``error`` of the
form ``"line N: message"`` and the others still produce lineage.

Column lineage is computed for INSERT ... SELECT, CREATE TABLE AS, CREATE [MATERIALIZED] VIEW
and plain SELECT, tracing every output column through CTEs, derived tables, scalar/correlated
subqueries and set operations (by position). Columns used only in WHERE / JOIN ON / GROUP BY /
HAVING / QUALIFY go to ``filters``. MERGE and UPDATE give table-level lineage only (targets and
sources, no columns); other statements are ``ddl``/``other``.

Without a schema, an unqualified column in a scope with several tables cannot be attributed
and is left out of ``sources``; ``SELECT *`` stays ``src.*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

_GO = re.compile(r"^[ \t]*GO[ \t]*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class ColumnLineage:
    target: str
    sources: tuple[str, ...]
    transform: str | None


@dataclass(frozen=True)
class StatementLineage:
    file: str
    line: int
    index: int
    kind: str
    targets: tuple[str, ...]
    sources: tuple[str, ...]
    columns: tuple[ColumnLineage, ...]
    filters: tuple[str, ...]
    error: str | None

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "index": self.index,
            "kind": self.kind,
            "targets": list(self.targets),
            "sources": list(self.sources),
            "columns": [
                {"target": c.target, "sources": list(c.sources), "transform": c.transform}
                for c in self.columns
            ],
            "filters": list(self.filters),
            "error": self.error,
        }


def split_statements(sql: str, dialect: str | None = None) -> list[tuple[int, str]]:
    """(1-based start line, text) of each statement; ``GO`` lines separate batches."""
    text = _GO.sub(lambda m: ";" + " " * (len(m.group(0)) - 1), sql)
    try:
        tokens = sqlglot.tokenize(text, read=dialect)
    except Exception:
        first = next((i for i, ln in enumerate(text.splitlines(), 1) if ln.strip()), 1)
        return [(first, text)] if text.strip() else []
    out: list[tuple[int, str]] = []
    chunk: list = []
    for tok in [*tokens, None]:
        if tok is not None and tok.token_type != sqlglot.TokenType.SEMICOLON:
            chunk.append(tok)
        elif chunk:
            out.append((chunk[0].line, text[chunk[0].start : chunk[-1].end + 1]))
            chunk = []
    return out


def _table_name(t: exp.Table) -> str:
    return ".".join(p for p in (t.catalog, t.db, t.name) if p)


def _error(file: str, line: int, index: int, msg: str) -> StatementLineage:
    return StatementLineage(file, line, index, "other", (), (), (), (), msg)


def lineage_of_text(
    sql: str, *, file: str = "<text>", dialect: str | None = None, schema: dict | None = None
) -> list[StatementLineage]:
    results = []
    try:
        statements = split_statements(sql, dialect)
    except (Exception, RecursionError) as e:
        return [_error(file, 1, 0, f"line 1: cannot split script: {type(e).__name__}: {e}")]
    for index, (line, text) in enumerate(statements):
        try:
            results.append(_statement(text, file, line, index, dialect, schema))
        except RecursionError:
            results.append(_error(file, line, index, f"line {line}: statement nests too deeply"))
        except Exception as e:  # one statement must never stop the run
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            results.append(_error(file, line, index, f"line {line}: {msg}"))
    return results


def lineage_of_paths(
    paths: list[Path], *, dialect: str | None = None, schema: dict | None = None
) -> list[StatementLineage]:
    files: set[Path] = set()
    for p in paths:
        p = Path(p)
        files.update(p.rglob("*.sql") if p.is_dir() else [p])
    out = []
    for f in sorted(files):
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            out.append(_error(str(f), 1, 0, f"line 1: {e}"))
            continue
        out.extend(lineage_of_text(text, file=str(f), dialect=dialect, schema=schema))
    return out


def summary(results) -> dict:
    results = list(results)
    failed = sum(1 for r in results if r.error)
    with_lineage = sum(1 for r in results if not r.error and (r.columns or r.sources))
    return {"statements": len(results), "with_lineage": with_lineage, "failed": failed}


class _Tracer:
    def __init__(self, root: Scope):
        self.scopes = {id(s.expression): s for s in root.traverse()}

    def leaves(self, scope: Scope) -> list[Scope]:
        """The SELECT scopes of a set operation (UNION/INTERSECT/EXCEPT), left to right."""
        stack, out = [scope.expression], []
        while stack:
            e = stack.pop()
            if isinstance(e, exp.SetOperation):
                stack += [e.expression, e.this]
            elif id(e) in self.scopes:
                out.append(self.scopes[id(e)])
        return out

    def column(self, scope: Scope, col: exp.Column, depth: int = 0) -> set[str]:
        if depth > 50:
            return set()
        source = scope.sources.get(col.table)
        if source is None and not col.table and len(scope.selected_sources) == 1:
            source = next(iter(scope.selected_sources.values()))[1]
        if isinstance(source, exp.Table):
            return {f"{_table_name(source)}.{col.name}"}
        if isinstance(source, Scope):
            return self.output(source, col.name, None, depth + 1)
        return set()

    def output(self, scope: Scope, name: str | None, pos: int | None, depth: int) -> set[str]:
        """Source columns of output ``name`` (or position ``pos``) of ``scope``."""
        if isinstance(scope.expression, exp.SetOperation):
            expr = scope.expression
            first = expr
            while isinstance(first, exp.SetOperation):
                first = first.left
            if pos is None:
                names = [s.alias_or_name for s in first.selects]
                pos = names.index(name) if name in names else None
            if pos is None:
                return set()
            out: set[str] = set()
            for sub in self.leaves(scope):
                out |= self.output(sub, None, pos, depth + 1)
            return out
        selects = scope.expression.selects if isinstance(scope.expression, exp.Query) else []
        if pos is not None:
            proj = selects[pos] if pos < len(selects) else None
        else:
            proj = next((s for s in selects if s.alias_or_name == name), None)
        if proj is None:
            return set()
        return self.expr(scope, proj, depth)

    def expr(
        self, scope: Scope, node: exp.Expression, depth: int = 0, values: bool = True
    ) -> set[str]:
        out: set[str] = set()
        for col in node.find_all(exp.Column):
            if isinstance(col.this, exp.Star) or (values and _in_filter(col, node)):
                continue
            # a column inside a scalar/IN subquery belongs to that subquery's scope; a
            # correlated one to the nearest enclosing scope that knows its table
            sc = self.scopes.get(id(col.find_ancestor(exp.Select)), scope)
            while sc.parent is not None and col.table and col.table not in sc.sources:
                sc = sc.parent
            out |= self.column(sc, col, depth)
        return out


_FILTER_CLAUSES = (exp.Where, exp.Having, exp.Group, exp.Qualify, exp.Join)


def _in_filter(col: exp.Expression, top: exp.Expression) -> bool:
    """Whether ``col`` sits in a WHERE/JOIN/GROUP BY/HAVING/QUALIFY below ``top``."""
    node = col.parent
    while node is not None and node is not top:
        if isinstance(node, _FILTER_CLAUSES):
            return True
        node = node.parent
    return False


def _tables(scope: Scope) -> set[str]:
    out = set()
    for s in scope.traverse():
        for src in s.sources.values():
            if isinstance(src, exp.Table):
                out.add(_table_name(src))
    return out


def _filters(root: Scope, tracer: _Tracer) -> set[str]:
    out: set[str] = set()
    for s in root.traverse():
        e = s.expression
        nodes = [e.args.get(k) for k in ("where", "group", "having", "qualify")]
        nodes += [j.args.get("on") for j in e.args.get("joins") or []]
        for n in nodes:
            if n is not None:
                out |= tracer.expr(s, n, values=False)
    return out


def _statement(text, file, line, index, dialect, schema) -> StatementLineage:
    try:
        tree = sqlglot.parse_one(text, read=dialect)
    except sqlglot.errors.ParseError as e:
        err = e.errors[0] if e.errors else {}
        msg = err.get("description") or str(e).splitlines()[0]
        at = line + (err.get("line") or 1) - 1
        return _error(file, line, index, f"line {at}: {msg}")
    if tree is None:
        return _error(file, line, index, f"line {line}: empty statement")
    tree = normalize_identifiers(tree, dialect=dialect)
    kind, target, query, target_cols = _classify(tree)
    if query is None:
        targets = (_table_name(target),) if target is not None else ()
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        tables = {_table_name(t) for t in tree.find_all(exp.Table)} - set(targets) - ctes
        return StatementLineage(
            file, line, index, kind, targets, tuple(sorted(tables)), (), (), None
        )
    query = query.copy()
    with_ = tree.args.get("with_") or tree.args.get("with")
    if with_ is not None and query is not tree and not query.args.get("with_"):
        query.set("with_", with_.copy())
    opts = {
        "schema": _nested(schema),
        "dialect": dialect,
        "identify": False,
        "validate_qualify_columns": False,
        "expand_stars": bool(schema),
    }
    try:
        query = qualify(query.copy(), **opts)
    except sqlglot.errors.OptimizeError:
        # e.g. a scalar subquery sqlglot cannot resolve without a schema: keep names as written
        query = qualify(query, **opts, qualify_columns=False)
    root = build_scope(query)
    if root is None:
        raise ValueError("cannot build scope")
    tracer = _Tracer(root)
    tname = _table_name(target) if target is not None else None
    columns = []
    first = query
    while isinstance(first, exp.SetOperation):
        first = first.left
    for pos, proj in enumerate(first.selects):
        if isinstance(proj, exp.Star) or (
            isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star)
        ):
            leaves = tracer.leaves(root) if isinstance(query, exp.SetOperation) else [root]
            scope = leaves[0] if leaves else root
            srcs = (
                {
                    f"{_table_name(s)}.*"
                    for s in (scope.sources.get(proj.table),)
                    if isinstance(s, exp.Table)
                }
                if isinstance(proj, exp.Column) and proj.table
                else {f"{t}.*" for t in _tables(scope)}
            )
            columns.append(ColumnLineage(f"{tname or ''}.*".lstrip("."), tuple(sorted(srcs)), None))
            continue
        name = target_cols[pos] if pos < len(target_cols) else proj.alias_or_name
        srcs = tracer.output(root, None, pos, 0)
        inner = proj.unalias()
        transform = None if isinstance(inner, exp.Column) else inner.sql(dialect=dialect)
        full = f"{tname}.{name}" if tname else name
        columns.append(ColumnLineage(full, tuple(sorted(srcs)), transform))
    tables = _tables(root)
    return StatementLineage(
        file,
        line,
        index,
        kind,
        (tname,) if tname else (),
        tuple(sorted(tables)),
        tuple(columns),
        tuple(sorted(_filters(root, tracer))),
        None,
    )


def _nested(schema: dict | None) -> dict | None:
    """{"db.table": cols} -> {"db": {"table": cols}}, as sqlglot's schema wants."""
    if not schema:
        return None
    out: dict = {}
    for key, cols in schema.items():
        parts = key.split(".") if isinstance(cols, dict) and "." in key else [key]
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = cols
    depths = {len(k.split(".")) for k in schema}
    if len(depths) > 1:
        raise ValueError("schema keys must all have the same number of parts")
    return out


def _classify(tree: exp.Expression) -> tuple[str, Any, Any, list[str]]:
    """(kind, target table, query, target column names)."""
    if isinstance(tree, exp.Insert):
        this = tree.this
        cols: list[str] = []
        if isinstance(this, exp.Schema):
            cols = [c.name for c in this.expressions]
            this = this.this
        q = tree.expression
        return "insert", this, q if isinstance(q, exp.Query) else None, cols
    if isinstance(tree, exp.Create):
        this = tree.this
        cols = []
        if isinstance(this, exp.Schema):
            cols = [c.name for c in this.expressions if isinstance(c, exp.Identifier | exp.Column)]
            this = this.this
        q = tree.expression
        kind_ = (tree.args.get("kind") or "").upper()
        if isinstance(q, exp.Query):
            return ("create_view" if kind_ == "VIEW" else "create_table_as"), this, q, cols
        return "ddl", this if isinstance(this, exp.Table) else None, None, []
    if isinstance(tree, exp.Query):
        return "select", None, tree, []
    if isinstance(tree, exp.Merge):
        return "merge", tree.this, None, []
    if isinstance(tree, exp.Update):
        return "update", tree.this, None, []
    if isinstance(tree, exp.Drop | exp.Alter):
        return "ddl", tree.find(exp.Table), None, []
    return "other", None, None, []
