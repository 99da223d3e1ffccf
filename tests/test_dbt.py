"""dbt manifests (ingest/dbt.py) and their records."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.dbt import DbtManifestError, DbtProject, read_manifest
from ingest.records import Dataset, Edge, EdgeKind, Field, Method
from ingest.sql_records import dbt_source
from tests.conftest import FIXTURES

MANIFEST = FIXTURES / "dbt" / "manifest.json"
C360 = "model.shop.customer_360"
EMAILS = "model.shop.marketing_emails"


@pytest.fixture(scope="module")
def project() -> DbtProject:
    return read_manifest(MANIFEST)


def _changed(tmp_path: Path, change: Callable[[dict], None]) -> Path:
    """A copy of the fixture manifest, changed."""
    manifest = json.loads(MANIFEST.read_text())
    change(manifest)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path


def _statement(project: DbtProject, relation: str):
    (statement,) = [s for s in project.lineage if s.targets == (relation,)]
    return statement


def _node(project: DbtProject, unique_id: str):
    (node,) = [n for n in project.nodes if n.unique_id == unique_id]
    return node


def _columns(statement) -> dict:
    return {c.target.rsplit(".", 1)[1]: c for c in statement.columns}


def test_relations_of_models_sources_and_seeds_but_not_tests(project):
    assert {n.unique_id: n.relation for n in project.nodes} == {
        "model.shop.stg_customers": "analytics.staging.stg_customers",
        "model.shop.stg_orders": "analytics.staging.stg_orders",
        C360: "analytics.marts.customer_360",
        EMAILS: "analytics.marts.marketing_emails",
        "model.shop.broken_model": "analytics.marts.broken_model",
        "seed.shop.country_codes": "analytics.seeds.country_codes",
        "source.shop.crm.customers": "raw.crm.customers",
        "source.shop.shop.orders": "raw.shop.orders",
    }
    assert _node(project, C360).relation_parts == ("analytics", "marts", "customer_360")
    assert (project.read, project.accepted, project.rejected, project.problems) == (8, 8, 0, [])


def test_dialect_and_schema_version_come_from_the_metadata(project):
    assert (project.dialect, project.schema_version) == ("postgres", 12)


@pytest.mark.parametrize(
    ("adapter", "dialect"), [("sqlserver", "tsql"), ("Snowflake", "snowflake"), ("glue", "spark")]
)
def test_adapters_map_to_dialects(tmp_path, adapter, dialect):
    path = _changed(tmp_path, lambda m: m["metadata"].update(adapter_type=adapter))
    assert read_manifest(path).dialect == dialect


def test_unknown_adapter_is_ansi_with_a_warning(tmp_path):
    path = _changed(tmp_path, lambda m: m["metadata"].update(adapter_type="vertica"))
    project = read_manifest(path)
    assert project.dialect is None
    assert project.warnings[0] == (
        f"{path}#/metadata/adapter_type: unknown adapter 'vertica'; the SQL is read as ANSI SQL"
    )
    assert len(project.lineage) == 4  # still read


def test_metadata_of_models(project):
    stg = _node(project, "model.shop.stg_customers")
    assert (stg.resource_type, stg.materialized, stg.description, stg.owner, stg.tags) == (
        "model", "view", "One row per CRM customer.", "data-platform@example.com", ("pii",)
    )  # fmt: skip
    assert stg.meta == {"owner": "data-platform@example.com"}
    assert stg.columns["email"] == {"data_type": "text", "description": "Lower-cased e-mail"}
    assert stg.original_file_path == "models/staging/stg_customers.sql"
    assert stg.depends_on == ("source.shop.crm.customers",)


def test_owner_from_the_group_or_the_source(project):
    assert _node(project, EMAILS).owner == "marketing-analytics@example.com"
    assert _node(project, "source.shop.crm.customers").owner == "crm-team@example.com"


def test_seed_column_types_type_its_columns(project):
    seed = _node(project, "seed.shop.country_codes")
    assert (seed.resource_type, seed.materialized) == ("seed", "seed")
    assert seed.columns == {
        "code": {"data_type": "char(2)", "description": None},
        "country_name": {"data_type": "varchar(80)", "description": None},
    }


def test_column_lineage_from_compiled_sql_through_a_cte_and_joins(project):
    c360 = _statement(project, "analytics.marts.customer_360")
    assert (c360.file, c360.kind, c360.error) == (
        "models/marts/customer_360.sql",
        "create_table_as",
        None,
    )
    columns = _columns(c360)
    assert columns["lifetime_value"].sources == ("analytics.staging.stg_orders.amount",)
    assert columns["lifetime_value"].transform == "COALESCE(o.lifetime_value, 0)"
    assert columns["country_name"].sources == ("analytics.seeds.country_codes.country_name",)
    assert "analytics.staging.stg_orders.status" in c360.filters
    assert "analytics.staging.stg_customers.country_code" in c360.filters


def test_a_view_is_read_as_create_view(project):
    stg = _statement(project, "analytics.staging.stg_customers")
    assert stg.kind == "create_view"
    assert _columns(stg)["email"].sources == ("raw.crm.customers.email",)


def test_lines_are_the_lines_of_the_compiled_sql(tmp_path):
    path = _changed(
        tmp_path,
        lambda m: m["nodes"]["model.shop.broken_model"].update(
            compiled_code="\n\nselect order_id\nfrom from"
        ),
    )
    (failed,) = [s for s in read_manifest(path).lineage if s.error]
    assert failed.error.startswith("line 4: ")


def test_model_without_compiled_sql_is_a_warning_naming_the_node(project):
    assert project.warnings == [
        f"{MANIFEST}#/nodes/{EMAILS}: no compiled SQL, so table-level lineage only "
        "(run 'dbt compile' to get column lineage)"
    ]
    assert _node(project, EMAILS).depends_on == (C360,)


def test_manifest_of_dbt_parse_is_one_warning_and_table_level_lineage(tmp_path):
    def parsed(manifest: dict) -> None:
        for node in manifest["nodes"].values():
            node.pop("compiled_code", None)

    path = _changed(tmp_path, parsed)
    project = read_manifest(path)
    assert project.warnings == [
        f"{path}: no model has compiled SQL (a manifest of 'dbt parse'?), so table-level "
        "lineage only; run 'dbt compile' to get column lineage"
    ]
    assert project.lineage == []
    assert _node(project, C360).depends_on == (
        "model.shop.stg_customers", "model.shop.stg_orders", "seed.shop.country_codes"
    )  # fmt: skip


def test_broken_compiled_sql_is_an_error_on_that_model_only(project):
    failed = [s for s in project.lineage if s.error]
    assert [s.file for s in failed] == ["models/marts/broken_model.sql"]
    assert failed[0].error == "line 1: Expected table name but got 'where'"
    assert len(project.lineage) == 4
    assert [s.index for s in project.lineage] == [0, 1, 2, 4]  # the index of the node


def test_records_carry_descriptions_owners_and_declared_dependencies(project):
    records = dbt_source(project, default_system="warehouse").records
    datasets = {r.key: r for r in records if isinstance(r, Dataset)}
    stg = datasets["warehouse:analytics.staging.stg_customers"]
    assert (stg.description, stg.owner, stg.tags) == (
        "One row per CRM customer.", "data-platform@example.com", ("pii",)
    )  # fmt: skip
    email = next(
        r for r in records if isinstance(r, Field) and r.key.endswith("stg_customers#email")
    )
    assert email.description == "Lower-cased e-mail" and email.type == "text"
    declared = {
        (e.start.key, e.end.key)
        for e in records
        if isinstance(e, Edge) and e.kind is EdgeKind.FLOWS_TO
        and e.provenance.method is Method.DECLARED
    }  # fmt: skip
    assert (
        "warehouse:analytics.marts.customer_360",
        "warehouse:analytics.marts.marketing_emails",
    ) in declared


def test_a_childs_star_sees_the_columns_its_parents_sql_produces(tmp_path):
    path = _changed(
        tmp_path,
        lambda m: m["nodes"][EMAILS].update(
            compiled_code='select * from "analytics"."marts"."customer_360" where email is not null'
        ),
    )
    emails = _statement(read_manifest(path), "analytics.marts.marketing_emails")
    assert list(_columns(emails)) == [
        "customer_id", "email", "full_name", "lifetime_value", "order_count",
        "last_ordered_at", "country_name",
    ]  # fmt: skip


def test_the_callers_schema_comes_before_the_manifests_columns(tmp_path):
    path = _changed(
        tmp_path,
        lambda m: m["nodes"]["model.shop.stg_orders"].update(
            compiled_code='select * from "raw"."shop"."orders"'
        ),
    )
    project = read_manifest(path, schema={"raw.shop.orders": {"order_id": "bigint"}})
    assert list(_columns(_statement(project, "analytics.staging.stg_orders"))) == ["order_id"]


def test_catalog_json_next_to_the_manifest_expands_stars(tmp_path):
    def star(manifest: dict) -> None:
        manifest["nodes"]["model.shop.stg_orders"]["compiled_code"] = (
            'select * from "raw"."shop"."orders"'
        )

    path = _changed(tmp_path, star)
    catalog = {"nodes": {}, "sources": {"source.shop.shop.orders": {"columns": {
        "STATUS": {"name": "status", "type": "text", "index": 2},
        "ORDER_ID": {"name": "order_id", "type": "bigint", "index": 1},
    }}}}  # fmt: skip
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    stg = _statement(read_manifest(path), "analytics.staging.stg_orders")
    assert list(_columns(stg)) == ["order_id", "status"]


def test_ephemeral_models_are_inlined_and_depended_through(tmp_path):
    def ephemeral(manifest: dict) -> None:
        stg = manifest["nodes"]["model.shop.stg_orders"]
        stg["config"]["materialized"] = "ephemeral"
        stg["relation_name"] = None
        manifest["nodes"][C360]["compiled_code"] = (
            "with __dbt__cte__stg_orders as (\n"
            'select order_id, amount_cents / 100.0 as amount from "raw"."shop"."orders"\n'
            ")\nselect order_id, amount from __dbt__cte__stg_orders"
        )

    project = read_manifest(_changed(tmp_path, ephemeral))
    assert "model.shop.stg_orders" not in {n.unique_id for n in project.nodes}
    assert (project.read, project.accepted) == (8, 8)
    assert _node(project, C360).depends_on == (
        "model.shop.stg_customers", "source.shop.shop.orders", "seed.shop.country_codes"
    )  # fmt: skip
    c360 = _statement(project, "analytics.marts.customer_360")
    assert _columns(c360)["amount"].sources == ("raw.shop.orders.amount_cents",)


def test_python_model_is_table_level_with_a_warning(tmp_path):
    path = _changed(
        tmp_path,
        lambda m: m["nodes"][C360].update(language="python", compiled_code="def model(dbt):\n"),
    )
    project = read_manifest(path)
    assert f"{path}#/nodes/{C360}: a Python model, so table-level lineage only" in project.warnings
    assert not [s for s in project.lineage if s.targets == ("analytics.marts.customer_360",)]


def test_old_manifest_uses_compiled_sql_with_a_warning(tmp_path):
    def old(manifest: dict) -> None:
        manifest["metadata"]["dbt_schema_version"] = (
            "https://schemas.getdbt.com/dbt/manifest/v6.json"
        )
        for node in manifest["nodes"].values():
            if "compiled_code" in node:
                node["compiled_sql"] = node.pop("compiled_code")

    path = _changed(tmp_path, old)
    project = read_manifest(path)
    assert project.schema_version == 6
    assert project.warnings[0] == (
        f"{path}#/metadata/dbt_schema_version: v6; read as v7-v12, which it may not match"
    )
    assert len(project.lineage) == 4


def test_relation_falls_back_to_database_schema_and_alias(tmp_path):
    def no_relation_name(manifest: dict) -> None:
        node = manifest["nodes"]["model.shop.stg_orders"]
        node.pop("relation_name")
        node["alias"] = "Orders Clean"  # a name that needs quotes keeps its case

    project = read_manifest(_changed(tmp_path, no_relation_name))
    assert _node(project, "model.shop.stg_orders").relation == "analytics.staging.Orders Clean"
    assert _statement(project, "analytics.staging.Orders Clean").error is None


def test_node_without_a_relation_is_rejected_by_pointer(tmp_path):
    def nameless(manifest: dict) -> None:
        node = manifest["nodes"]["seed.shop.country_codes"]
        for key in ("relation_name", "database", "schema", "alias", "name"):
            node.pop(key)

    path = _changed(tmp_path, nameless)
    project = read_manifest(path)
    assert project.problems == [
        f"{path}#/nodes/seed.shop.country_codes: no relation_name, database/schema or name"
    ]
    assert (project.read, project.accepted, project.rejected) == (8, 7, 1)


def test_node_that_is_not_an_object_is_rejected(tmp_path):
    path = _changed(tmp_path, lambda m: m["sources"].update({"source.shop.a/b": []}))
    project = read_manifest(path)
    assert project.problems == [f"{path}#/sources/source.shop.a~1b: not an object"]
    assert (project.read, project.rejected) == (8, 1)


def test_json_without_nodes_is_one_clear_error(tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text('{"metadata": {}}')
    with pytest.raises(DbtManifestError, match=r"manifest\.json: no 'nodes' object"):
        read_manifest(bad)


def test_not_json_is_one_clear_error(tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text("{nope")
    with pytest.raises(DbtManifestError, match=r"manifest\.json: not a JSON dbt manifest"):
        read_manifest(bad)


def test_missing_manifest_is_one_clear_error(tmp_path):
    with pytest.raises(DbtManifestError, match=r"nope\.json: cannot read the manifest"):
        read_manifest(tmp_path / "nope.json")
