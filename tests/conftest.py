"""Shared fixtures: every graph test talks to a real Neo4j server.

By default the session starts a throwaway local server (own port, own data folder in a
temporary directory) and stops it at the end, even when tests fail. To run against a
server of your own instead, set FLOWATLAS_TEST_NEO4J_URI (and _USER / _PASSWORD /
_DATABASE): the tests WIPE that database.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from graph.connection import open_driver, verify_credentials
from graph.local_server import LocalServer
from graph.schema import apply_migrations
from graph.settings import LocalServerSettings, Settings

FIXTURES = Path(__file__).parent / "fixtures"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_throwaway_server(home: Path) -> tuple[LocalServer, Settings]:
    local = LocalServerSettings(home=home, bolt_port=free_port(), heap="1g", pagecache="256m")
    server = LocalServer(local)
    server.start(password_check=lambda uri, pw: verify_credentials(uri, "neo4j", pw))
    password = local.password_file.read_text().strip()
    return server, Settings(
        uri=local.uri, user="neo4j", password=password, database=None, local=local
    )


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    uri = os.environ.get("FLOWATLAS_TEST_NEO4J_URI")
    if uri:
        yield Settings(
            uri=uri,
            user=os.environ.get("FLOWATLAS_TEST_NEO4J_USER", "neo4j"),
            password=os.environ.get("FLOWATLAS_TEST_NEO4J_PASSWORD"),
            database=os.environ.get("FLOWATLAS_TEST_NEO4J_DATABASE") or None,
            local=None,
        )
        return
    server, settings = start_throwaway_server(tmp_path_factory.mktemp("flowatlas-home"))
    try:
        yield settings
    finally:
        server.stop()


@pytest.fixture(scope="session")
def session_driver(neo4j_settings: Settings) -> Iterator[Driver]:
    driver = open_driver(neo4j_settings)
    apply_migrations(driver, neo4j_settings.database)
    yield driver
    driver.close()


@pytest.fixture
def graph(session_driver: Driver, neo4j_settings: Settings) -> Driver:
    """A driver on an empty graph (schema kept)."""
    with session_driver.session(database=neo4j_settings.database) as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
    return session_driver
