"""The real app in headless Chromium: streamlit serves it, Playwright reads the Overview page."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver
from playwright.sync_api import expect, sync_playwright

from graph.loader import load_source
from graph.settings import Settings
from ingest.records import SourceInfo, System
from tests.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, never a browser Playwright would download; flags keep it quiet and offline.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROJECT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 30_000

NO_CHROMIUM = f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests"

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)]


def app_environment(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "NEO4J_URI": settings.uri, "NEO4J_USER": settings.user}
    env["NEO4J_PASSWORD"] = settings.password or ""
    env.pop("NEO4J_DATABASE", None)
    if settings.database:
        env["NEO4J_DATABASE"] = settings.database
    return env


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer within {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")


@pytest.fixture
def app_url(neo4j_settings: Settings, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT, env=app_environment(neo4j_settings), stdout=output, stderr=output
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_overview_page_shows_loaded_system_count(
    graph: Driver, app_url: str, tmp_path: Path
) -> None:
    systems = [System(key, name=key.upper()) for key in ("crm", "erp", "wms")]
    load_source(graph, SourceInfo("file://estate.csv", "inventory", "estate.csv", "x"), systems)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            expect.set_options(timeout=PAGE_TIMEOUT_MS)  # the first run connects to Neo4j
            page.goto(app_url)
            heading = page.get_by_role("heading", name="Overview")
            expect(heading).to_be_visible()
            system = page.get_by_test_id("stMetric").filter(has_text="System")
            expect(system.get_by_test_id("stMetricValue")).to_have_text("3")
            # The tables paint on a canvas; their cells' text shows once they are laid out.
            sources = page.get_by_test_id("stDataFrame").filter(has_text="file://estate.csv")
            expect(sources.get_by_test_id("glide-cell-0-0")).to_have_text("file://estate.csv")
            page.screenshot(path=tmp_path / "overview.png", full_page=True)
        finally:
            browser.close()
