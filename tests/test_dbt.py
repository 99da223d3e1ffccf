"""dbt manifests (ingest/dbt.py) and their records."""

from __future__ import annotations

import json
import shutil

import pytest

from ingest.dbt import DbtManifestError, read_manifest
from ingest.records import Dataset, Edge, EdgeKind, Field, Method
from ingest.sql_records import dbt_source
from tests.conftest import FIXTURES

MANIFEST = FIXTURES / "dbt" / "manifest.json"


@pytest.fixture(scope="module")
def project():
    return read_manifest(MANIFEST)


def test_relations_of_models_sources_and_seeds_but_not_tests(project):
    assert {n.unique_id: n.relation for n in project.nodes} == {
        "model.shop.stg_customers": "analytics.staging.stg_customers",
        "model.shop.stg_orders": "analytics.staging.stg_orders",
        "model.shop.customer_360": "analytics.marts.customer_360",
        "model.shop.marketing_emails": "analytics.marts.marketing_emails",
        "model.shop.broken_model": "analytics.marts.broken_model",
        "seed.shop.country_codes": "analytics.seeds.country_codes",
        "source.shop.crm.customers": "raw.crm.customers",
        "source.shop.shop.orders": "raw.shop.orders",
    }
    assert (project.read, project.accepted, project.rejected) == (8, 8, 0)


def test_dialect_comes_from_the_adapter(project):
    assert project.dialect == "postgres"


def test_column_lineage_from_compiled_sql_through_ctes(project):
    (c360,) = [s for s in project.lineage if s.targets == ("analytics.marts.customer_360",)]
    columns = {c.target.rsplit(".", 1)[1]: c for c in c360.columns}
    assert columns["lifetime_value"].sources == ("analytics.staging.stg_orders.amount",)
    assert columns["lifetime_value"].transform == "COALESCE(o.lifetime_value, 0)"
    assert "analytics.staging.stg_orders.status" in c360.filters
    assert c360.file == "models/marts/customer_360.sql"


def test_model_without_compiled_sql_is_a_warning_naming_the_node(project):
    (warning,) = project.warnings
    assert warning.startswith(f"{MANIFEST}#/nodes/model.shop.marketing_emails: no compiled SQL")
    assert "dbt compile" in warning


def test_broken_compiled_sql_is_an_error_on_that_model_only(project):
    failed = [s for s in project.lineage if s.error]
    assert [s.file for s in failed] == ["models/marts/broken_model.sql"]
    assert failed[0].error.startswith("line 1: Expected table name but got 'where'")
    assert len(project.lineage) == 4


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


def test_catalog_json_next_to_the_manifest_expands_stars(tmp_path):
    manifest = json.loads(MANIFEST.read_text())
    manifest["nodes"]["model.shop.stg_orders"]["compiled_code"] = (
        'select * from "raw"."shop"."orders"'
    )
    for source in manifest["sources"].values():
        source["columns"] = {}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    catalog = {"nodes": {}, "sources": {"source.shop.shop.orders": {"columns": {
        "ORDER_ID": {"name": "order_id", "type": "bigint", "index": 1},
        "STATUS": {"name": "status", "type": "text", "index": 2},
    }}}}  # fmt: skip
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    project = read_manifest(tmp_path / "manifest.json")
    (stg,) = [s for s in project.lineage if s.targets == ("analytics.staging.stg_orders",)]
    assert [c.target for c in stg.columns] == [
        "analytics.staging.stg_orders.order_id", "analytics.staging.stg_orders.status"
    ]  # fmt: skip


def test_not_a_manifest_is_one_clear_error(tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text('{"metadata": {}}')
    with pytest.raises(DbtManifestError, match="no 'nodes' object"):
        read_manifest(bad)
    bad.write_text("{nope")
    with pytest.raises(DbtManifestError, match="not a JSON dbt manifest"):
        read_manifest(bad)


def test_node_without_a_relation_is_rejected_by_pointer(tmp_path):
    manifest = json.loads(MANIFEST.read_text())
    node = manifest["nodes"]["seed.shop.country_codes"]
    for key in ("relation_name", "database", "schema", "alias", "name"):
        node.pop(key)
    shutil.copy(MANIFEST, tmp_path / "orig.json")
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    project = read_manifest(tmp_path / "manifest.json")
    assert project.problems == [
        f"{tmp_path / 'manifest.json'}#/nodes/seed.shop.country_codes: "
        "no relation_name, database/schema or name"
    ]
    assert (project.read, project.accepted, project.rejected) == (8, 7, 1)
