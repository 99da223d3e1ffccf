"""The one way to get a Neo4j driver, with failures turned into one clear line."""

from __future__ import annotations

import re

from neo4j import Driver, GraphDatabase, NotificationMinimumSeverity
from neo4j.exceptions import AuthError, ConfigurationError, Neo4jError, ServiceUnavailable

from graph.settings import Settings

CONNECTION_TIMEOUT_S = 10.0


class GraphConnectionError(RuntimeError):
    """The graph cannot be reached; the message names the URI and the reason."""


def open_driver(settings: Settings, verify: bool = True) -> Driver:
    if settings.password is None:
        raise GraphConnectionError(_missing_password_message(settings))
    try:
        driver = GraphDatabase.driver(
            settings.uri,
            auth=(settings.user, settings.password),
            connection_timeout=CONNECTION_TIMEOUT_S,
            # Server notifications ("property does not exist yet") are noise for users.
            notifications_min_severity=NotificationMinimumSeverity.OFF,
        )
    except (ConfigurationError, ValueError) as error:
        raise GraphConnectionError(f"Neo4j URI {settings.uri!r} is not valid: {error}") from error
    if verify:
        try:
            verify_driver(driver, settings)
        except GraphConnectionError:
            driver.close()
            raise
    return driver


def verify_driver(driver: Driver, settings: Settings) -> None:
    try:
        driver.verify_connectivity()
        if settings.database:  # proves the database exists and the user may use it
            driver.execute_query("RETURN 1", database_=settings.database)
    except AuthError as error:
        raise GraphConnectionError(
            f"Neo4j at {settings.uri} refused user {settings.user!r}: wrong user or password "
            "(check NEO4J_USER / NEO4J_PASSWORD)"
        ) from error
    except ServiceUnavailable as error:
        hint = "run `flowatlas neo4j start`" if settings.is_local else "is the server running?"
        raise GraphConnectionError(
            f"Neo4j at {settings.uri} is not reachable ({_reason(error)}); {hint}"
        ) from error
    except Neo4jError as error:
        raise GraphConnectionError(f"Neo4j at {settings.uri} failed: {error.message}") from error


def verify_credentials(uri: str, user: str, password: str) -> None:
    """Raise unless a server at ``uri`` accepts these credentials (used while starting)."""
    with GraphDatabase.driver(uri, auth=(user, password), connection_timeout=2.0) as driver:
        driver.verify_connectivity()


def server_version(driver: Driver, database: str | None = None) -> str:
    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions, edition "
        "RETURN name + ' ' + versions[0] + ' ' + edition AS version",
        database_=database,
    )
    return records[0]["version"] if records else "unknown"


def _missing_password_message(settings: Settings) -> str:
    if settings.is_local:
        return (
            f"no password for the local Neo4j at {settings.uri}: start it once with "
            "`flowatlas neo4j start` (it generates one)"
        )
    return f"NEO4J_PASSWORD is not set for {settings.uri}"


def _reason(error: Exception) -> str:
    """The driver's innermost reason ("[Errno 111] Connection refused"), else its first line."""
    text = str(error).strip()
    if match := re.search(r"\(reason (.+)\)\s*$", text):
        return match.group(1)
    return text.splitlines()[0].rstrip(":") if text else type(error).__name__
