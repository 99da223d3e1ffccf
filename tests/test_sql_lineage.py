"""SQL lineage extraction (ingest/sql_lineage.py)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.sql_lineage import lineage_of_paths, lineage_of_text, summary

FIX = Path(__file__).parent / "fixtures" / "sql"


def one(name: str, **kw):
    (r,) = lineage_of_paths([FIX / name], **kw)
    assert r.error is None, r.error
    return r


def cols(r) -> dict:
    return {c.target: (c.sources, c.transform) for c in r.columns}


def test_contract_example():
    r = one("contract.sql")
    assert r.kind == "insert"
    assert r.line == 2
    assert r.targets == ("mart.customer_360",)
    assert r.sources == ("crm.customers", "sales.orders")
    c = cols(r)
    assert c["mart.customer_360.email"] == (("crm.customers.email",), "LOWER(c.email)")
    assert c["mart.customer_360.order_total"][0] == ("sales.orders.amount",)
    assert c["mart.customer_360.tier"][0] == ("crm.customers.vip",)
    assert "sales.orders.status" in r.filters
    assert "crm.customers.id" in r.filters and "sales.orders.customer_id" in r.filters
    assert "sales.orders.status" not in {s for c in r.columns for s in c.sources}
    d = r.as_dict()
    assert set(d) == {
        "file", "line", "index", "kind", "targets", "sources", "columns", "filters", "error",
        "fields", "temp_tables", "warnings",
    }  # fmt: skip
    assert d["columns"][0] == {
        "target": "mart.customer_360.email",
        "sources": ["crm.customers.email"],
        "transform": "LOWER(c.email)",
        "confidence": 1.0,
    }


def test_cte_chain_does_not_leak_cte_names():
    r = one("cte_chain.sql")
    assert r.sources == ("sales.orders",)
    assert cols(r)["mart.doubled.amt2"][0] == ("sales.orders.amount",)
    assert cols(r)["mart.doubled.id"] == (("sales.orders.id",), None)
    text = repr(r.as_dict())
    assert "base" not in text and "doubled." not in text.replace("mart.doubled.", "")


def test_subquery():
    r = one("subquery.sql")
    assert r.kind == "create_table_as"
    assert r.sources == ("sales.orders",)
    assert cols(r)["mart.big.total"][0] == ("sales.orders.amount",)
    assert r.filters == ("sales.orders.amount",)


def test_union_by_position():
    r = one("union.sql")
    assert cols(r)["mart.people.name"][0] == ("crm.customers.full_name", "hr.employees.emp_name")


def test_create_view():
    r = one("view.sql")
    assert r.kind == "create_view"
    assert r.targets == ("mart.v_orders",)
    assert cols(r)["mart.v_orders.status"] == (("sales.orders.status",), "UPPER(o.status)")


def test_star_without_schema():
    r = one("star.sql")
    assert r.columns[0].target == "mart.v_all.*"
    assert r.columns[0].sources == ("sales.orders.*",)


def test_star_with_schema():
    r = one("star.sql", schema={"sales.orders": {"id": "int", "amount": "int"}})
    assert cols(r) == {
        "mart.v_all.id": (("sales.orders.id",), None),
        "mart.v_all.amount": (("sales.orders.amount",), None),
    }


def test_parse_error_isolated_with_line_numbers():
    rs = lineage_of_paths([FIX / "multi_with_error.sql"])
    assert [r.line for r in rs] == [2, 4, 7]
    assert [r.index for r in rs] == [0, 1, 2]
    assert rs[0].error is None and rs[0].targets == ("a.t1",)
    assert rs[1].error and rs[1].error.startswith("line 4:")
    assert rs[2].error is None and rs[2].kind == "ddl" and rs[2].targets == ("a.t2",)


def test_multi_statement_line_numbers():
    rs = lineage_of_text("\n\nINSERT INTO a SELECT x FROM b;\n\n\nINSERT INTO c SELECT y FROM d;")
    assert [r.line for r in rs] == [3, 6]


def test_go_batches():
    rs = lineage_of_paths([FIX / "batches.sql"], dialect="tsql")
    assert [(r.line, r.targets, r.error) for r in rs] == [
        (1, ("dbo.t1",), None),
        (3, ("dbo.t2",), None),
    ]


def test_paths_folder_sorted_and_summary_reconciles():
    rs = lineage_of_paths([FIX])
    files = [r.file for r in rs]
    assert files == sorted(files)
    s = summary(rs)
    assert s["statements"] == len(rs)
    assert s["failed"] == 1
    assert s["with_lineage"] + s["failed"] <= s["statements"]


BASE = (
    "WITH a AS (SELECT id, x FROM s.t) "
    "INSERT INTO d.o (k) SELECT LOWER(a.x) FROM a JOIN s.u u ON u.id = a.id WHERE u.y = 1;"
)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutations_never_raise(data):
    sql = BASE
    for _ in range(data.draw(st.integers(0, 5))):
        pos = data.draw(st.integers(0, len(sql)))
        op = data.draw(st.sampled_from(["del", "ins", "dup"]))
        if op == "del":
            sql = sql[:pos] + sql[pos + 1 :]
        elif op == "ins":
            sql = sql[:pos] + data.draw(st.sampled_from(list("();,.'\"*( \nGO"))) + sql[pos:]
        else:
            sql = sql[:pos] + sql[pos : pos + 20] + sql[pos:]
    rs = lineage_of_text(sql)
    s = summary(rs)
    assert s["statements"] == len(rs)
    assert s["failed"] == sum(1 for r in rs if r.error)
    assert s["with_lineage"] + s["failed"] <= s["statements"]
    for r in rs:
        r.as_dict()


def test_merge_and_update_table_level():
    rs = lineage_of_text(
        "MERGE INTO d.t AS t USING s.u AS u ON t.id = u.id "
        "WHEN MATCHED THEN UPDATE SET t.v = u.v;\n"
        "UPDATE d.t SET v = u.v FROM s.u AS u WHERE d.t.id = u.id;",
        dialect="postgres",
    )
    assert [(r.kind, r.targets, r.sources, r.error) for r in rs] == [
        ("merge", ("d.t",), ("s.u",), None),
        ("update", ("d.t",), ("s.u",), None),
    ]


def test_scalar_and_correlated_subqueries_resolve_to_their_own_tables():
    (r,) = lineage_of_text(
        "INSERT INTO d.o (m, a) SELECT (SELECT MAX(q.z) FROM s.q q WHERE q.k = t.k), t.a FROM s.t t"
    )
    assert cols(r)["d.o.m"][0] == ("s.q.z",)
    assert cols(r)["d.o.a"] == (("s.t.a",), None)
    assert r.filters == ("s.q.k", "s.t.k")


def test_deep_nesting_is_an_error_not_a_crash():
    rs = lineage_of_text("SELECT 1;\nSELECT " + "(" * 3000 + "1" + ")" * 3000 + ";\nSELECT 2")
    assert [bool(r.error) for r in rs] == [False, True, False]
    assert rs[1].error.startswith("line 2:")


def test_names_normalised_as_the_dialect_does():
    (r,) = lineage_of_text("CREATE VIEW m.v AS SELECT a FROM s.t", dialect="snowflake")
    assert (r.targets, r.sources) == (("M.V",), ("S.T",))
    assert cols(r) == {"M.V.A": (("S.T.A",), None)}


def test_merge_maps_update_and_insert_branches_to_columns():
    (r,) = lineage_of_text(
        "MERGE INTO mart.customers AS t USING crm.contacts AS s ON t.id = s.contact_id "
        "WHEN MATCHED AND s.deleted = 1 THEN DELETE "
        "WHEN MATCHED THEN UPDATE SET t.email = LOWER(s.email) "
        "WHEN NOT MATCHED THEN INSERT (id, email) VALUES (s.contact_id, s.email)"
    )
    assert (r.kind, r.targets, r.sources) == ("merge", ("mart.customers",), ("crm.contacts",))
    assert cols(r) == {
        "mart.customers.email": (("crm.contacts.email",), "LOWER(s.email)"),
        "mart.customers.id": (("crm.contacts.contact_id",), None),
    }
    assert r.filters == ("crm.contacts.contact_id", "crm.contacts.deleted", "mart.customers.id")


def test_update_from_reads_the_targets_own_columns():
    (r,) = lineage_of_text(
        "UPDATE billing.accounts SET balance = balance + p.amount FROM pay.payments p "
        "WHERE billing.accounts.id = p.account_id",
        dialect="postgres",
    )
    assert r.sources == ("pay.payments",)
    assert cols(r)["billing.accounts.balance"][0] == (
        "billing.accounts.balance",
        "pay.payments.amount",
    )
    assert r.columns[0].confidence == 1.0 and r.warnings == ()


def test_mysql_update_join():
    (r,) = lineage_of_text(
        "UPDATE shop.orders o JOIN crm.customers c ON o.customer_id = c.id SET o.email = c.email",
        dialect="mysql",
    )
    assert r.sources == ("crm.customers",)
    assert cols(r) == {"shop.orders.email": (("crm.customers.email",), None)}
    assert r.filters == ("crm.customers.id", "shop.orders.customer_id")


def test_delete_using_gives_sources_and_filters_only():
    (r,) = lineage_of_text(
        "DELETE FROM crm.contacts USING gdpr.erasures e WHERE crm.contacts.email = e.email",
        dialect="postgres",
    )
    assert (r.kind, r.targets, r.sources, r.columns) == (
        "delete", ("crm.contacts",), ("gdpr.erasures",), ()
    )  # fmt: skip
    assert r.filters == ("crm.contacts.email", "gdpr.erasures.email")


def test_temp_table_is_marked_and_its_columns_are_known_to_later_statements():
    rs = lineage_of_text(
        "CREATE TEMP TABLE recent AS SELECT id, email FROM crm.contacts WHERE active;\n"
        "INSERT INTO mart.emails SELECT * FROM recent;",
        dialect="postgres",
    )
    assert rs[0].temp_tables == ("recent",)
    assert rs[1].sources == ("recent",)
    assert cols(rs[1]) == {
        "mart.emails.id": (("recent.id",), None),
        "mart.emails.email": (("recent.email",), None),
    }


def test_tsql_select_into_hash_table_is_temporary():
    (r,) = lineage_of_text("SELECT id, email INTO #staged FROM dbo.contacts", dialect="tsql")
    assert (r.kind, r.targets, r.temp_tables) == ("select_into", ("#staged",), ("#staged",))
    assert cols(r)["#staged.email"][0] == ("dbo.contacts.email",)


def test_ddl_gives_typed_fields():
    rs = lineage_of_text(
        "CREATE TABLE crm.contacts (id INT, email VARCHAR(200));\n"
        "ALTER TABLE crm.contacts ADD COLUMN phone TEXT;",
        dialect="postgres",
    )
    assert [(f.name, f.type) for r in rs for f in r.fields] == [
        ("crm.contacts.id", "INT"),
        ("crm.contacts.email", "VARCHAR(200)"),
        ("crm.contacts.phone", "TEXT"),
    ]


def test_ddl_in_one_file_expands_a_star_in_another(tmp_path):
    (tmp_path / "a_load.sql").write_text("INSERT INTO mart.c SELECT * FROM crm.contacts;")
    (tmp_path / "b_ddl.sql").write_text("CREATE TABLE crm.contacts (id INT, email TEXT);")
    load, _ = lineage_of_paths([tmp_path])
    assert cols(load) == {
        "mart.c.id": (("crm.contacts.id",), None),
        "mart.c.email": (("crm.contacts.email",), None),
    }


def test_schema_qualifies_a_name_written_with_fewer_parts():
    (r,) = lineage_of_text(
        "INSERT INTO m.t SELECT * FROM contacts WHERE contacts.id > 0",
        schema={"warehouse.crm.contacts": {"ID": "int", "Email": "text"}},
    )
    assert r.sources == ("warehouse.crm.contacts",)
    assert cols(r) == {
        "m.t.id": (("warehouse.crm.contacts.id",), None),
        "m.t.email": (("warehouse.crm.contacts.email",), None),
    }
    assert r.filters == ("warehouse.crm.contacts.id",)


def test_a_name_two_schema_tables_end_with_stays_as_written():
    (r,) = lineage_of_text(
        "INSERT INTO m.t SELECT c.id FROM contacts c",
        schema={"a.contacts": {"id": "int"}, "b.contacts": {"id": "int"}},
    )
    assert r.sources == ("contacts",)


def test_unqualified_column_proven_by_a_qualified_use_is_not_a_guess():
    (r,) = lineage_of_text(
        "INSERT INTO m.t (e) SELECT email FROM crm.contacts c JOIN shop.orders o "
        "ON o.cid = c.id WHERE c.email IS NOT NULL"
    )
    assert r.columns[0].sources == ("crm.contacts.email",)
    assert r.columns[0].confidence == 1.0 and r.warnings == ()


def test_ambiguous_unqualified_column_goes_to_all_candidates_with_a_warning():
    (r,) = lineage_of_text(
        "INSERT INTO m.t (e) SELECT email FROM crm.contacts c JOIN shop.orders o ON o.cid = c.id"
    )
    assert r.columns[0].sources == ("crm.contacts.email", "shop.orders.email")
    assert r.columns[0].confidence < 1.0
    assert "give a schema" in r.warnings[0]


def test_schema_resolves_an_ambiguous_column():
    (r,) = lineage_of_text(
        "INSERT INTO m.t (e) SELECT email FROM crm.contacts c JOIN shop.orders o ON o.cid = c.id",
        schema={"crm.contacts": {"id": "int", "email": "text"}, "shop.orders": {"cid": "int"}},
    )
    assert r.columns[0].sources == ("crm.contacts.email",)
    assert r.columns[0].confidence == 1.0


def test_unnest_column_traces_to_the_array_it_unnests():
    (r,) = lineage_of_text(
        "INSERT INTO m.items (sku) SELECT i.sku FROM shop.orders o, UNNEST(o.lines) AS i(sku)",
        dialect="postgres",
    )
    assert cols(r)["m.items.sku"][0] == ("shop.orders.lines",)


def test_star_without_schema_has_lower_confidence():
    r = one("star.sql")
    assert r.columns[0].confidence < 1.0


def test_oversized_statement_is_reported_not_parsed():
    rs = lineage_of_text("SELECT 1;\nSELECT '" + "x" * 1_100_000 + "';\nSELECT 2")
    assert [bool(r.error) for r in rs] == [False, True, False]
    assert "limit" in rs[1].error and rs[1].error.startswith("line 2:")


def test_non_utf8_file_is_an_error_naming_the_file(tmp_path):
    bad = tmp_path / "latin1.sql"
    bad.write_bytes("SELECT 'Müller' AS n;".encode("latin-1"))
    (r,) = lineage_of_paths([bad])
    assert r.file == str(bad) and "not UTF-8" in r.error


def test_parallel_run_equals_sequential_run():
    sequential = lineage_of_paths([FIX])
    assert lineage_of_paths([FIX], workers=2) == sequential


def test_lateral_column_alias_means_the_earlier_expression():
    (r,) = lineage_of_text(
        "CREATE VIEW a.v AS SELECT l.p * l.q AS gross, gross - l.d AS net FROM s.l l",
        dialect="snowflake",
    )
    assert cols(r)["A.V.NET"] == (("S.L.D", "S.L.P", "S.L.Q"), "GROSS - L.D")


def test_aggregate_filter_clause_is_value_lineage():
    (r,) = lineage_of_text(
        "CREATE VIEW m.v AS SELECT count(*) FILTER (WHERE t.closed_at IS NULL) AS open_n "
        "FROM s.t t",
        dialect="postgres",
    )
    assert cols(r)["m.v.open_n"][0] == ("s.t.closed_at",)
    assert r.filters == ()


def test_insert_without_column_list_maps_to_the_ddl_columns_by_position():
    _, r = lineage_of_text(
        "CREATE TABLE m.daily (day date, total numeric);\n"
        "INSERT INTO m.daily SELECT o.created, sum(o.amount) FROM s.orders o GROUP BY 1;"
    )
    assert cols(r)["m.daily.total"][0] == ("s.orders.amount",)
    assert cols(r)["m.daily.day"][0] == ("s.orders.created",)


def test_unnest_alias_names_its_one_column():
    (r,) = lineage_of_text(
        "INSERT INTO m.t (id, tag) SELECT o.id, tag FROM s.orders o "
        "CROSS JOIN LATERAL unnest(o.tags) AS tag",
        dialect="postgres",
    )
    assert cols(r)["m.t.tag"][0] == ("s.orders.tags",) and r.warnings == ()


def test_star_over_a_cte_passes_union_positions_through():
    (r,) = lineage_of_text(
        "INSERT INTO m.c (id, kind, addr) WITH e AS (SELECT id, 'e', email FROM s.c), "
        "p AS (SELECT id, 'p', phone FROM s.c) SELECT * FROM e UNION ALL SELECT * FROM p"
    )
    assert cols(r)["m.c.addr"][0] == ("s.c.email", "s.c.phone")


def test_tsql_update_of_an_alias_writes_the_aliased_table():
    (r,) = lineage_of_text(
        "UPDATE s SET s.carrier = c.name FROM ship.shipments s JOIN ship.carriers c "
        "ON c.id = s.carrier_id",
        dialect="tsql",
    )
    assert (r.targets, r.sources) == (("ship.shipments",), ("ship.carriers",))
    assert cols(r) == {"ship.shipments.carrier": (("ship.carriers.name",), None)}


def test_recursive_cte_reference_traces_to_the_anchor_tables():
    (r,) = lineage_of_text(
        "INSERT INTO d.paths (id, root) WITH RECURSIVE t AS (SELECT id, id AS root FROM s.e "
        "WHERE parent IS NULL UNION ALL SELECT e.id, t.root FROM s.e e JOIN t ON e.parent = t.id) "
        "SELECT id, root FROM t"
    )
    assert r.sources == ("s.e",)
    assert cols(r)["d.paths.root"][0] == ("s.e.id",)
    assert "t.id" not in r.filters and "s.e.parent" in r.filters


def test_group_by_a_projection_alias_filters_by_its_expression():
    (r,) = lineage_of_text(
        "CREATE TABLE m.d AS SELECT DATE(o.created_at) AS day, COUNT(*) AS n FROM s.o o "
        "GROUP BY day",
        dialect="bigquery",
    )
    assert r.filters == ("s.o.created_at",)


def test_script_variables_are_not_columns():
    _, r = lineage_of_text(
        "DECLARE run_date DATE DEFAULT CURRENT_DATE();\n"
        "INSERT INTO m.t (d, v) SELECT run_date, c.v FROM s.c AS c WHERE c.day = run_date;",
        dialect="bigquery",
    )
    assert cols(r)["m.t.d"][0] == () and r.filters == ("s.c.day",)


def test_merge_set_star_maps_every_target_column_by_name():
    (r,) = lineage_of_text(
        "MERGE INTO m.dim t USING s.snap s ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *",
        dialect="databricks",
        schema={"m.dim": {"id": "bigint", "tier": "string"}},
    )
    assert cols(r) == {"m.dim.id": (("s.snap.id",), None), "m.dim.tier": (("s.snap.tier",), None)}


def test_statements_that_only_name_a_table_read_nothing():
    rs = lineage_of_text("USE WAREHOUSE etl_wh;\nANALYZE billing.invoices;", dialect="snowflake")
    assert [(r.sources, r.error) for r in rs] == [((), None), ((), None)]


def test_hive_multi_insert_writes_every_target_from_the_shared_source():
    (r,) = lineage_of_text(
        "FROM s.o o INSERT OVERWRITE TABLE m.web SELECT o.id WHERE o.channel = 'web' "
        "INSERT OVERWRITE TABLE m.store SELECT o.id WHERE o.channel = 'store'",
        dialect="hive",
    )
    assert (r.kind, r.targets, r.sources) == ("insert", ("m.store", "m.web"), ("s.o",))
    assert cols(r) == {"m.web.id": (("s.o.id",), None), "m.store.id": (("s.o.id",), None)}
    assert r.filters == ("s.o.channel",)


def test_snowflake_insert_all_maps_each_branch_values_through_the_select():
    (r,) = lineage_of_text(
        "INSERT ALL WHEN amount >= 100 THEN INTO m.big (pid, amt) VALUES (id, amount) "
        "ELSE INTO m.small (pid) VALUES (id) SELECT p.id, p.amount FROM b.pay p WHERE p.ok",
        dialect="snowflake",
    )  # Snowflake folds unquoted names to upper case
    assert r.targets == ("M.BIG", "M.SMALL") and r.sources == ("B.PAY",)
    assert cols(r)["M.BIG.AMT"][0] == ("B.PAY.AMOUNT",)
    assert cols(r)["M.SMALL.PID"][0] == ("B.PAY.ID",)
    assert r.filters == ("B.PAY.AMOUNT", "B.PAY.OK")


def test_mysql_delete_of_an_alias_deletes_from_the_aliased_table():
    (r,) = lineage_of_text(
        "DELETE FROM t1 USING s.tags AS t1 JOIN s.tickets AS t ON t.id = t1.ticket_id "
        "WHERE t.status = 'deleted'",
        dialect="mysql",
    )
    assert (r.targets, r.sources) == (("s.tags",), ("s.tickets",))
    assert "s.tags.ticket_id" in r.filters


def test_update_through_a_cte_writes_the_table_the_cte_selects_from():
    (r,) = lineage_of_text(
        "WITH latest AS (SELECT s.id, s.status, ROW_NUMBER() OVER (PARTITION BY s.order_id "
        "ORDER BY s.created_at DESC) AS rn FROM ship.shipments AS s) "
        "UPDATE latest SET status = 'old' WHERE rn > 1",
        dialect="tsql",
    )
    assert (r.targets, r.sources) == (("ship.shipments",), ())
    assert r.filters == ("ship.shipments.created_at", "ship.shipments.order_id")


def test_update_of_a_column_tuple_maps_each_column_to_its_value():
    (r,) = lineage_of_text(
        "UPDATE c.cust c SET (city, zip) = (a.city, a.postcode) FROM c.addr a WHERE a.id = c.id",
        dialect="postgres",
    )
    assert cols(r) == {
        "c.cust.city": (("c.addr.city",), None),
        "c.cust.zip": (("c.addr.postcode",), None),
    }


def test_ctas_with_a_typed_column_list_names_the_columns_by_position():
    (r,) = lineage_of_text(
        "CREATE TABLE m.t (owner_email VARCHAR, n INT) AS SELECT e.email, e.id FROM hr.emp e",
        dialect="postgres",
    )
    assert set(cols(r)) == {"m.t.owner_email", "m.t.n"}


def test_named_window_partition_and_order_are_value_lineage():
    (r,) = lineage_of_text(
        "CREATE VIEW m.v AS SELECT SUM(e.amount) OVER w AS bal FROM l.e e "
        "WINDOW w AS (PARTITION BY e.account ORDER BY e.posted_at)",
        dialect="postgres",
    )
    assert cols(r)["m.v.bal"][0] == ("l.e.account", "l.e.amount", "l.e.posted_at")


def test_group_by_all_groups_by_the_non_aggregate_projections():
    (r,) = lineage_of_text(
        "CREATE TABLE m.t AS SELECT o.region, SUM(o.amount) AS total FROM s.o o GROUP BY ALL",
        dialect="duckdb",
    )
    assert r.filters == ("s.o.region",)


def test_lateral_alias_in_where_filters_by_its_expression():
    (r,) = lineage_of_text(
        "INSERT INTO m.big (id) SELECT o.id, o.amount - o.discount AS net FROM s.o o "
        "WHERE net > 100",
        dialect="duckdb",
    )
    assert r.filters == ("s.o.amount", "s.o.discount")


def test_merge_insert_values_without_columns_uses_the_target_schema_positions():
    (r,) = lineage_of_text(
        "MERGE INTO m.sku t USING s.feed s ON t.sku = s.sku "
        "WHEN NOT MATCHED THEN INSERT VALUES (s.sku, s.title)",
        dialect="databricks",
        schema={"m.sku": {"sku": "varchar", "name": "varchar"}},
    )
    assert cols(r) == {
        "m.sku.sku": (("s.feed.sku",), None),
        "m.sku.name": (("s.feed.title",), None),
    }


def test_merge_insert_values_without_columns_or_schema_is_a_warning_not_a_guess():
    (r,) = lineage_of_text(
        "MERGE INTO m.sku t USING s.feed s ON t.sku = s.sku "
        "WHEN NOT MATCHED THEN INSERT VALUES (s.sku, s.title)",
        dialect="databricks",
    )
    assert r.columns == () and any("by position" in w for w in r.warnings)


def test_cte_named_like_its_table_traces_columns_to_the_table():
    (r,) = lineage_of_text(
        "INSERT INTO paid (id) WITH orders AS (SELECT id FROM orders WHERE status = 'paid') "
        "SELECT id FROM orders",
        dialect="postgres",
    )
    assert cols(r) == {"paid.id": (("orders.id",), None)} and r.filters == ("orders.status",)


def test_values_with_a_scalar_subquery_trace_to_the_subquery_columns():
    (r,) = lineage_of_text(
        "INSERT INTO o.k (kpi, v) VALUES ('due', (SELECT SUM(i.amount) FROM b.inv AS i "
        "WHERE i.paid_at IS NULL))"
    )
    assert cols(r)["o.k.v"][0] == ("b.inv.amount",) and r.filters == ("b.inv.paid_at",)


def test_cross_apply_values_traces_each_row_of_the_unpivot():
    (r,) = lineage_of_text(
        "INSERT INTO s.cp (kind, val) SELECT v.k, v.x FROM crm.c AS c "
        "CROSS APPLY (VALUES ('email', c.email), ('phone', c.phone)) AS v(k, x)",
        dialect="tsql",
    )
    assert cols(r)["s.cp.val"][0] == ("crm.c.email", "crm.c.phone")
    assert cols(r)["s.cp.kind"][0] == ()


def test_update_of_a_column_tuple_from_a_subquery_maps_by_position():
    (r,) = lineage_of_text(
        "UPDATE w.inv i SET (qty, last_at) = (SELECT SUM(r.qty), MAX(r.at) FROM w.res r "
        "WHERE r.sku = i.sku)",
        dialect="postgres",
    )
    assert {c.target: c.sources for c in r.columns} == {
        "w.inv.qty": ("w.res.qty",),
        "w.inv.last_at": ("w.res.at",),
    }
    assert r.columns[0].transform.startswith("(SELECT SUM(r.qty)") and r.warnings == ()


def test_oracle_hierarchy_filters_by_connect_by_and_level_is_no_column():
    (r,) = lineage_of_text(
        "INSERT INTO d.tree (id, depth) SELECT c.id, LEVEL FROM f.cc c "
        "START WITH c.parent_id IS NULL CONNECT BY PRIOR c.id = c.parent_id",
        dialect="oracle",
    )
    assert {c.target: c.sources for c in r.columns} == {
        "D.TREE.ID": ("F.CC.ID",),
        "D.TREE.DEPTH": (),
    }
    assert r.filters == ("F.CC.ID", "F.CC.PARENT_ID")


def test_oracle_merge_branch_where_is_filter_lineage():
    (r,) = lineage_of_text(
        "MERGE INTO d.acc d USING s.acc s ON (d.id = s.id) WHEN MATCHED THEN UPDATE SET "
        "d.name = s.name WHERE d.updated_at < s.updated_at",
        dialect="oracle",
    )
    assert r.filters == ("D.ACC.ID", "D.ACC.UPDATED_AT", "S.ACC.ID", "S.ACC.UPDATED_AT")


def test_upsert_column_also_comes_from_its_old_value_and_the_inserted_one():
    (r,) = lineage_of_text(
        "INSERT INTO m.stats AS s (id, total) SELECT o.cid, SUM(o.amount) FROM sh.o o "
        "GROUP BY o.cid ON CONFLICT (id) DO UPDATE SET total = s.total + EXCLUDED.total",
        dialect="postgres",
    )
    assert cols(r)["m.stats.total"][0] == ("m.stats.total", "sh.o.amount")
    assert r.sources == ("sh.o",)


def test_mysql_on_duplicate_key_values_means_the_inserted_value():
    (r,) = lineage_of_text(
        "INSERT INTO m.stats (id, n) SELECT o.id, SUM(o.x) FROM s.o o GROUP BY o.id "
        "ON DUPLICATE KEY UPDATE n = n + VALUES(n)",
        dialect="mysql",
    )
    assert cols(r)["m.stats.n"][0] == ("m.stats.n", "s.o.x")


def test_pivot_alias_column_list_renames_passed_and_pivoted_columns_by_position():
    (r,) = lineage_of_text(
        "CREATE VIEW m.v AS SELECT p.acct, p.email_n FROM (SELECT t.account_id, t.channel, "
        "t.id FROM s.t t) src PIVOT (COUNT(id) FOR channel IN ('email', 'chat')) "
        "AS p (acct, email_n, chat_n)",
        dialect="snowflake",
    )
    assert {c.target: c.sources for c in r.columns} == {
        "M.V.ACCT": ("S.T.ACCOUNT_ID",),
        "M.V.EMAIL_N": ("S.T.CHANNEL", "S.T.ID"),
    }


def test_session_settings_and_routines_are_other_statements():
    rs = lineage_of_text(
        "ALTER SESSION SET TIMEZONE = 'UTC';\n"
        "CREATE TEMP FUNCTION f(x INT64) AS (x + 1);",
        dialect="bigquery",
    )
    assert [r.kind for r in rs] == ["other", "other"]
