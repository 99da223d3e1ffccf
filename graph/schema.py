"""The graph's schema as one ordered list of idempotent migrations.

Every statement uses ``IF NOT EXISTS``, so applying the list again changes nothing;
new migrations are appended, never edited, so every database converges on the same schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from neo4j import Driver

from ingest.records import EdgeKind, NodeKind


@dataclass(frozen=True)
class Migration:
    name: str
    cypher: str


def _key_constraint(label: str) -> Migration:
    name = f"{label.lower()}_key_unique"
    return Migration(
        name, f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.key IS UNIQUE"
    )


def _retracting_index(label: str | None = None, rel_type: str | None = None) -> Migration:
    """Replacing a source sweeps the facts it no longer asserts by this mark."""
    if label:
        name = f"{label.lower()}_retracting"
        pattern = f"(n:{label}) ON (n.retracting)"
    else:
        name = f"{rel_type.lower()}_retracting"
        pattern = f"()-[n:{rel_type}]-() ON (n.retracting)"
    return Migration(name, f"CREATE INDEX {name} IF NOT EXISTS FOR {pattern}")


MIGRATIONS: tuple[Migration, ...] = (
    *(_key_constraint(kind.value) for kind in NodeKind),
    _key_constraint("Source"),
    Migration(
        "integration_status",
        "CREATE INDEX integration_status IF NOT EXISTS FOR (n:Integration) ON (n.status)",
    ),
    *(_retracting_index(label=kind.value) for kind in NodeKind),
    *(_retracting_index(rel_type=kind.value) for kind in EdgeKind),
    Migration(
        "field_classification",
        "CREATE INDEX field_classification IF NOT EXISTS FOR (n:Field) ON (n.classification)",
    ),
)

SHOW_CONSTRAINT_NAMES = "SHOW CONSTRAINTS YIELD name RETURN name"
SHOW_INDEX_NAMES = "SHOW INDEXES YIELD name RETURN name"


def apply_migrations(driver: Driver, database: str | None = None) -> list[str]:
    """Apply every migration; returns the names of those that were missing before."""
    existing = existing_schema_names(driver, database)
    for migration in MIGRATIONS:
        driver.execute_query(migration.cypher, database_=database)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return [m.name for m in MIGRATIONS if m.name not in existing]


def existing_schema_names(driver: Driver, database: str | None = None) -> set[str]:
    names: set[str] = set()
    for statement in (SHOW_CONSTRAINT_NAMES, SHOW_INDEX_NAMES):
        records, _, _ = driver.execute_query(statement, database_=database)
        names.update(record["name"] for record in records)
    return names
