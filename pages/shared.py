"""What every page shares: the driver, a friendly stop when the graph is unreachable, refresh."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import streamlit as st
from neo4j import Driver
from neo4j.exceptions import ServiceUnavailable, SessionExpired

from graph.connection import GraphConnectionError, open_driver
from graph.settings import Settings, load_settings

# The graph only changes when a source is loaded; a minute of staleness keeps pages fast
# while they rerun on every click, and the Refresh button is there for the impatient.
QUERY_TTL_S = 60

CONNECTION_HINT = (
    "Start the local graph with `make run` or `flowatlas neo4j start`, "
    "or point NEO4J_URI (with NEO4J_USER / NEO4J_PASSWORD) at your own server."
)


def _close(driver: Driver) -> None:
    driver.close()


# One driver per process: the Neo4j driver is thread-safe and pools its own connections.
# A failed connection raises, and Streamlit caches no exception, so the next run retries.
@st.cache_resource(show_spinner="Connecting to the graph…", on_release=_close)
def get_driver() -> Driver:
    return open_driver(load_settings())


def connect() -> tuple[Driver, Settings]:
    """The shared driver and the settings it was opened with, or a stopped page explaining why."""
    try:
        settings = load_settings()
        return get_driver(), settings
    except (GraphConnectionError, ValueError) as error:  # ValueError: a malformed setting
        stop_with_connection_error(str(error))


def stop_with_connection_error(message: str) -> NoReturn:
    st.error(f"**Cannot reach the graph.** {message}\n\n{CONNECTION_HINT}", icon="🔌")
    st.stop()


@contextmanager
def graph_errors(settings: Settings) -> Iterator[None]:
    """A server lost after connecting gets the same one-line error, never a stack trace."""
    try:
        yield
    except (ServiceUnavailable, SessionExpired) as error:
        get_driver.clear()  # closes the stale driver; the next run connects afresh
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        stop_with_connection_error(f"Neo4j at {settings.uri} stopped answering ({first_line})")


def refresh_button() -> None:
    """Drops every cached query result so the page re-reads the graph."""
    if st.button("Refresh", icon=":material/refresh:", help="Re-read the graph now"):
        st.cache_data.clear()
