"""The hand-checked SQL lineage corpus, and a scorer for any lineage function against it.

The corpus is ``tests/fixtures/sql_corpus/*.yaml``: each file a YAML list of cases::

    - id: pg-insert-columns-01
      dialect: postgres            # a sqlglot dialect name; "ansi" means sqlglot's default
      tags: [insert_columns, cte]  # constructs the case exercises (see CONSTRUCTS)
      schema: {"crm.customers": {"id": "int"}}   # optional, passed to the engine
      sql: |
        INSERT INTO ... ;
      expect:                      # one entry per statement of `sql`, in order
        - kind: insert
          targets: [mart.customer_360]
          sources: [crm.customers]
          columns: {mart.customer_360.email: [crm.customers.email]}
          filters: [crm.customers.status]

A ``columns`` key without a dot names a column of the statement's one target (``email``
for ``mart.customer_360.email``); a plain SELECT's output columns have no table. Names are
compared case-insensitively, so the corpus writes them lower-case whatever the dialect.

The expectations follow docs/sql.md: ``sources`` are the tables read, ``targets`` the table
written; ``columns`` is value lineage (function arguments, CASE conditions, window PARTITION
BY / ORDER BY; constants give no source); ``filters`` the columns that only decide which
rows (WHERE, JOIN ON, GROUP BY, HAVING, QUALIFY, MERGE ON and WHEN conditions), anywhere in
the statement, traced to base-table columns.

Scoring turns both sides into sets of facts, per statement of a case:

- tables: (case, statement, role, table), role in {source, target};
- columns: (case, statement, target column, source column) value-lineage edges; a column
  with no sources contributes nothing;
- filters: (case, statement, filter column);

and reports precision, recall and F1 of each, overall, per dialect and per construct tag,
plus every case's missing and extra facts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "sql_corpus"

DIALECTS = (
    "ansi",
    "postgres",
    "mysql",
    "snowflake",
    "bigquery",
    "redshift",
    "spark",
    "hive",
    "databricks",
    "tsql",
    "oracle",
    "duckdb",
)

# Construct tags every corpus must cover (cases may carry other tags too).
CONSTRUCTS = (
    "insert_select",  # INSERT ... SELECT without a column list
    "insert_columns",  # INSERT (cols) SELECT ...
    "ctas",
    "view",
    "materialized_view",
    "merge",
    "update_from",
    "update_join",  # MySQL UPDATE ... JOIN, T-SQL UPDATE alias ... FROM ... JOIN
    "delete_using",  # DELETE ... USING, MySQL/T-SQL DELETE alias FROM ... JOIN
    "select_into",
    "cte",
    "recursive_cte",
    "subquery",
    "scalar_subquery",
    "correlated_subquery",
    "set_op",
    "window",
    "qualify",
    "unnest",  # UNNEST, explode, LATERAL VIEW, FLATTEN, LATERAL, CROSS/OUTER APPLY
    "lateral_alias",
    "pivot",
    "script",
    "comments",
    "go_batch",
    "temp_table",
    "ddl",
)

KINDS = (
    "insert",
    "create_table_as",
    "create_view",
    "select",
    "merge",
    "update",
    "delete",
    "select_into",
    "ddl",
    "other",
)

METRICS = ("tables", "columns", "filters")


# -- the corpus --------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    kind: str
    targets: tuple[str, ...]
    sources: tuple[str, ...]
    columns: tuple[tuple[str, tuple[str, ...]], ...]  # (target column, its sources)
    filters: tuple[str, ...]

    def as_dict(self) -> dict:
        """The shape of ``StatementLineage.as_dict()``, so both sides score alike."""
        return {
            "kind": self.kind,
            "targets": list(self.targets),
            "sources": list(self.sources),
            "columns": [{"target": t, "sources": list(s)} for t, s in self.columns],
            "filters": list(self.filters),
        }


@dataclass(frozen=True)
class Case:
    id: str
    dialect: str  # as written: "ansi" or a sqlglot dialect name
    sql: str
    expect: tuple[Expected, ...]
    tags: tuple[str, ...] = ()
    schema: dict | None = None
    file: str = ""

    @property
    def sqlglot_dialect(self) -> str | None:
        return None if self.dialect == "ansi" else self.dialect

    @property
    def statements(self) -> int:
        return len(self.expect)


def load_corpus(folder: Path = CORPUS) -> list[Case]:
    """Every case of every ``*.yaml`` file in ``folder``, files in name order."""
    cases = []
    for path in sorted(Path(folder).glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            cases.append(_case(raw, path.name))
    return cases


def _case(raw: dict, file: str) -> Case:
    where = f"{file}: {raw.get('id', '?')}"
    missing = {"id", "dialect", "sql", "expect"} - set(raw)
    if missing:
        raise ValueError(f"{where}: missing {sorted(missing)}")
    expect = tuple(_expected(e, where) for e in raw["expect"])
    return Case(
        id=str(raw["id"]),
        dialect=str(raw["dialect"]).lower(),
        sql=raw["sql"],
        expect=expect,
        tags=tuple(raw.get("tags") or ()),
        schema=raw.get("schema") or None,
        file=file,
    )


def _expected(raw: dict, where: str) -> Expected:
    if not raw.get("kind"):
        raise ValueError(f"{where}: a statement without a kind")
    targets = tuple(raw.get("targets") or ())
    columns = []
    for name, sources in (raw.get("columns") or {}).items():
        name = str(name)
        if "." not in name and len(targets) == 1:
            name = f"{targets[0]}.{name}"
        columns.append((name, tuple(str(s) for s in sources or ())))
    return Expected(
        kind=raw["kind"],
        targets=tuple(str(t) for t in targets),
        sources=tuple(str(s) for s in raw.get("sources") or ()),
        columns=tuple(columns),
        filters=tuple(str(f) for f in raw.get("filters") or ()),
    )


# -- facts ---------------------------------------------------------------------------------


def norm(name: str) -> str:
    """Compare names case-insensitively and without quoting."""
    return "".join(ch for ch in str(name) if ch not in '"`[]').strip().lower()


@dataclass
class Facts:
    tables: set[tuple] = field(default_factory=set)
    columns: set[tuple] = field(default_factory=set)
    filters: set[tuple] = field(default_factory=set)

    def of(self, metric: str) -> set[tuple]:
        return getattr(self, metric)


def facts_of(statements: Iterable[dict]) -> Facts:
    """The facts of one case's statements, each a dict shaped like ``as_dict()``."""
    facts = Facts()
    for i, st in enumerate(statements):
        facts.tables |= {(i, "target", norm(t)) for t in st.get("targets") or ()}
        facts.tables |= {(i, "source", norm(s)) for s in st.get("sources") or ()}
        for col in st.get("columns") or ():
            target = norm(col["target"])
            facts.columns |= {(i, target, norm(s)) for s in col.get("sources") or ()}
        facts.filters |= {(i, norm(f)) for f in st.get("filters") or ()}
    return facts


def expected_facts(case: Case) -> Facts:
    return facts_of(e.as_dict() for e in case.expect)


# -- scores --------------------------------------------------------------------------------


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, expected: set, got: set) -> None:
        self.tp += len(expected & got)
        self.fp += len(got - expected)
        self.fn += len(expected - got)

    @property
    def precision(self) -> float:
        if self.tp + self.fp:
            return self.tp / (self.tp + self.fp)
        return 1.0 if not self.fn else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class CaseResult:
    id: str
    dialect: str
    tags: tuple[str, ...]
    missing: dict[str, list] = field(default_factory=dict)  # metric -> facts not produced
    extra: dict[str, list] = field(default_factory=dict)  # metric -> facts not expected
    kinds: list[tuple[int, str, str | None]] = field(default_factory=list)  # wrong kinds
    errors: list[str] = field(default_factory=list)
    statements_expected: int = 0
    statements_got: int = 0

    @property
    def perfect(self) -> bool:
        wrong = any(self.missing.values()) or any(self.extra.values())
        return not (wrong or self.errors or self.kinds)


@dataclass
class Report:
    tool: str
    cases: int = 0
    statements: int = 0
    tables: Score = field(default_factory=Score)
    columns: Score = field(default_factory=Score)
    filters: Score = field(default_factory=Score)
    kinds_right: int = 0
    errors: int = 0  # statements with an error, or cases the tool raised on
    by_dialect: dict[str, dict[str, Score]] = field(default_factory=dict)
    by_tag: dict[str, dict[str, Score]] = field(default_factory=dict)
    results: list[CaseResult] = field(default_factory=list)

    def score(self, metric: str) -> Score:
        return getattr(self, metric)

    @property
    def misses(self) -> list[CaseResult]:
        return [r for r in self.results if not r.perfect]

    def summary(self) -> dict:
        return {
            "tool": self.tool,
            "cases": self.cases,
            "statements": self.statements,
            "errors": self.errors,
            "kind_accuracy": round(self.kinds_right / self.statements, 4) if self.statements else 0,
            **{m: self.score(m).as_dict() for m in METRICS},
            "by_dialect": _table(self.by_dialect),
            "by_tag": _table(self.by_tag),
        }


def _table(groups: dict[str, dict[str, Score]]) -> dict:
    return {g: {m: s.as_dict() for m, s in scores.items()} for g, scores in sorted(groups.items())}


LineageFn = Callable[[Case], list[dict]]


def score(fn: LineageFn, cases: Iterable[Case], *, tool: str = "") -> Report:
    """Run ``fn`` on every case (it returns one ``as_dict()``-shaped dict per statement; an
    ``error`` key marks a failed statement) and score it against the expectations. A case
    ``fn`` raises on has all its facts missed, and its error recorded."""
    report = Report(tool or getattr(fn, "__name__", "lineage"))
    for case in cases:
        expected = expected_facts(case)
        result = CaseResult(case.id, case.dialect, case.tags, statements_expected=case.statements)
        try:
            got_statements = list(fn(case))
        except Exception as e:  # the tool's failure is data here
            got_statements = []
            result.errors.append(f"raised {type(e).__name__}: {str(e).splitlines()[0][:200]}")
        result.statements_got = len(got_statements)
        for i, st in enumerate(got_statements):
            if st.get("error"):
                result.errors.append(f"statement {i}: {st['error']}")
        got = facts_of(got_statements)
        for i, want in enumerate(case.expect):
            have = got_statements[i].get("kind") if i < len(got_statements) else None
            if have == want.kind:
                report.kinds_right += 1
            else:
                result.kinds.append((i, want.kind, have))
        report.cases += 1
        report.statements += case.statements
        report.errors += len(result.errors)
        groups = [report.by_dialect.setdefault(case.dialect, {})]
        groups += [report.by_tag.setdefault(tag, {}) for tag in case.tags]
        for metric in METRICS:
            want_set, got_set = expected.of(metric), got.of(metric)
            report.score(metric).add(want_set, got_set)
            for group in groups:
                group.setdefault(metric, Score()).add(want_set, got_set)
            result.missing[metric] = sorted(want_set - got_set, key=str)
            result.extra[metric] = sorted(got_set - want_set, key=str)
        report.results.append(result)
    return report


def describe_miss(result: CaseResult) -> str:
    """A few readable lines on what one case got wrong."""
    lines = [f"{result.id} [{result.dialect}]"]
    if result.statements_got != result.statements_expected:
        lines.append(f"  statements: {result.statements_got} (want {result.statements_expected})")
    lines += [f"  error: {e}" for e in result.errors]
    for i, want, have in result.kinds:
        lines.append(f"  kind of statement {i}: {have} (want {want})")
    for metric in METRICS:
        for label, facts in (
            ("missing", result.missing.get(metric)),
            ("extra", result.extra.get(metric)),
        ):
            if facts:
                shown = ", ".join(_fact(metric, f) for f in facts)
                lines.append(f"  {metric} {label}: {shown}")
    return "\n".join(lines)


def _fact(metric: str, fact: tuple) -> str:
    if metric == "tables":
        return f"#{fact[0]} {fact[1]} {fact[2]}"
    if metric == "columns":
        return f"#{fact[0]} {fact[1]} <- {fact[2]}"
    return f"#{fact[0]} {fact[1]}"


# -- flowatlas ---------------------------------------------------------------------------


def flowatlas_lineage(case: Case) -> list[dict]:
    """flowatlas's lineage of one case, one dict per statement."""
    from ingest.sql_lineage import lineage_of_text

    results = lineage_of_text(case.sql, dialect=case.sqlglot_dialect, schema=case.schema)
    return [r.as_dict() for r in results]
