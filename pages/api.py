"""APIs: a system's endpoints, what each one reads and returns field by field (personal data
flagged), who calls it, where its fields flow next, which fields elsewhere have similar
names (unconfirmed suggestions, never facts), and the event topics the system uses.

The chosen system, endpoint and topic live in the URL (``?system=..&endpoint=..&topic=..``),
so a view can be shared.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from neo4j import Driver
from pandas.io.formats.style import Styler

from graph.api_catalog import (
    TopicCatalog,
    api_integrations,
    api_systems,
    endpoint_fields,
    endpoints,
    field_flows,
    topics,
)
from graph.api_suggestions import suggestions
from pages.shared import QUERY_TTL_S, connect, graph_errors, refresh_button

NO_SPECS = (
    "No API specs loaded: run `flowatlas ingest openapi <specs folder>` for endpoints, "
    "and `flowatlas ingest asyncapi <events folder>` for event topics."
)
NO_ENDPOINTS = "`{system}` exposes no endpoints: it only appears in event specs."
NO_TOPICS = (
    "No event topics: `flowatlas ingest asyncapi <events folder>` shows what this system "
    "publishes and subscribes to."
)
NO_CALLERS = (
    "No caller is known: name them with `x-flowatlas-consumers` in the spec or `consumesApis` "
    "in the Backstage catalog, or map the integration in the inventory."
)
SUGGESTIONS_TITLE = "**Unconfirmed suggestions: fields elsewhere with similar names**"
SUGGESTIONS_NOTE = (
    "Matched by name only: no source says data moves between these fields, and nothing "
    "here is written to the graph. Confirm a match with a mapping file "
    "(`flowatlas ingest api-mapping`, see docs/api.md)."
)
NO_SUGGESTIONS = "No similarly named field without a known flow."
NO_FLOWS = (
    "No field-level lineage leaves these fields yet: SQL lineage, the inventory's field "
    "mappings and API mapping files (`flowatlas ingest api-mapping`) connect them to where "
    "the data goes."
)
PII_STYLE = "background-color: rgba(255, 75, 75, 0.18)"
FIELD_TABLE = [
    "path",
    "type",
    "format",
    "required",
    "pii_category",
    "pii_confidence",
    "pii_evidence",
    "dataset",
]
ENDPOINT_TABLE = [
    "method",
    "path",
    "operation_id",
    "summary",
    "deprecated",
    "erasure_candidate",
    "callers",
    "pii_fields",
]
FLOW_TABLE = ["field", "hops", "node", "node_kind", "dataset", "system", "flow_kind"]
FLOW_TABLE += ["transform", "evidence"]
SUGGESTION_TABLE = ["role", "path", "suggested_field", "dataset", "system", "score", "status"]


# The URI is part of the cache key so results of one server never show for another.
@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_systems(_driver: Driver, uri: str, database: str | None) -> list[str]:
    return api_systems(_driver, database)


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_endpoints(_driver: Driver, uri: str, database: str | None, system: str) -> pd.DataFrame:
    return endpoints(_driver, system, database)


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_fields(_driver: Driver, uri: str, database: str | None, endpoint: str) -> pd.DataFrame:
    return endpoint_fields(_driver, endpoint, database)


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_flows(
    _driver: Driver, uri: str, database: str | None, field_keys: tuple[str, ...]
) -> pd.DataFrame:
    return field_flows(_driver, field_keys, database)


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_integrations(
    _driver: Driver, uri: str, database: str | None, system: str
) -> pd.DataFrame:
    return api_integrations(_driver, system, database)


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_suggestions(
    _driver: Driver, uri: str, database: str | None, endpoint: str
) -> pd.DataFrame:
    return suggestions(_driver, cached_fields(_driver, uri, database, endpoint), database)


@st.cache_data(ttl=QUERY_TTL_S, show_spinner=False)
def cached_topics(_driver: Driver, uri: str, database: str | None, system: str) -> TopicCatalog:
    return topics(_driver, system, database)


def url_choice(
    name: str,
    label: str,
    options: list[str],
    format_func: Callable[[str], str] = str,
    scope: str = "",
) -> str:
    """A selectbox whose choice lives in the URL query parameter ``name``. ``scope`` is
    part of the widget key, so a list that depends on another choice starts afresh."""
    wanted = st.query_params.get(name)
    index = options.index(wanted) if wanted in options else 0
    key = f"{name}_choice_{scope}"
    chosen = st.selectbox(label, options, index=index, format_func=format_func, key=key)
    st.query_params[name] = chosen
    return chosen


def endpoint_label(row: pd.Series) -> str:
    return f"{row['method']} {row['path']}"


def highlight_pii(frame: pd.DataFrame) -> Styler:
    """Rows holding personal data are tinted, so they stand out in a long payload."""
    tinted = frame["pii_category"].notna()
    return frame.style.apply(lambda row: [PII_STYLE if tinted[row.name] else ""] * len(row), axis=1)


def show_endpoint_table(table: pd.DataFrame) -> None:
    counts = {
        "Endpoints": len(table),
        "Carrying personal data": int((table["pii_fields"] > 0).sum()),
        "Erasure candidates": int(table["erasure_candidate"].sum()),
        "Deprecated": int(table["deprecated"].sum()),
    }
    for column, (label, value) in zip(st.columns(len(counts)), counts.items(), strict=True):
        column.metric(label, value, border=True)
    st.dataframe(
        table[ENDPOINT_TABLE],
        hide_index=True,
        column_config={
            "callers": st.column_config.ListColumn("callers"),
            "pii_fields": st.column_config.NumberColumn("PII fields"),
        },
    )


def show_endpoint_header(endpoint: pd.Series, integrations: pd.DataFrame) -> None:
    st.subheader(endpoint_label(endpoint))
    if pd.notna(endpoint["summary"]):  # a missing summary reads back as NaN
        st.caption(endpoint["summary"])
    if endpoint["deprecated"]:
        st.warning("Deprecated: callers should move off this endpoint.", icon=":material/block:")
    if endpoint["erasure_candidate"]:
        st.info(
            "Candidate erasure route: a `DELETE` on a person-bearing resource.",
            icon=":material/delete:",
        )
    callers = list(endpoint["callers"])
    if callers:
        st.markdown("**Called by:** " + ", ".join(f"`{name}`" for name in callers))
    if not integrations.empty:
        st.markdown(
            "**Connected to this system's API** (integrations, not per endpoint):\n"
            + "\n".join(
                f"- `{row.caller}`: {row.integration} ({row.transport}; data {row.data})"
                for row in integrations.itertuples()
            )
        )
    if not callers and integrations.empty:
        st.caption(NO_CALLERS)


def show_fields(fields: pd.DataFrame) -> None:
    if fields.empty:
        st.caption("This endpoint declares no parameters, request body or response body.")
        return
    personal = fields[fields["pii_category"].notna()]
    if not personal.empty:
        categories = ", ".join(sorted(personal["pii_category"].unique()))
        st.warning(
            # schema fields, not paths: counted like the endpoint table's "PII fields"
            f"**{personal['field_key'].nunique()} fields hold personal data** ({categories}).",
            icon=":material/person_alert:",
        )
    for role, rows in fields.groupby("role", sort=False):
        st.markdown(f"**{role}**")
        st.dataframe(highlight_pii(rows[FIELD_TABLE].reset_index(drop=True)), hide_index=True)


def show_flows(flows: pd.DataFrame) -> None:
    st.markdown("**Where these fields flow next**")
    if flows.empty:
        st.caption(NO_FLOWS)
        return
    st.dataframe(flows[FLOW_TABLE], hide_index=True)


def show_suggestions(found: pd.DataFrame) -> None:
    st.markdown(SUGGESTIONS_TITLE)
    st.caption(SUGGESTIONS_NOTE)
    if found.empty:
        st.caption(NO_SUGGESTIONS)
        return
    st.dataframe(
        found[SUGGESTION_TABLE],
        hide_index=True,
        column_config={"score": st.column_config.NumberColumn("name similarity", format="%.0f")},
    )


def show_endpoints(driver: Driver, uri: str, database: str | None, system: str) -> None:
    st.header("Endpoints")
    table = cached_endpoints(driver, uri, database, system)
    if table.empty:
        st.query_params.pop("endpoint", None)  # a choice from another system's list
        st.caption(NO_ENDPOINTS.format(system=system))
        return
    show_endpoint_table(table)
    # The URL names an endpoint by "METHOD path": the system is already in the URL.
    labels = {endpoint_label(row): key for key, row in table.set_index("key").iterrows()}
    chosen = url_choice("endpoint", "Endpoint", list(labels), scope=system)
    endpoint = table.set_index("key").loc[labels[chosen]]
    show_endpoint_header(endpoint, cached_integrations(driver, uri, database, system))
    fields = cached_fields(driver, uri, database, labels[chosen])
    show_fields(fields)
    if not fields.empty:
        show_flows(cached_flows(driver, uri, database, tuple(sorted(set(fields["field_key"])))))
        show_suggestions(cached_suggestions(driver, uri, database, labels[chosen]))


def show_topics(catalog: TopicCatalog, system: str) -> None:
    st.header("Event topics")
    if catalog.topics.empty:
        st.query_params.pop("topic", None)  # a choice from another system's list
        st.caption(NO_TOPICS)
        return
    st.dataframe(
        catalog.topics.drop(columns="key"),
        hide_index=True,
        column_config={
            "roles": st.column_config.ListColumn("this system"),
            "publishers": st.column_config.ListColumn("publishers"),
            "subscribers": st.column_config.ListColumn("subscribers"),
            "pii_fields": st.column_config.NumberColumn("PII fields"),
        },
    )
    names = dict(zip(catalog.topics["key"], catalog.topics["topic"], strict=True))
    topic = url_choice("topic", "Topic", list(names), format_func=names.get, scope=system)
    fields = catalog.fields[catalog.fields["topic"] == topic]
    if fields.empty:
        st.caption("No payload is described for this topic.")
        return
    st.dataframe(highlight_pii(fields[FIELD_TABLE].reset_index(drop=True)), hide_index=True)


def main() -> None:
    st.title("APIs")
    picker, actions = st.columns([5, 1], vertical_alignment="bottom")
    with actions.container(horizontal_alignment="right"):
        refresh_button()  # before the queries, so a click is answered with fresh data
    driver, settings = connect()
    uri, database = settings.uri, settings.database
    with graph_errors(settings):
        systems = cached_systems(driver, uri, database)
        if not systems:
            st.info(NO_SPECS, icon=":material/info:")
            return
        with picker:
            system = url_choice("system", "System", systems)
        show_endpoints(driver, uri, database, system)
        show_topics(cached_topics(driver, uri, database, system), system)


main()
