"""Unconfirmed suggestions: dataset fields whose names resemble an endpoint's fields.

An API field and a table column with one name (``email``, ``customerId`` and
``customer_id``) often hold the same value, but a name is no evidence that data moves: these
are suggestions for a person to confirm (with a mapping file, docs/api.md), never facts.
Nothing here writes to the graph, and a pair that a flow already connects is not suggested.

Names are compared normalised (camelCase and any punctuation split into lower-case words)
with rapidfuzz: as a whole path (``total.amount`` and ``total_amount``) and by the field's
own name (``billing_address.city`` and ``city``). The names of the schema and the dataset
weigh in a little, so ``Order.status`` prefers ``stg_orders.status`` to ``shipments.status``.
A candidate is a field of a dataset that is not an API schema, whose name contains a word
(three letters or more) of the API field's own name; at most ``CANDIDATE_LIMIT`` are read,
those named exactly like such a word first.
"""

from __future__ import annotations

import re

import pandas as pd
from neo4j import Driver
from rapidfuzz import fuzz

DEFAULT_MIN_SCORE = 80.0
DEFAULT_PER_FIELD = 3
CANDIDATE_LIMIT = 5000
_NAME_WEIGHT = 0.85  # the rest is the schema's name against the dataset's
_MIN_FRAGMENT = 3
# Flows this many hops long or shorter, either way, count as confirmed.
_CONFIRMING_HOPS = 4

CANDIDATE_FIELDS = """
MATCH (d:Dataset)-[:HAS_FIELD]->(f:Field)
WHERE coalesce(d.kind, '') <> 'api_resource'
  AND any(fragment IN $fragments WHERE toLower(f.name) CONTAINS fragment)
OPTIONAL MATCH (s:System)-[:HAS_DATASET]->(d)
RETURN f.key AS key, f.name AS name, coalesce(d.name, d.key) AS dataset,
       coalesce(s.name, s.key, d.system) AS system
// past the limit, fields named exactly like an API field's word are kept first
ORDER BY toLower(f.name) IN $fragments DESC, key
LIMIT $limit
"""

CONFIRMED_PAIRS = f"""
UNWIND $pairs AS pair
MATCH (a:Field {{key: pair[0]}}), (c:Field {{key: pair[1]}})
WHERE EXISTS {{ (a)-[:FLOWS_TO*1..{_CONFIRMING_HOPS}]->(c) }}
   OR EXISTS {{ (c)-[:FLOWS_TO*1..{_CONFIRMING_HOPS}]->(a) }}
RETURN pair[0] AS field_key, pair[1] AS candidate_key
"""

SUGGESTION_COLUMNS = (
    "role",
    "path",
    "field_key",
    "suggested_field",
    "suggested_key",
    "dataset",
    "system",
    "score",
    "status",
)
UNCONFIRMED = "unconfirmed"

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORD = re.compile(r"[a-z0-9]+")


def words(name: str) -> list[str]:
    """``"customerId"`` -> ``["customer", "id"]``; ``"lines[].unit_price"`` ->
    ``["lines", "unit", "price"]``."""
    return _WORD.findall(_CAMEL.sub(r"\1 \2", str(name)).lower())


def own_name(path: str) -> str:
    """The last step of a payload path: ``customer.address.city`` -> ``city``."""
    steps = [step for step in re.split(r"\.|\[\]", path) if step.strip("*")]
    return steps[-1] if steps else path


def name_score(path: str, candidate: str) -> float:
    """0-100: how alike an API field's path and a field's name are, by whole path or by the
    field's own name, whichever is closer."""
    theirs = words(candidate)
    best = 0.0
    for ours in (words(path), words(own_name(path))):
        if ours and theirs:
            by_words = fuzz.token_set_ratio(" ".join(ours), " ".join(theirs))
            by_letters = fuzz.ratio("".join(ours), "".join(theirs))
            best = max(best, (by_words + by_letters) / 2)
    return best


def score(path: str, schema: str, candidate: str, dataset: str) -> float:
    context = fuzz.partial_ratio(" ".join(words(schema)), " ".join(words(dataset)))
    return round(_NAME_WEIGHT * name_score(path, candidate) + (1 - _NAME_WEIGHT) * context, 1)


def suggestions(
    driver: Driver,
    fields: pd.DataFrame,
    database: str | None = None,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    per_field: int = DEFAULT_PER_FIELD,
) -> pd.DataFrame:
    """For each API field in ``fields`` (a frame of ``endpoint_fields``: ``role``, ``path``,
    ``field_key``, ``dataset``), the ``per_field`` best-named fields of other datasets that
    score at least ``min_score`` and that no flow connects it with. Read-only."""
    api = fields.drop_duplicates("field_key")[["role", "path", "field_key", "dataset"]]
    fragments = {path: _fragments(path) for path in api["path"]}
    wanted = sorted(set().union(*fragments.values()))
    if not wanted:
        return _empty()
    records, _, _ = driver.execute_query(
        CANDIDATE_FIELDS, fragments=wanted, limit=CANDIDATE_LIMIT, database_=database
    )
    own = set(api["field_key"])
    candidates = [r.data() for r in records if r["key"] not in own]
    scored = [
        {
            "role": field.role,
            "path": field.path,
            "field_key": field.field_key,
            "suggested_field": candidate["name"],
            "suggested_key": candidate["key"],
            "dataset": candidate["dataset"],
            "system": candidate["system"],
            "score": score(field.path, field.dataset, candidate["name"], candidate["dataset"]),
            "status": UNCONFIRMED,
        }
        for field in api.itertuples()
        for candidate in candidates
        if any(fragment in candidate["name"].lower() for fragment in fragments[field.path])
    ]
    found = pd.DataFrame(scored, columns=list(SUGGESTION_COLUMNS))
    found = found[found["score"] >= min_score]
    if found.empty:
        return _empty()
    # A few more than shown per field, so that dropping the confirmed ones leaves enough.
    found = _best(found, per_field * 2)
    confirmed = _confirmed(driver, found, database)
    pairs = list(zip(found["field_key"], found["suggested_key"], strict=True))
    found = found[[pair not in confirmed for pair in pairs]]
    return _best(found, per_field).reset_index(drop=True)


def _fragments(path: str) -> set[str]:
    """The words of a field's own name a candidate must contain one of (and the name run
    together: ``customerId`` -> ``customer``, ``customerid``)."""
    name = words(own_name(path))
    return {word for word in [*name, "".join(name)] if len(word) >= _MIN_FRAGMENT}


def _best(frame: pd.DataFrame, per_field: int) -> pd.DataFrame:
    ranked = frame.sort_values(["path", "score", "suggested_key"], ascending=[True, False, True])
    return ranked.groupby("field_key", sort=False).head(per_field)


def _confirmed(driver: Driver, frame: pd.DataFrame, database: str | None) -> set[tuple[str, str]]:
    pairs = [list(pair) for pair in zip(frame["field_key"], frame["suggested_key"], strict=True)]
    records, _, _ = driver.execute_query(CONFIRMED_PAIRS, pairs=pairs, database_=database)
    return {(r["field_key"], r["candidate_key"]) for r in records}


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=list(SUGGESTION_COLUMNS))
