"""SQL lineage: which tables and columns each statement of a SQL script reads and writes.

Uses sqlglot to split, parse and qualify; knows nothing of Neo4j. Every statement is handled
on its own: one that fails (parse error, sqlglot error, nesting too deep, too large) gets an
``error`` of the form ``"line N: message"`` and the others still produce lineage.

Column lineage covers INSERT ... SELECT, CREATE TABLE AS, CREATE [MATERIALIZED] VIEW,
SELECT INTO, UPDATE, MERGE and plain SELECT, through CTEs, derived tables, scalar and
correlated subqueries, set operations (by position) and table functions (UNNEST, LATERAL,
FLATTEN). Columns that only decide which rows (WHERE, JOIN ON, GROUP BY, HAVING, QUALIFY,
MERGE ON) go to ``filters``. DDL gives the table's fields with their types.

Schema awareness: the column lists of tables created by DDL anywhere in the run, of tables
and views built earlier in the same script, and of an optional schema resolve ``SELECT *``
and unqualified columns. Without them a star stays ``src.*`` and an unqualified column that
could come from several tables goes to all of them, with a warning and a lower confidence.
"""

from __future__ import annotations

import copy
import functools
import multiprocessing
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify_columns import qualify_columns
from sqlglot.optimizer.qualify_tables import qualify_tables
from sqlglot.optimizer.scope import build_scope
from sqlglot.schema import MappingSchema

from ingest.sql_schema_registry import SchemaRegistry
from ingest.sql_split import split_statements, split_tokens
from ingest.sql_statements import (
    BY_POSITION,
    Plan,
    multitable_parts,
    plan_of,
    values_as_select,
)
from ingest.sql_trace import (
    AMBIGUOUS_CONFIDENCE,
    Tracer,
    base_tables,
    filter_columns,
    is_recursive_cte,
    is_star,
    table_name,
)

__all__ = [
    "ColumnLineage",
    "FieldDef",
    "StatementLineage",
    "dialect_name",
    "lineage_of_paths",
    "lineage_of_text",
    "split_statements",
    "summary",
]

# A statement longer than this is reported, not parsed: nothing legitimate is this big,
# and parsing it would hold the run for minutes.
MAX_STATEMENT_CHARS = 1_000_000

# Dialects where a projection may use an earlier projection's alias.
LATERAL_ALIAS_DIALECTS = {"snowflake", "databricks", "spark", "redshift", "duckdb", "teradata"}

# ``src.*`` -> ``tgt.*`` says "every column passes through" without knowing which.
STAR_CONFIDENCE = 0.6


@dataclass(frozen=True)
class ColumnLineage:
    target: str
    sources: tuple[str, ...]
    transform: str | None
    confidence: float = 1.0


@dataclass(frozen=True)
class FieldDef:
    name: str  # qualified: table.column
    type: str


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
    warnings: tuple[str, ...] = ()
    temp_tables: tuple[str, ...] = ()
    fields: tuple[FieldDef, ...] = ()

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "index": self.index,
            "kind": self.kind,
            "targets": list(self.targets),
            "sources": list(self.sources),
            "columns": [
                {
                    "target": c.target,
                    "sources": list(c.sources),
                    "transform": c.transform,
                    "confidence": c.confidence,
                }
                for c in self.columns
            ],
            "filters": list(self.filters),
            "fields": [{"name": f.name, "type": f.type} for f in self.fields],
            "temp_tables": list(self.temp_tables),
            "warnings": list(self.warnings),
            "error": self.error,
        }


def lineage_of_text(
    sql: str,
    *,
    file: str = "<text>",
    dialect: str | None = None,
    schema: dict | SchemaRegistry | None = None,
    _ddl_known: bool = False,
) -> list[StatementLineage]:
    """Lineage of every statement of one script, in order."""
    registry = _registry(schema, dialect)
    try:
        chunks = split_tokens(sql, _dialect(dialect))
    except (Exception, RecursionError) as e:
        return [_error(file, 1, 0, f"line 1: cannot split the script: {type(e).__name__}: {e}")]
    parsed = [_parse(text, dialect, line, tokens) for line, text, tokens in chunks]
    if not _ddl_known:
        registry.learn_ddl(tree for tree in parsed if isinstance(tree, exp.Expression))
    statements = [(line, text) for line, text, _ in chunks]
    return _script(file, statements, parsed, dialect, registry.overlay())


def lineage_of_paths(
    paths: Iterable[Path],
    *,
    dialect: str | None = None,
    schema: dict | SchemaRegistry | None = None,
    workers: int = 1,
) -> list[StatementLineage]:
    """Lineage of every ``.sql`` file under ``paths``, files in sorted order.

    DDL anywhere in the run is read first, so a script may use a table defined in another.
    With ``workers`` > 1 the files are shared among that many processes; the result is the
    same as with one.
    """
    files = sql_files(paths)
    registry = _registry(schema, dialect)
    registry.learn_ddl(_ddl_trees(files, dialect))
    if workers > 1 and len(files) > 1:
        return _in_parallel(files, dialect, registry, workers)
    return [r for f in files for r in _file_lineage(f, dialect, registry)]


def dialect_name(name: str | None) -> str | None:
    """A sqlglot dialect name, or None for ANSI; a misspelt one is a ValueError that
    suggests the right spelling."""
    if name is None or name.strip().lower() in ("", "ansi", "sql"):
        return None
    name = name.strip().lower()
    sqlglot.Dialect.get_or_raise(name)
    return name


def sql_files(paths: Iterable[Path]) -> list[Path]:
    found: set[Path] = set()
    for path in map(Path, paths):
        found.update(path.rglob("*.sql") if path.is_dir() else [path])
    return sorted(found)


def summary(results: Iterable[StatementLineage]) -> dict:
    """Statement counts: ``statements`` = ``with_lineage`` + ``without_lineage`` + ``failed``."""
    results = list(results)
    failed = sum(1 for r in results if r.error)
    with_lineage = sum(1 for r in results if not r.error and (r.columns or r.sources))
    return {
        "statements": len(results),
        "with_lineage": with_lineage,
        "without_lineage": len(results) - with_lineage - failed,
        "failed": failed,
        "warnings": sum(len(r.warnings) for r in results),
    }


# -- one file, one script --------------------------------------------------------------


def _file_lineage(
    path: Path, dialect: str | None, registry: SchemaRegistry
) -> list[StatementLineage]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        return [_error(str(path), 1, 0, f"line 1: not UTF-8 text ({e.reason} at byte {e.start})")]
    except OSError as e:
        return [_error(str(path), 1, 0, f"line 1: cannot read the file: {e.strerror}")]
    return lineage_of_text(text, file=str(path), dialect=dialect, schema=registry, _ddl_known=True)


def _script(file, statements, parsed, dialect, registry: SchemaRegistry):
    results = []
    variables = frozenset(_declared(parsed))
    for index, ((line, text), tree) in enumerate(zip(statements, parsed, strict=True)):
        result = _guarded(file, line, index, text, tree, dialect, registry, variables)
        result = _schema_qualified(result, registry)
        registry.learn_result(result)
        results.append(result)
    return results


def _schema_qualified(result: StatementLineage, registry: SchemaRegistry) -> StatementLineage:
    """Names written with fewer parts than the one known table they abbreviate (``orders``,
    with ``prod.sales.orders`` in the schema) take its full name: the schema qualifies them."""
    table = registry.canonical

    def column(name: str) -> str:
        owner, dot, col = name.rpartition(".")
        return f"{table(owner)}.{col}" if dot and owner else name

    # columns and filters belong to the statement's targets and sources
    if all(table(n) == n for n in (*result.targets, *result.sources)):
        return result
    return replace(
        result,
        targets=tuple(table(n) for n in result.targets),
        sources=tuple(sorted({table(n) for n in result.sources})),
        columns=tuple(
            replace(
                c, target=column(c.target), sources=tuple(sorted({column(s) for s in c.sources}))
            )
            for c in result.columns
        ),
        filters=tuple(sorted({column(f) for f in result.filters})),
        fields=tuple(replace(f, name=column(f.name)) for f in result.fields),
    )


def _declared(parsed) -> Iterator[str]:
    """Names of the script's variables (BigQuery ``DECLARE x``; ``@x`` never looks like a
    column)."""
    for tree in parsed:
        if isinstance(tree, exp.Declare):
            for item in tree.expressions:
                names = item.this if isinstance(item.this, list) else [item.this]
                yield from (n.name for n in names if isinstance(n, exp.Identifier))


def _guarded(file, line, index, text, tree, dialect, registry, variables) -> StatementLineage:
    if isinstance(tree, str):
        return _error(file, line, index, tree)
    try:
        return _statement(tree, file, line, index, dialect, registry, variables)
    except RecursionError:
        return _error(file, line, index, f"line {line}: statement nests too deeply")
    except Exception as e:  # one statement must never stop the run
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        return _error(file, line, index, f"line {line}: {message}")


def _parse(text: str, dialect, line: int, tokens: list | None = None) -> exp.Expression | str:
    """The normalised tree, or an error message ``"line N: why"``. ``tokens`` (positioned in
    the whole script) spare tokenizing the statement again."""
    if len(text) > MAX_STATEMENT_CHARS:
        too_long = f"statement is {len(text):,} characters; the limit is {MAX_STATEMENT_CHARS:,}"
        return f"line {line}: {too_long}"
    engine = _dialect(dialect)
    try:
        trees = engine.parser().parse(tokens, text) if tokens else engine.parse(text)
    except sqlglot.errors.ParseError as e:
        err = e.errors[0] if e.errors else {}
        message = _TOKEN.sub(r"'\1'", err.get("description") or str(e).splitlines()[0])
        at = err.get("line") or line
        return f"line {at if tokens else line + at - 1}: {message}"
    except RecursionError:
        return f"line {line}: statement nests too deeply"
    except Exception as e:  # the tokenizer and parser raise more than ParseError
        return f"line {line}: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
    if not trees or trees[0] is None:
        return f"line {line}: empty statement"
    if len(trees) > 1:  # never drop the rest silently
        return f"line {line}: {len(trees)} statements without a semicolon between them"
    try:
        return normalize_identifiers(trees[0], dialect=engine)
    except RecursionError:
        return f"line {line}: statement nests too deeply"


# sqlglot names the offending token by its repr; the text is what a user recognises
_TOKEN = re.compile(r"<Token token_type: [^,]+, text: (.*?), line: \d+, col: \d+.*?>")


@functools.cache
def _dialect(name: str | None) -> sqlglot.Dialect:
    # One instance per run: sqlglot makes a new one whenever it is given a name.
    return sqlglot.Dialect.get_or_raise(name)


def _error(file: str, line: int, index: int, msg: str) -> StatementLineage:
    return StatementLineage(file, line, index, "other", (), (), (), (), msg)


# -- one statement ---------------------------------------------------------------------


def _statement(
    tree, file, line, index, dialect, registry: SchemaRegistry, variables: frozenset = frozenset()
) -> StatementLineage:
    if isinstance(tree, exp.MultitableInserts):
        parts = multitable_parts(tree)
        return _combined(
            [_statement(p, file, line, index, dialect, registry, variables) for p in parts]
        )
    plan = plan_of(tree)
    target = table_name(plan.target) if plan.target is not None else None
    temp = (target,) if plan.temporary and target else ()
    if plan.query is None:
        return _table_level(tree, plan, target, temp, file, line, index)
    schema = registry.for_tables(_written_tables(plan.query))
    if plan.kind == "insert" and not plan.columns and target:
        plan.columns = list(registry.lookup(target) or ())  # by position, as the DDL has them
    if BY_POSITION in plan.columns and target:
        plan.columns = _by_position(plan.columns, list(registry.lookup(target) or ()))
    known_columns = {c for cols in schema.values() for c in cols}
    if plan.star_from and target:
        _merge_star(plan, registry.lookup(target) or {})
    transforms = _transforms(plan.query, dialect)
    _rewrite_shorthands(plan.query, known_columns, dialect in LATERAL_ALIAS_DIALECTS)
    _unbind_variables(plan.query, (variables | _pseudo_columns(dialect)) - known_columns)
    query = _qualified(plan.query, schema, dialect)
    root = build_scope(query)
    if root is None:
        raise ValueError("cannot follow the query's scopes")
    tracer = Tracer(root, known={name: set(cols) for name, cols in schema.items()})
    if plan.dml and target:
        tracer.implied.setdefault(target, set()).update(plan.columns)
    columns = _columns(query, root, tracer, plan, target, transforms)
    if plan.upserts and target:
        columns = _upserted(columns, plan, target)
    return StatementLineage(
        file,
        line,
        index,
        plan.kind,
        (target,) if target else (),
        tuple(sorted(_sources(tree, root, plan, target, query))),
        tuple(_merge_same_target(columns)),
        tuple(sorted(filter_columns(tracer))),
        None,
        tuple(tracer.warnings),
        temp,
    )


def _combined(parts: list[StatementLineage]) -> StatementLineage:
    """One statement that writes several tables (a multi-table INSERT)."""
    if not parts:
        raise ValueError("a multi-table INSERT without an INSERT branch")
    first = parts[0]
    return replace(
        first,
        targets=tuple(sorted({t for p in parts for t in p.targets})),
        sources=tuple(sorted({s for p in parts for s in p.sources})),
        columns=tuple(c for p in parts for c in p.columns),
        filters=tuple(sorted({f for p in parts for f in p.filters})),
        warnings=tuple(dict.fromkeys(w for p in parts for w in p.warnings)),
        temp_tables=tuple(sorted({t for p in parts for t in p.temp_tables})),
    )


def _table_level(tree, plan: Plan, target, temp, file, line, index) -> StatementLineage:
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    tables = {table_name(t) for t in tree.find_all(exp.Table)} - {target} - ctes
    if plan.kind in ("other", "ddl", "truncate", "copy"):
        tables = set()  # USE, ANALYZE, GRANT, SET...: naming a table is not reading it
    fields = tuple(FieldDef(f"{target}.{name}", kind) for name, kind in plan.fields if target)
    targets = (target,) if target else ()
    return StatementLineage(
        file, line, index, plan.kind, targets, tuple(sorted(tables)), (), (), None, (), temp, fields
    )


def _qualified(query: exp.Query, schema: dict, dialect: str | None) -> exp.Query:
    """sqlglot's ``qualify`` without its identifier passes (the tree's names are normalised
    already by ``_parse``, and names are read from the tree, never from quoted SQL text) and
    without its alias expansion (``_rewrite_shorthands`` has done it, dialect by dialect)."""
    engine = _dialect(dialect)
    mapping = _mapping_schema(schema, dialect)
    # In place: the tree is this statement's own, and copying it costs more than qualifying.
    query = qualify_tables(query, dialect=engine)
    try:
        return qualify_columns(query, mapping, expand_alias_refs=False, expand_stars=True)
    except sqlglot.errors.OptimizeError:
        # e.g. a scalar subquery sqlglot cannot resolve without a schema: keep names as written
        return query


def _merge_star(plan: Plan, target_columns: dict) -> None:
    """``UPDATE SET *`` / ``INSERT *`` write every target column from the same-named source
    column; which columns those are needs the target's column list."""
    if len(plan.query.expressions) > len(plan.columns):  # the placeholder of an empty SELECT
        plan.query.set("expressions", plan.query.expressions[: len(plan.columns)])
    for name in target_columns:
        plan.columns.append(name)
        plan.query.append("expressions", exp.column(name, table=plan.star_from))


def _rewrite_shorthands(query: exp.Query, columns: set[str], lateral: bool) -> None:
    """Spell out what the SQL abbreviates, so every column is read where it is used. One walk
    of the tree finds the SELECTs (and VALUES) the rewrites work on."""
    for node in list(query.find_all(exp.Select, exp.Values)):
        if isinstance(node, exp.Values):
            _correlated_values_as_select(node)
            continue
        if lateral:
            _expand_lateral_aliases(node, columns)
        _expand_group_aliases(node, columns)
        _expand_group_all(node)
        _inline_named_windows(node)


def _expand_group_all(select: exp.Select) -> None:
    """``GROUP BY ALL`` groups by every projection that is not an aggregate."""
    group = select.args.get("group")
    if group is None or not group.args.get("all"):
        return
    keys = [p.unalias().copy() for p in select.expressions if p.find(exp.AggFunc) is None]
    select.set("group", exp.Group(expressions=keys) if keys else None)


def _correlated_values_as_select(values: exp.Values) -> None:
    """T-SQL's ``CROSS APPLY (VALUES ('email', c.email), ...) AS v(kind, value)``: a table of
    rows computed from the outer query's columns, read as the SELECT that computes them."""
    parent = values.parent
    if not isinstance(parent, exp.Subquery) or values.find(exp.Column) is None:
        return
    alias = parent.args.get("alias") or parent.parent.args.get("alias")
    names = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
    select = values_as_select(values, names)
    if select is not None:
        values.replace(select)


def _inline_named_windows(select: exp.Select) -> None:
    """``OVER w ... WINDOW w AS (PARTITION BY a ORDER BY b)``: the window is read as if its
    definition were written where it is used."""
    named = {w.name: w for w in select.args.get("windows") or []}
    if not named:
        return
    for window in list(select.find_all(exp.Window)):
        name = window.args.get("alias")
        definition = named.get(name.name) if isinstance(name, exp.Identifier) else None
        if definition is None or window.find_ancestor(exp.Select) is not select:
            continue
        for key in ("partition_by", "order", "spec"):
            if not window.args.get(key) and definition.args.get(key):
                window.set(key, copy.deepcopy(definition.args[key]))
        window.set("alias", None)
    select.set("windows", None)


def _expand_group_aliases(select: exp.Select, columns: set[str]) -> None:
    """``GROUP BY day`` where ``day`` is a projection's alias groups by that expression."""
    clauses = [select.args.get(k) for k in ("group", "having", "qualify")]
    if not any(clauses):
        return
    aliases = {
        p.alias: p.this
        for p in select.expressions
        if isinstance(p, exp.Alias) and p.alias not in {c.name for c in p.this.find_all(exp.Column)}
    }
    for clause in clauses if aliases else []:
        for col in list(clause.find_all(exp.Column)) if clause is not None else []:
            own = col.find_ancestor(exp.Select) is select
            if own and not col.table and col.name in aliases and col.name not in columns:
                col.replace(exp.paren(aliases[col.name].copy()))


# Oracle's pseudo-columns read like columns but belong to no table.
ORACLE_PSEUDO_COLUMNS = frozenset(
    {"LEVEL", "ROWNUM", "ROWID", "CONNECT_BY_ISLEAF", "CONNECT_BY_ISCYCLE", "SYSDATE"}
)


def _pseudo_columns(dialect: str | None) -> frozenset[str]:
    return ORACLE_PSEUDO_COLUMNS if dialect == "oracle" else frozenset()


def _unbind_variables(query: exp.Query, variables: set[str]) -> None:
    """A script variable (``DECLARE run_date ...``) read as a bare name is not a column."""
    if not variables:
        return
    for col in list(query.find_all(exp.Column)):
        if not col.table and col.name in variables:
            col.replace(exp.var(col.name))


def _expand_lateral_aliases(select: exp.Select, columns: set[str]) -> None:
    """``SELECT a * b AS gross, gross - c AS net``: where a projection names an earlier one's
    alias (and no table is known to have such a column), it means that expression."""
    aliases: dict[str, exp.Expression] = {}
    for projection in select.expressions:
        for col in list(projection.find_all(exp.Column)) if aliases else []:
            own = col.find_ancestor(exp.Select) is select
            if own and not col.table and col.name in aliases and col.name not in columns:
                col.replace(exp.paren(aliases[col.name].copy()))
        if isinstance(projection, exp.Alias):
            aliases[projection.alias] = projection.this
    where = select.args.get("where")  # these dialects also let WHERE name an alias
    for col in list(where.find_all(exp.Column)) if where is not None and aliases else []:
        own = col.find_ancestor(exp.Select) is select
        if own and not col.table and col.name in aliases and col.name not in columns:
            col.replace(exp.paren(aliases[col.name].copy()))


def _transforms(query: exp.Query, dialect: str | None) -> list[str | None]:
    """Each projection's expression as written (qualify would add aliases); None for a
    plain column, which is a copy rather than a transform."""
    out = []
    for projection in _leftmost(query).selects:
        inner = projection.unalias()
        out.append(None if isinstance(inner, exp.Column) else _written(inner, _dialect(dialect)))
    return out


def _written(node: exp.Expression, engine: sqlglot.Dialect) -> str:
    # printed from a copy: the generator rewrites the tree it prints (LISTAGG ... WITHIN
    # GROUP moves the aggregated column), and this tree is traced afterwards
    return engine.generate(node, copy=True)


def _columns(query, root, tracer: Tracer, plan: Plan, target, transforms) -> list[ColumnLineage]:
    first = _leftmost(query)
    if len(transforms) != len(first.selects):  # a star was expanded
        transforms = [_transform_of(p) for p in first.selects]
    out = []
    for pos, projection in enumerate(first.selects):
        if is_star(projection):
            out.append(_star(projection, root, tracer, target))
            continue
        name = plan.columns[pos] if pos < len(plan.columns) else projection.alias_or_name
        if plan.dml and pos >= len(plan.columns):
            continue  # DELETE's placeholder projection
        if name == BY_POSITION:
            tracer.warnings.append(f"{target}: a value written by position, without its schema")
            continue
        tracer.guessed.clear()
        sources = tracer.output(root, None, pos)
        transform = transforms[pos]
        confidence = AMBIGUOUS_CONFIDENCE if tracer.guessed & sources else 1.0
        full = f"{target}.{name}" if target else name
        out.append(ColumnLineage(full, tuple(sorted(sources)), transform, confidence))
    return out


def _upserted(columns: list[ColumnLineage], plan: Plan, target: str) -> list[ColumnLineage]:
    """``ON CONFLICT DO UPDATE SET n = t.n + EXCLUDED.n`` (MySQL: ``n = n + VALUES(n)``): the
    column then also comes from its own old value, and EXCLUDED.x from what x was inserted
    from."""
    by_name = {c.target[len(target) + 1 :]: c for c in columns}
    for name, value in plan.upserts:
        sources: set[str] = set()
        for node in value.find_all(exp.Column, exp.Anonymous):
            inserted = _inserted_column(node)
            if inserted is not None:
                sources |= set(by_name[inserted].sources) if inserted in by_name else set()
            elif isinstance(node, exp.Column) and node.table in plan.target_names | {""}:
                sources.add(f"{target}.{node.name}")
        known = by_name.get(name)
        by_name[name] = ColumnLineage(
            f"{target}.{name}",
            tuple(sorted(sources | set(known.sources if known else ()))),
            known.transform if known else value.sql(),
            known.confidence if known else 1.0,
        )
    return list(by_name.values())


def _inserted_column(node: exp.Expression) -> str | None:
    """The column whose inserted value ``node`` means: ``EXCLUDED.x`` or MySQL's ``VALUES(x)``."""
    if isinstance(node, exp.Column) and node.table.lower() == "excluded":
        return node.name
    if isinstance(node, exp.Anonymous) and node.name.upper() == "VALUES" and node.expressions:
        return node.expressions[0].name
    return None


def _by_position(columns: list[str], known: list[str]) -> list[str]:
    """Name each positional column after the target's column at its place in its row."""
    named, position = [], 0
    for column in columns:
        if column != BY_POSITION:
            named.append(column)
            position = 0
            continue
        named.append(known[position] if position < len(known) else BY_POSITION)
        position += 1
    return named


def _transform_of(projection: exp.Expression) -> str | None:
    inner = projection.unalias()
    return None if isinstance(inner, exp.Column) else inner.sql()


def _leftmost(query: exp.Expression) -> exp.Expression:
    while isinstance(query, exp.SetOperation):
        query = query.left
    return query


def _star(projection, root, tracer: Tracer, target) -> ColumnLineage:
    scope = (tracer.leaves(root) or [root])[0]
    if isinstance(projection, exp.Column) and projection.table:
        picked = [scope.sources.get(projection.table)]
    else:
        picked = [source for _, source in scope.selected_sources.values()]
    sources = {f"{table_name(s)}.*" for s in picked if isinstance(s, exp.Table)}
    for s in picked:
        if not isinstance(s, exp.Table) and s is not None and hasattr(s, "expression"):
            sources |= {f"{t}.*" for t in base_tables(s)}
    return ColumnLineage(
        f"{target or ''}.*".lstrip("."), tuple(sorted(sources)), None, STAR_CONFIDENCE
    )


def _sources(tree, root, plan: Plan, target, query) -> set[str]:
    # a recursive CTE (RECURSIVE, or T-SQL's anchor UNION ALL) reads itself as a table of its
    # name; a plain CTE named like the table it reads (WITH orders AS (... FROM orders))
    # reads that table
    ctes = {c.alias_or_name for c in query.find_all(exp.CTE) if is_recursive_cte(c)}
    tables = base_tables(root) - ctes
    # the table an UPDATE/MERGE/DELETE writes is read only if the statement names it twice
    named = sum(1 for t in tree.find_all(exp.Table) if table_name(t) == target)
    if plan.dml and target in tables and named < 2:
        tables.discard(target)
    return tables


def _merge_same_target(columns: list[ColumnLineage]) -> Iterator[ColumnLineage]:
    """MERGE writes a column in several branches: one entry, the union of its sources."""
    merged: dict[str, ColumnLineage] = {}
    for c in columns:
        seen = merged.get(c.target)
        if seen is None:
            merged[c.target] = c
            continue
        merged[c.target] = ColumnLineage(
            c.target,
            tuple(sorted(set(seen.sources) | set(c.sources))),
            seen.transform or c.transform,
            min(seen.confidence, c.confidence),
        )
    return iter(merged.values())


def _written_tables(query: exp.Expression) -> set[str]:
    return {table_name(t) for t in query.find_all(exp.Table)}


def _mapping_schema(schema: dict[str, dict[str, str]], dialect) -> MappingSchema:
    return _NormalisedSchema(_nested(schema) or {}, dialect=_dialect(dialect), normalize=False)


class _NormalisedSchema(MappingSchema):
    """A schema whose names, like the trees it is asked about, are normalised already:
    sqlglot would otherwise copy and normalise each table name on every lookup."""

    def _normalize_table(self, table, dialect=None, normalize=None) -> exp.Table:
        return super()._normalize_table(table, dialect, normalize=False)


@functools.cache
def _usable_type(kind: str) -> str:
    """sqlglot parses column types while it qualifies: one it cannot read becomes unknown."""
    if not kind:
        return "unknown"
    try:
        exp.DataType.from_str(kind)
    except Exception:
        return "unknown"
    return kind


def _nested(schema: dict[str, dict[str, str]]) -> dict | None:
    """{"db.table": cols} -> {"db": {"table": cols}}, every name padded to one depth (sqlglot
    wants one depth; an empty leading part matches a name written with fewer parts)."""
    if not schema:
        return None
    depth = max(len(name.split(".")) for name in schema)
    out: dict = {}
    for name, cols in schema.items():
        cols = {column: _usable_type(kind) for column, kind in cols.items()}
        parts = name.split(".")
        parts = [""] * (depth - len(parts)) + parts
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = cols
    return out


# -- schema and parallel runs -----------------------------------------------------------


def _registry(schema, dialect) -> SchemaRegistry:
    if isinstance(schema, SchemaRegistry):
        return schema
    return SchemaRegistry.from_mapping(schema or {}, dialect)


def _ddl_trees(files: list[Path], dialect: str | None) -> Iterator[exp.Expression]:
    """Parsed CREATE TABLE / ALTER TABLE statements of the run (others are not parsed here)."""
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # reported when the file's lineage is read
        for line, statement, tokens in split_tokens(text, _dialect(dialect)):
            head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
            if head in ("CREATE", "ALTER"):
                tree = _parse(statement, dialect, line, tokens)
                if isinstance(tree, exp.Expression):
                    yield tree


_WORKER_STATE: dict = {}


def _in_parallel(files, dialect, registry, workers) -> list[StatementLineage]:
    _WORKER_STATE.update(dialect=dialect, registry=registry)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        chunks = pool.map(_worker, files, chunksize=max(1, len(files) // (workers * 8)))
        return [r for chunk in chunks for r in chunk]


def _worker(path: Path) -> list[StatementLineage]:
    return _file_lineage(path, _WORKER_STATE["dialect"], _WORKER_STATE["registry"])
