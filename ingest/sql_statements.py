"""What a parsed SQL statement writes, and the query whose lineage says with what.

Every statement kind is reduced to a ``Plan``: a target table, the names of the columns it
writes by position, and one SELECT whose projections compute them. INSERT, CREATE TABLE AS,
views and SELECT INTO already hold that SELECT. UPDATE, MERGE and DELETE do not, so an
equivalent one is built: ``UPDATE t SET a = s.b FROM s WHERE ...`` reads like
``SELECT s.b FROM t, s WHERE ...``, and each MERGE branch adds its SET or VALUES
expressions and its condition. The tracer then handles every kind the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp

from ingest.sql_trace import table_name

# A written column known only by its position in the target table (``INSERT VALUES (...)``
# without a column list): named from the target's schema when there is one.
BY_POSITION = ""


@dataclass
class Plan:
    kind: str
    target: exp.Table | None = None
    query: exp.Query | None = None  # its projections compute the written columns
    columns: list[str] = field(default_factory=list)  # written column names, by position
    temporary: bool = False
    fields: list[tuple[str, str]] = field(default_factory=list)  # DDL: (column, type)
    dml: bool = False  # UPDATE/MERGE/DELETE: the target is written, not read
    star_from: str | None = None  # MERGE ... UPDATE SET * / INSERT *: the source's alias
    # INSERT ... ON CONFLICT DO UPDATE / ON DUPLICATE KEY UPDATE: (column, new value), and
    # the names the value may give the target by (its alias, its name)
    upserts: list[tuple[str, exp.Expression]] = field(default_factory=list)
    target_names: frozenset[str] = frozenset()


def plan_of(tree: exp.Expression) -> Plan:
    for kind, builder in _BUILDERS:
        if isinstance(tree, kind):
            return builder(tree)
    return Plan("other")


def multitable_parts(tree: exp.MultitableInserts) -> list[exp.Insert]:
    """Hive's ``FROM src INSERT ... SELECT ... INSERT ... SELECT ...`` and Snowflake's
    ``INSERT ALL|FIRST WHEN c THEN INTO t VALUES (...) ... SELECT ...`` as one plain INSERT per
    target, each reading the shared source (and, for Snowflake, filtered by its condition;
    which rows FIRST or ELSE leave to a branch is still decided by the conditions' columns)."""
    source = tree.args.get("source")
    parts = []
    for branch in tree.expressions:
        insert = branch.this if isinstance(branch, exp.ConditionalInsert) else branch
        if not isinstance(insert, exp.Insert):
            continue
        if isinstance(source, exp.Query):
            query = _over_derived(source, insert.expression, branch.args.get("expression"))
        else:
            query = _with_from(insert.expression, source)
        if query is not None:
            parts.append(exp.Insert(this=insert.this.copy(), expression=query))
    return parts


def _over_derived(source: exp.Query, values, condition) -> exp.Select:
    if isinstance(values, exp.Values) and values.expressions:
        projections = [v.copy() for v in values.expressions[0].expressions]
    else:
        projections = [exp.Star()]
    query = exp.Select(expressions=projections)
    derived = exp.Subquery(this=source.copy(), alias=exp.TableAlias(this=exp.to_identifier("_src")))
    query.set("from_", exp.From(this=derived))
    if condition is not None:
        query.set("where", exp.Where(this=condition.copy()))
    return query


def _with_from(query, source) -> exp.Query | None:
    if not isinstance(query, exp.Select) or source is None:
        return query if isinstance(query, exp.Query) else None
    query = query.copy()
    if query.args.get("from_") is None:
        table, joins = _detach_joins(source)
        query.set("from_", exp.From(this=table))
        query.set("joins", [*joins, *(query.args.get("joins") or [])] or None)
    return query


def _insert(tree: exp.Insert) -> Plan:
    target, columns = _target_and_columns(tree.this)
    query = tree.expression if isinstance(tree.expression, exp.Query) else None
    if isinstance(tree.expression, exp.Values) and tree.expression.find(exp.Query):
        query = values_as_select(tree.expression)  # rows of constants read nothing
    plan = Plan("insert", target, _with_ctes(tree, query), columns, _is_temporary(tree, target))
    conflict = tree.args.get("conflict")
    if conflict is not None and target is not None:
        plan.upserts = [(e.this.name, e.expression) for e in _assignments(conflict.expressions)]
        plan.target_names = frozenset({target.name, target.alias} - {""})
    return plan


def values_as_select(values: exp.Values, names: list[str] | None = None) -> exp.Query | None:
    """``VALUES ('x', (SELECT SUM(a) FROM t))`` as the SELECT (a UNION ALL of one per row)
    that computes its rows, the columns named ``names`` when given."""
    rows = []
    for row in values.expressions:
        if not isinstance(row, exp.Tuple):
            continue
        cells = [v.copy() for v in row.expressions]
        if names and len(names) == len(cells):
            cells = [
                exp.alias_(cell, name, copy=False) for cell, name in zip(cells, names, strict=True)
            ]
        rows.append(exp.Select(expressions=cells))
    if not rows:
        return None
    query = rows[0]
    for row in rows[1:]:
        query = exp.union(query, row, distinct=False, copy=False)
    return query


def _create(tree: exp.Create) -> Plan:
    target, columns = _target_and_columns(tree.this)
    temporary = _is_temporary(tree, target)
    query = tree.expression
    if isinstance(query, exp.Query):
        kind = (
            "create_view" if (tree.args.get("kind") or "").upper() == "VIEW" else "create_table_as"
        )
        return Plan(kind, target, _with_ctes(tree, query), columns, temporary)
    if (tree.args.get("kind") or "").upper() in ("FUNCTION", "PROCEDURE", "MACRO"):
        return Plan("other")  # code, not data: a routine reads tables only when it runs
    return Plan("ddl", target, temporary=temporary, fields=_column_defs(tree.this))


def _select(tree: exp.Query) -> Plan:
    into = tree.args.get("into")
    if not isinstance(into, exp.Into) or not isinstance(into.this, exp.Table):
        return Plan("select", query=tree)
    query = tree.copy()
    query.set("into", None)
    temporary = bool(into.args.get("temporary")) or _is_temporary(tree, into.this)
    return Plan("select_into", into.this, query, temporary=temporary)


def _update(tree: exp.Update) -> Plan:
    target, joins = _detach_joins(tree.this)
    joins = joins + _from_as_joins(tree.args.get("from_")) + (tree.args.get("joins") or [])
    aliased = _aliased_in(target, joins)
    if aliased is not None:  # T-SQL: UPDATE s SET ... FROM shipping.shipments s JOIN ...
        target = aliased.this.copy()
        joins = [j for j in joins if j is not aliased]
    assignments = list(_assignments(tree.expressions))
    query = _select_over(target, [a.expression for a in assignments])
    for join in joins:
        query.append("joins", join.copy())
    if tree.args.get("where") is not None:
        query.set("where", tree.args["where"].copy())
    columns = [a.this.name for a in assignments]
    written = _cte_base(tree, target) or target
    return Plan("update", written, _with_ctes(tree, query), columns, dml=True)


def _assignments(expressions: list[exp.Expression]) -> Iterator[exp.EQ]:
    """``SET a = x`` as it is; ``SET (a, b) = (x, y)`` as ``a = x`` and ``b = y``."""
    for e in expressions:
        if not isinstance(e, exp.EQ):
            continue
        names, values = e.this, e.expression
        if isinstance(names, exp.Tuple) and isinstance(values, exp.Tuple):
            pairs = zip(names.expressions, values.expressions, strict=False)
            yield from (exp.EQ(this=name, expression=value) for name, value in pairs)
        elif isinstance(names, exp.Tuple) and isinstance(values.unnest(), exp.Select):
            # SET (a, b) = (SELECT x, y FROM ...): a takes x, b takes y, rows chosen alike
            select = values.unnest()
            for i, name in enumerate(names.expressions[: len(select.selects)]):
                one = select.copy()
                one.set("expressions", [select.selects[i].copy()])
                yield exp.EQ(this=name, expression=exp.Subquery(this=one))
        elif not isinstance(names, exp.Tuple):
            yield e


def _cte_base(tree: exp.Expression, target: exp.Table) -> exp.Table | None:
    """T-SQL updates through a CTE (``WITH latest AS (SELECT ... FROM t) UPDATE latest``):
    the rows written are the table the CTE selects from, when it selects from exactly one."""
    with_ = tree.args.get("with_")
    if target.db or with_ is None:
        return None
    for cte in with_.expressions:
        if cte.alias_or_name != target.name or not isinstance(cte.this, exp.Select):
            continue
        from_ = cte.this.args.get("from_")
        if (
            from_ is not None
            and isinstance(from_.this, exp.Table)
            and not cte.this.args.get("joins")
        ):
            base = from_.this.copy()
            base.set("alias", None)
            return base
    return None


def _merge(tree: exp.Merge) -> Plan:
    target, _ = _detach_joins(tree.this)
    columns, values, conditions = [], [], []
    star = False
    whens = tree.args.get("whens")
    for when in whens.expressions if whens is not None else []:
        if when.args.get("condition") is not None:
            conditions.append(when.args["condition"])
        then = when.args.get("then")
        if isinstance(then, exp.Update | exp.Insert) and then.args.get("where") is not None:
            conditions.append(then.args["where"].this)  # Oracle: UPDATE SET ... WHERE ...
        star = star or _sets_star(then)
        if isinstance(then, exp.Update):
            for a in (e for e in then.expressions if isinstance(e, exp.EQ)):
                columns.append(a.this.name)
                values.append(a.expression)
        elif isinstance(then, exp.Insert) and isinstance(then.expression, exp.Tuple):
            row = then.expression.expressions
            names = (
                [n.name for n in then.this.expressions] if isinstance(then.this, exp.Tuple) else []
            )
            columns.extend(names or [BY_POSITION] * len(row))
            values.extend(row[: len(names)] if names else row)
    query = _select_over(target, values)
    using = tree.args.get("using")
    if using is not None:
        query.append("joins", exp.Join(this=using.copy(), on=_copy(tree.args.get("on"))))
    if conditions:
        query.set("where", exp.Where(this=exp.or_(*[c.copy() for c in conditions])))
    plan = Plan("merge", target, _with_ctes(tree, query), columns, dml=True)
    if star and using is not None:
        plan.star_from = using.alias_or_name
    return plan


def _delete(tree: exp.Delete) -> Plan:
    target, joins = _detach_joins(tree.this)
    for table in tree.args.get("using") or []:
        joins = joins + _from_as_joins(exp.From(this=table))
    aliased = _aliased_in(target, joins)
    if aliased is not None:  # MySQL: DELETE FROM t1 USING support.ticket_tags AS t1 JOIN ...
        target = aliased.this.copy()
        joins = [j for j in joins if j is not aliased]
    query = _select_over(target, [])
    for join in joins:
        query.append("joins", join.copy())
    if tree.args.get("where") is not None:
        query.set("where", tree.args["where"].copy())
    return Plan("delete", target, _with_ctes(tree, query), dml=True)


def _alter(tree: exp.Alter) -> Plan:
    target = tree.this if isinstance(tree.this, exp.Table) else None
    if target is None:
        return Plan("other")  # ALTER SESSION, ALTER WAREHOUSE ...: no table's shape changes
    defs = [a for a in tree.args.get("actions") or [] if isinstance(a, exp.ColumnDef)]
    return Plan("ddl", target, fields=[(d.name, _type_of(d)) for d in defs])


def _drop(tree: exp.Drop) -> Plan:
    tables = [t for t in tree.args.get("tables") or [tree.this] if isinstance(t, exp.Table)]
    return Plan("ddl", tables[0] if tables else None)


def _sets_star(then) -> bool:
    """Databricks' ``UPDATE SET *`` and ``INSERT *``: every column, by name."""
    if isinstance(then, exp.Update):
        return any(isinstance(e, exp.Star) for e in then.expressions)
    return isinstance(then, exp.Insert) and isinstance(then.this, exp.Star)


def _aliased_in(target: exp.Table, joins: list[exp.Join]) -> exp.Join | None:
    if target.db or target.alias:
        return None
    for join in joins:
        table = join.this
        if isinstance(table, exp.Table) and table.alias == target.name:
            return join
    return None


def _copy_into(tree: exp.Copy) -> Plan:
    target = tree.this if isinstance(tree.this, exp.Table) else None
    return Plan("copy", target)


def _truncate(tree: exp.TruncateTable) -> Plan:
    tables = [t for t in tree.expressions if isinstance(t, exp.Table)]
    return Plan("truncate", tables[0] if tables else None)


_BUILDERS = (
    (exp.Insert, _insert),
    (exp.Create, _create),
    (exp.Query, _select),
    (exp.Update, _update),
    (exp.Merge, _merge),
    (exp.Delete, _delete),
    (exp.Alter, _alter),
    (exp.Drop, _drop),
    (exp.TruncateTable, _truncate),
    (exp.Copy, _copy_into),
)


def _target_and_columns(node) -> tuple[exp.Table | None, list[str]]:
    if isinstance(node, exp.Schema):
        named = (exp.Identifier, exp.Column, exp.ColumnDef)  # CTAS may type its column list
        names = [c.name for c in node.expressions if isinstance(c, named)]
        return (node.this if isinstance(node.this, exp.Table) else None), names
    return (node if isinstance(node, exp.Table) else None), []


def _column_defs(node) -> list[tuple[str, str]]:
    if not isinstance(node, exp.Schema):
        return []
    return [(d.name, _type_of(d)) for d in node.expressions if isinstance(d, exp.ColumnDef)]


def _type_of(definition: exp.ColumnDef) -> str:
    kind = definition.args.get("kind")
    return kind.sql(copy=False) if kind is not None else ""  # a type is not changed by printing


def _is_temporary(tree: exp.Expression, target: exp.Table | None) -> bool:
    if target is not None and table_name(target).startswith("#"):
        return True
    properties = tree.args.get("properties")
    return properties is not None and properties.find(exp.TemporaryProperty) is not None


def _with_ctes(tree: exp.Expression, query: exp.Query | None) -> exp.Query | None:
    """A statement-level WITH (``WITH x AS (...) INSERT ...``) belongs to its query."""
    with_ = tree.args.get("with_")
    if query is None or with_ is None or query is tree or query.args.get("with_"):
        return query
    query = query.copy()
    query.set("with_", with_.copy())
    return query


def _detach_joins(table: exp.Expression) -> tuple[exp.Table, list[exp.Join]]:
    """MySQL's ``UPDATE t JOIN s ON ...`` hangs the joins on the target table."""
    table = table.copy()
    joins = table.args.get("joins") or []
    table.set("joins", None)
    return table, joins


def _from_as_joins(from_: exp.From | None) -> list[exp.Join]:
    if from_ is None:
        return []
    first, joins = _detach_joins(from_.this)
    return [exp.Join(this=first), *joins]


def _select_over(target: exp.Table, values: list[exp.Expression]) -> exp.Select:
    # an Alias node even around a subquery (alias_ would name the subquery itself)
    projections = [
        exp.Alias(this=v.copy(), alias=exp.to_identifier(f"_c{i}")) for i, v in enumerate(values)
    ]
    query = exp.Select(expressions=projections or [exp.Literal.number(1)])
    query.set("from_", exp.From(this=target))
    return query


def _copy(node: exp.Expression | None) -> exp.Expression | None:
    return node.copy() if node is not None else None
