"""All or nothing when Neo4j itself dies mid-load: a second, private server is killed with
SIGKILL while a large source is being written, restarted, and must hold the old graph."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import psutil
import pytest

from graph.connection import open_driver
from graph.loader import load_source
from graph.local_server import LocalServer
from graph.schema import apply_migrations
from graph.settings import Settings
from graph.stats import graph_stats
from ingest.records import Dataset, Field, Record, SourceInfo, System, contains
from tests.conftest import start_throwaway_server

pytestmark = pytest.mark.slow


def estate(owner: str, fields: int) -> Iterator[Record]:
    system = System("crm", name="CRM", owner=owner)
    dataset = Dataset("crm:customers", name="customers", system="crm")
    yield from (system, dataset, contains(system, dataset))
    for index in range(fields):
        field = Field(f"crm:customers#f{index}", name=f"f{index}", dataset=dataset.key)
        yield field
        yield contains(dataset, field)


@pytest.fixture(scope="module")
def private_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LocalServer, Settings]]:
    """A server of this module's own: these tests kill and restart it."""
    server, settings = start_throwaway_server(tmp_path_factory.mktemp("private") / "home")
    try:
        yield server, settings
    finally:
        server.stop()


def test_graph_survives_neo4j_killed_mid_load(private_server: tuple[LocalServer, Settings]) -> None:
    server, settings = private_server
    driver = open_driver(settings)
    try:
        apply_migrations(driver)
        load_source(
            driver, SourceInfo("crm.csv", "inventory", "crm.csv", "v1"), estate("alice", 100)
        )
        before = graph_stats(driver)

        batches_sent = threading.Event()
        failure: list[BaseException] = []

        def changed_load() -> None:
            try:
                load_source(
                    driver,
                    SourceInfo("crm.csv", "inventory", "crm.csv", "v2"),
                    estate("bob", 200_000),
                    batch_size=2_000,
                    on_progress=lambda n: batches_sent.set(),
                )
            except BaseException as error:  # the load must fail, not hang
                failure.append(error)

        loader = threading.Thread(target=changed_load)
        loader.start()
        assert batches_sent.wait(120), "the load never sent a batch"
        pid = server.pid()
        os.kill(pid, signal.SIGKILL)
        loader.join(120)
        assert not loader.is_alive()
        assert failure, "the load should have failed when the server died"
        driver.close()

        psutil.Process(pid).wait(30)
        assert not server.status().running  # status tells the truth after a crash
        server.start()
        driver = open_driver(settings)
        assert graph_stats(driver) == before
    finally:
        driver.close()


def test_stop_and_start_keep_the_data(private_server: tuple[LocalServer, Settings]) -> None:
    server, settings = private_server
    with open_driver(settings) as driver:
        load_source(
            driver, SourceInfo("erp.csv", "inventory", "erp.csv", "v1"), estate("carol", 10)
        )
        before = graph_stats(driver)
    assert "stopped" in server.stop().message
    assert not server.status().running
    server.start()
    with open_driver(settings) as driver:
        assert graph_stats(driver) == before


def test_second_start_is_a_no_op(neo4j_settings) -> None:
    if neo4j_settings.local is None:
        pytest.skip("external server")
    status = LocalServer(neo4j_settings.local).start()
    assert status.message.startswith("already running")
