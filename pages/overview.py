"""Overview: what the graph holds, where it lives and which sources fed it."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from neo4j import Driver

from graph.overview import NODE_LABELS, Overview, overview, sources_frame
from pages.shared import QUERY_TTL_S, connect, graph_errors, refresh_button

EMPTY_GRAPH = "The graph is empty: load the demo estate with `flowatlas demo`."


# The URI is part of the cache key so results of one server never show for another.
@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_overview(_driver: Driver, uri: str, database: str | None) -> Overview:
    return overview(_driver, database)


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_sources(_driver: Driver, uri: str, database: str | None) -> pd.DataFrame:
    return sources_frame(_driver, database)


st.title("Overview")
status, actions = st.columns([5, 1], vertical_alignment="center")
with actions.container(horizontal_alignment="right"):
    refresh_button()  # before the queries, so a click is answered with fresh data

driver, settings = connect()
with graph_errors(settings):
    summary = cached_overview(driver, settings.uri, settings.database)
    sources = cached_sources(driver, settings.uri, settings.database)

status.caption(
    f"Connected to `{settings.uri}` · {summary.server_version} · "
    f"database `{settings.database or 'default'}`"
)
if summary.is_empty:
    st.info(EMPTY_GRAPH, icon=":material/info:")

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
