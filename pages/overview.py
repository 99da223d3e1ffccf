"""Overview: the integration audit board, what the graph holds and which sources fed it."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from neo4j import Driver

from graph.audit import (
    STATUSES,
    Board,
    BoardFilter,
    apply_filter,
    findings,
    integration_board,
    troubled_systems,
)
from graph.overview import NODE_LABELS, Overview, overview, sources_frame
from pages.shared import QUERY_TTL_S, connect, graph_errors, refresh_button

EMPTY_GRAPH = "The graph is empty: load the demo estate with `flowatlas demo`."


# The URI is part of the cache key so results of one server never show for another.
@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_overview(_driver: Driver, uri: str, database: str | None) -> Overview:
    return overview(_driver, database)


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_board(_driver: Driver, uri: str, database: str | None) -> Board:
    return integration_board(_driver, database)


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_trouble(
    _driver: Driver, uri: str, database: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return troubled_systems(_driver, database), findings(_driver, database)


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_sources(_driver: Driver, uri: str, database: str | None) -> pd.DataFrame:
    return sources_frame(_driver, database)


FILTERS = (
    ("status", "Status"),
    ("owner", "Owner"),
    ("classification", "Classification"),
    ("transport", "Transport"),
)


def url_filter(name: str, label: str, options: list[str], column) -> tuple[str, ...]:
    """A multiselect whose choice lives in the URL, so a filtered board can be shared."""
    wanted = [v for v in st.query_params.get(name, "").split(",") if v in options]
    chosen = column.multiselect(label, options, default=wanted, key=f"filter_{name}")
    if chosen:
        st.query_params[name] = ",".join(chosen)
    else:
        st.query_params.pop(name, None)
    return tuple(chosen)


def show_board(board: Board) -> None:
    st.header("Integration audit board")
    if board.integrations.empty:
        st.caption("No integration has been loaded yet: ingest an inventory to fill the board.")
        return
    everything = board.integrations
    chosen = {
        name: url_filter(name, label, sorted(everything[name].dropna().unique()), column)
        for (name, label), column in zip(FILTERS, st.columns(len(FILTERS)), strict=True)
    }
    shown = apply_filter(everything, BoardFilter(*chosen.values()))
    lights = (*STATUSES, "unrated")
    for column, light in zip(st.columns(len(lights)), lights, strict=True):
        matching = shown["status"].isna() if light == "unrated" else shown["status"] == light
        column.metric(light.capitalize(), int(matching.sum()), border=True)
    st.dataframe(shown, hide_index=True)


def show_trouble(troubled: pd.DataFrame, found: pd.DataFrame) -> None:
    trouble_column, findings_column = st.columns([2, 3])
    with trouble_column:
        st.subheader("Systems with the most red and yellow integrations")
        st.dataframe(troubled, hide_index=True)
    with findings_column:
        st.subheader("Data-quality findings")
        if found.empty:
            st.caption("No findings.")
        else:
            st.dataframe(found, hide_index=True)


def show_contents(summary: Overview, sources: pd.DataFrame) -> None:
    st.header("Graph contents")
    for column, label in zip(st.columns(len(NODE_LABELS)), NODE_LABELS, strict=True):
        column.metric(label, f"{summary.nodes[label]:,}", border=True)
    relationships, loaded = st.columns([1, 3])
    with relationships:
        st.subheader("Relationships")
        st.dataframe(summary.relationship_frame(), hide_index=True)
    with loaded:
        st.subheader("Sources")
        if sources.empty:
            st.caption("No source has been loaded yet.")
        else:
            st.dataframe(
                sources,
                hide_index=True,
                column_config={"loaded_at": st.column_config.DatetimeColumn("loaded at")},
            )


st.title("Overview")
status, actions = st.columns([5, 1], vertical_alignment="center")
with actions.container(horizontal_alignment="right"):
    refresh_button()  # before the queries, so a click is answered with fresh data

driver, settings = connect()
with graph_errors(settings):
    summary = cached_overview(driver, settings.uri, settings.database)
    sources = cached_sources(driver, settings.uri, settings.database)
    board = cached_board(driver, settings.uri, settings.database)
    troubled, found = cached_trouble(driver, settings.uri, settings.database)

status.caption(
    f"Connected to `{settings.uri}` · {summary.server_version} · "
    f"database `{settings.database or 'default'}`"
)
if summary.is_empty:
    st.info(EMPTY_GRAPH, icon=":material/info:")
show_board(board)
show_trouble(troubled, found)
show_contents(summary, sources)
