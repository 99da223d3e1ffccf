"""The APIs page in headless Chromium: callers, flows and the unconfirmed suggestions."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
from neo4j import Driver
from playwright.sync_api import expect, sync_playwright

from tests.test_api_catalog import SHOP, load_api_graph
from tests.test_browser_overview import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NO_CHROMIUM,
    PAGE_TIMEOUT_MS,
    app_url,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)]


def test_api_page_shows_callers_and_unconfirmed_suggestions_apart(
    graph: Driver,
    app_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    load_api_graph(graph)
    query = urlencode({"system": SHOP, "endpoint": "POST /orders"})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            expect.set_options(timeout=PAGE_TIMEOUT_MS)  # the first run connects to Neo4j
            page.goto(f"{app_url}/api?{query}")
            expect(page.get_by_role("heading", name="POST /orders")).to_be_visible()
            expect(page.get_by_text("Called by:")).to_be_visible()
            title = page.get_by_text("Unconfirmed suggestions: fields elsewhere with similar names")
            title.scroll_into_view_if_needed()
            expect(title).to_be_visible()
            table = page.get_by_test_id("stDataFrame").filter(has_text="unconfirmed")
            expect(table).to_have_count(1)
            page.screenshot(path=tmp_path / "api.png", full_page=True)
        finally:
            browser.close()
