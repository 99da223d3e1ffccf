"""Trace the output columns of a qualified query back to base-table columns.

Works on sqlglot's scope tree (``build_scope``): a column of a derived table, CTE or set
operation is followed into that scope; a column of a base table is a lineage source. Value
lineage (what a value is computed from) is kept apart from filter lineage (what only decides
which rows: WHERE, JOIN ON, GROUP BY, HAVING, QUALIFY).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

# A derived table nested deeper than this is not followed (and says so).
MAX_DEPTH = 64

# Confidence of an edge that needed a guess: a column whose table could not be told
# without a schema is attributed to every candidate table.
AMBIGUOUS_CONFIDENCE = 0.5

FILTER_CLAUSES = (exp.Where, exp.Having, exp.Group, exp.Qualify, exp.Join, exp.Connect)
# Table-valued expressions whose output columns come from their arguments.
_TABLE_FUNCTIONS = (exp.Unnest, exp.Lateral, exp.Explode, exp.UDTF)


def table_name(table: exp.Table) -> str:
    """The table's name as written, after normalisation; T-SQL ``#temp`` and ``##global``
    keep their marks."""
    name = table.name
    if isinstance(table.this, exp.Identifier) and table.this.args.get("global_"):
        name = f"##{name}"  # T-SQL global temporary table
    elif isinstance(table.this, exp.Identifier) and table.this.args.get("temporary"):
        name = f"#{name}"
    return ".".join(p for p in (table.catalog, table.db, name) if p)


@dataclass
class Tracer:
    """Follows columns through one statement's scopes. ``known`` maps tables with a known
    column list (schema, DDL) to their columns: a table there that lacks a column is not a
    candidate for it. Guesses are recorded in ``guessed`` and explained in ``warnings``."""

    root: Scope
    known: dict[str, set[str]] = field(default_factory=dict)
    implied: dict[str, set[str]] = field(default_factory=dict)
    guessed: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    grouped: set[str] = field(default_factory=set)  # a PIVOT's implicit GROUP BY columns

    def __post_init__(self) -> None:
        self.scopes = {id(s.expression): s for s in self.root.traverse()}
        # a recursive CTE reads itself as a table of its own name; a plain one named like a
        # table (WITH orders AS (... FROM orders)) reads that table
        self.ctes = {
            s.expression.parent.alias: s
            for s in self.scopes.values()
            if s.is_cte
            and isinstance(s.expression.parent, exp.CTE)
            and is_recursive_cte(s.expression.parent)
        }
        self._following: set[tuple[int, str]] = set()
        # A column written with a table qualifier proves that table has it. In valid SQL an
        # unqualified column belongs to exactly one source, so a source proven to have it
        # is the one: this resolves most ambiguity without a schema, and without guessing.
        for scope in self.scopes.values():
            for col in scope.columns:
                source = scope.sources.get(col.table) if col.table else None
                if isinstance(source, exp.Table):
                    self.implied.setdefault(table_name(source), set()).add(col.name)

    def leaves(self, scope: Scope) -> list[Scope]:
        """The SELECT scopes of a set operation (UNION/INTERSECT/EXCEPT), left to right."""
        stack, out = [scope.expression], []
        while stack:
            node = stack.pop()
            if isinstance(node, exp.SetOperation):
                stack += [node.expression, node.this]
            elif isinstance(node, exp.Subquery) and id(node) not in self.scopes:
                stack.append(node.this)
            elif id(node) in self.scopes:
                out.append(self.scopes[id(node)])
        return out

    def output(self, scope: Scope, name: str | None, pos: int | None, depth: int = 0) -> set[str]:
        """Source columns of output ``name`` (or position ``pos``) of ``scope``."""
        if depth > MAX_DEPTH:
            self._warn(f"lineage deeper than {MAX_DEPTH} nested queries was not followed")
            return set()
        if isinstance(scope.expression, exp.SetOperation):
            return self._set_output(scope, name, pos, depth)
        lateral = scope.expression
        if isinstance(lateral, exp.Lateral) and isinstance(lateral.this, exp.Subquery | exp.Query):
            # LATERAL (SELECT ...) / CROSS APPLY (SELECT ... UNION ALL ...): its projections,
            # as a query's; a set operation's branches by position
            branches = list(_selects_of(lateral.this.unnest()))
            names = [p.alias_or_name for p in branches[0].selects] if branches else []
            at = pos if pos is not None else (names.index(name) if name in names else None)
            out: set[str] = set()
            for branch in branches if at is not None else []:
                if at < len(branch.selects):
                    out |= self.expr(scope, branch.selects[at], depth)
            return out
        if not isinstance(scope.expression, exp.Query):
            # UNNEST(o.lines) AS i(sku), LATERAL FLATTEN(...), LATERAL VIEW explode(...):
            # every output column comes from the function's arguments
            return self.expr(scope.parent or scope, scope.expression, depth + 1)
        selects = scope.expression.selects if isinstance(scope.expression, exp.Query) else []
        if pos is not None and len(selects) == 1 and is_star(selects[0]):
            # SELECT * FROM cte in a set operation: the star passes positions through
            sources = [source for _, source in scope.selected_sources.values()]
            if len(sources) == 1 and isinstance(sources[0], Scope):
                return self.output(sources[0], None, pos, depth + 1)
        if pos is not None:
            proj = selects[pos] if pos < len(selects) else None
        else:
            proj = next((s for s in selects if s.alias_or_name == name), None)
            if proj is None and any(is_star(s) for s in selects):
                return self._through_star(scope, name or "", depth)
        return set() if proj is None else self.expr(scope, proj, depth)

    def expr(
        self, scope: Scope, node: exp.Expression, depth: int = 0, values: bool = True
    ) -> set[str]:
        """Base columns ``node`` reads; with ``values``, those in its filters are left out."""
        out: set[str] = set()
        for col in node.find_all(exp.Column):
            if isinstance(col.this, exp.Star) or (values and _in_filter(col, node)):
                continue
            out |= self.column(self._owner(scope, col), col, depth)
        return out

    def column(self, scope: Scope, col: exp.Column, depth: int = 0) -> set[str]:
        source = scope.sources.get(col.table) if col.table else None
        if source is None and col.table:
            pivot = _pivot_named(scope, col.table)
            if pivot is not None:
                return self._pivoted(scope, pivot, col.name, depth)
        if source is None and not col.table:
            candidates = list(scope.selected_sources.values())
            if len(candidates) != 1:
                return self._ambiguous(scope, col, depth)
            source = candidates[0][1]
        return self._from_source(scope, source, col, depth)

    def _from_source(self, scope: Scope, source, col: exp.Column, depth: int) -> set[str]:
        if isinstance(source, exp.Table) and not source.db and source.name in self.ctes:
            return self._recursive(self.ctes[source.name], col.name, depth)
        if isinstance(source, exp.Table):
            return {f"{table_name(source)}.{col.name}"}
        if isinstance(source, Scope):
            return self.output(source, col.name, None, depth + 1)
        if isinstance(source, _TABLE_FUNCTIONS):
            # UNNEST(t.items) AS i(x): i.x comes from t.items
            return self.expr(scope, source, depth + 1)
        return set()

    def _recursive(self, cte: Scope, name: str, depth: int) -> set[str]:
        key = (id(cte), name)
        if key in self._following:
            return set()  # the recursion itself adds no new source
        self._following.add(key)
        try:
            return self.output(cte, name, None, depth + 1)
        finally:
            self._following.discard(key)

    def _owner(self, scope: Scope, col: exp.Column) -> Scope:
        # A column inside a scalar/IN subquery belongs to that subquery's scope; a
        # correlated one to the nearest enclosing scope that knows its table.
        owner = self.scopes.get(id(col.find_ancestor(exp.Select)), scope)
        while owner.parent is not None and col.table and col.table not in owner.sources:
            owner = owner.parent
        return owner

    def _pivoted(self, scope: Scope, pivot: exp.Pivot, name: str, depth: int) -> set[str]:
        """A column of ``... PIVOT (agg(x) FOR k IN (...)) AS p``: a pivoted column comes from
        x and k; any other passes through from the pivoted relation and groups its rows."""
        renamed = _renamed_pivot_column(pivot, name)
        if renamed is None:
            return self._from_pivot_inputs(scope, pivot, depth)
        name = renamed
        if name in _pivot_outputs(pivot):
            return self._from_pivot_inputs(scope, pivot, depth)
        relation = pivot.parent
        alias = relation.alias_or_name if relation is not None else ""
        passed = self.column(scope, exp.column(name, table=alias), depth + 1) if alias else set()
        self.grouped |= passed
        return passed

    def _from_pivot_inputs(self, scope: Scope, pivot: exp.Pivot, depth: int) -> set[str]:
        inputs = [*pivot.expressions, *(f.this for f in pivot.args.get("fields") or ())]
        out: set[str] = set()
        for node in inputs:
            out |= self.expr(scope, node, depth + 1)
        return out

    def _set_output(self, scope: Scope, name: str | None, pos: int | None, depth: int):
        first = scope.expression
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

    def _through_star(self, scope: Scope, name: str, depth: int) -> set[str]:
        """``name`` read from a scope that selects ``*``: it comes from whichever of that
        scope's sources has it."""
        fake = exp.column(name)
        candidates = list(scope.selected_sources.values())
        if len(candidates) == 1:
            return self._from_source(scope, candidates[0][1], fake, depth)
        return self._ambiguous(scope, fake, depth)

    def _ambiguous(self, scope: Scope, col: exp.Column, depth: int) -> set[str]:
        """An unqualified column in a scope reading several sources. A source known to have
        it wins; otherwise every source whose columns are unknown is a candidate."""
        having, unknown = [], []
        for _, source in scope.selected_sources.values():
            has = self._has_column(source, col.name)
            if has:
                having.append(source)
            elif has is None:
                unknown.append(source)
        if len(having) == 1:
            return self._from_source(scope, having[0], col, depth)
        candidates = having or unknown
        out: set[str] = set()
        for source in candidates:
            out |= self._from_source(scope, source, col, depth)
        if len(candidates) > 1:
            self.guessed |= out
            self._warn(
                f"column {col.name} could be in any of {', '.join(sorted(out))}; "
                "lineage goes to all of them (give a schema to resolve it)"
            )
        return out

    def _has_column(self, source, name: str) -> bool | None:
        if isinstance(source, exp.Table):
            cols = self.known.get(table_name(source))
            if cols is not None:
                return name in cols
            return True if name in self.implied.get(table_name(source), ()) else None
        if isinstance(source, Scope) and not isinstance(source.expression, exp.Query):
            return _function_has_column(source.expression, name)
        if isinstance(source, Scope) and isinstance(source.expression, exp.Select):
            selects = source.expression.selects
            if any(is_star(s) for s in selects):
                return None
            return any(s.alias_or_name == name for s in selects)
        return None

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


def _pivot_named(scope: Scope, alias: str) -> exp.Pivot | None:
    for pivot in scope.expression.find_all(exp.Pivot):
        if pivot.alias_or_name == alias and not pivot.args.get("unpivot"):
            return pivot
    return None


def _renamed_pivot_column(pivot: exp.Pivot, name: str) -> str | None:
    """``PIVOT (...) AS p (id, email_n, chat_n)`` renames the pivot's columns by position: the
    last ones are the pivoted values (None), the first the passed-through columns, whose
    names as the relation has them are returned. Other names are returned as they are."""
    alias = pivot.args.get("alias")
    renames = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
    if name not in renames:
        return name
    position = renames.index(name)
    values = sum(len(f.expressions) for f in pivot.args.get("fields") or ())
    passed = len(renames) - values * max(1, len(pivot.expressions))  # a column per value x agg
    if position >= passed:
        return None
    relation = pivot.parent
    inner = relation.unnest() if isinstance(relation, exp.Subquery) else None
    if not isinstance(inner, exp.Select):
        return name  # a table's columns are not known here: the name is the best guess
    inputs = [*pivot.expressions, *(pivot.args.get("fields") or ())]
    used = {c.name for node in inputs for c in node.find_all(exp.Column)}
    columns = [s.alias_or_name for s in inner.selects if s.alias_or_name not in used]
    return columns[position] if position < len(columns) else name


def _pivot_outputs(pivot: exp.Pivot) -> set[str]:
    names = {c.name for c in pivot.args.get("columns") or ()}
    for field_ in pivot.args.get("fields") or ():
        for value in field_.expressions:
            names.add(value.alias if isinstance(value, exp.PivotAlias) else value.name)
    return names


def _function_has_column(function: exp.Expression, name: str) -> bool | None:
    """``unnest(x) AS t(a, b)`` has columns a and b; ``unnest(x) AS tag`` has tag."""
    alias = function.args.get("alias")
    if not isinstance(alias, exp.TableAlias):
        return None
    columns = [c.name for c in alias.columns]
    if columns:
        return name in columns
    return True if alias.name == name else None


def is_star(node: exp.Expression) -> bool:
    return isinstance(node, exp.Star) or (
        isinstance(node, exp.Column) and isinstance(node.this, exp.Star)
    )


def _in_filter(col: exp.Expression, top: exp.Expression) -> bool:
    """Whether ``col`` sits in a WHERE/JOIN/GROUP BY/HAVING/QUALIFY below ``top``."""
    node = col.parent
    while node is not None and node is not top:
        if isinstance(node, FILTER_CLAUSES):
            # COUNT(*) FILTER (WHERE ...) computes a value; it does not choose rows
            return not isinstance(node.parent, exp.Filter)
        node = node.parent
    return False


def base_tables(root: Scope) -> set[str]:
    """Every base table read anywhere in the query."""
    out = set()
    for scope in root.traverse():
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                out.add(table_name(source))
    return out


def filter_columns(tracer: Tracer) -> set[str]:
    """Base columns that decide which rows: WHERE, JOIN ON, GROUP BY, HAVING, QUALIFY, and
    Oracle's START WITH / CONNECT BY."""
    out: set[str] = set()
    for scope in tracer.root.traverse():
        node = scope.expression
        clauses = [node.args.get(k) for k in ("where", "group", "having", "qualify", "connect")]
        clauses += [j.args.get("on") for j in node.args.get("joins") or []]
        for clause in clauses:
            if clause is not None:
                out |= tracer.expr(scope, clause, values=False)
    return out | tracer.grouped


def is_recursive_cte(cte: exp.CTE) -> bool:
    """RECURSIVE, or T-SQL's anchor UNION ALL (it has no keyword for recursion)."""
    with_ = cte.parent
    return bool(with_ is not None and with_.args.get("recursive")) or isinstance(
        cte.this, exp.SetOperation
    )


def _selects_of(query: exp.Expression) -> Iterator[exp.Select]:
    """The SELECTs of a query, or of each branch of a set operation, left to right."""
    if isinstance(query, exp.SetOperation):
        yield from _selects_of(query.this)
        yield from _selects_of(query.expression)
    elif isinstance(query, exp.Subquery):
        yield from _selects_of(query.unnest())
    elif isinstance(query, exp.Select):
        yield query
