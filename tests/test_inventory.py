"""The integration-inventory ingester: readers, validation, aliases, findings, templates.

Pure Python: these tests read the fixtures under tests/fixtures/inventory/ and inspect the
records, rejections, findings and reconciliation report; none of them needs Neo4j.
"""

from __future__ import annotations

import re
import shutil
import string
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ingest.inventory import InventoryError, InventoryResult, Rejection, read_inventory
from ingest.inventory_files import sniff_delimiter
from ingest.inventory_findings import Rule, similarity
from ingest.inventory_rows import (
    ROW_MODELS,
    FieldListError,
    FieldMapping,
    FieldRef,
    IntegrationRow,
    parse_date,
    parse_direction,
    parse_field_list,
    parse_score,
    parse_status,
)
from ingest.records import (
    Edge,
    EdgeKind,
    Field,
    Integration,
    Issue,
    Method,
    NodeKind,
    NodeRecord,
    NodeRef,
    Status,
    System,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "inventory"
ALIASES = FIXTURES / "aliases.yaml"
TODAY = date(2026, 2, 1)
INVENTORIES = [
    "clean",
    "findings",
    "bad_rows",
    "missing_column",
    "bom",
    "cp1252",
    "alias_file",
    "workbook.xlsx",
    "inventory.yaml",
]


@cache
def read(name: str, aliases: Path | None = None, stale_after_days: int = 365) -> InventoryResult:
    return read_inventory(
        FIXTURES / name, aliases=aliases, today=TODAY, stale_after_days=stale_after_days
    )


def nodes(result: InventoryResult, kind: type[NodeRecord]) -> dict[str, NodeRecord]:
    return {r.key: r for r in result.records if isinstance(r, kind)}


def edges(result: InventoryResult, kind: EdgeKind) -> set[tuple[str, str]]:
    return {
        (r.start.key, r.end.key) for r in result.records if isinstance(r, Edge) and r.kind is kind
    }


def flow_into(result: InventoryResult, field: str) -> Edge:
    [flow] = [
        r
        for r in result.records
        if isinstance(r, Edge) and r.kind is EdgeKind.FLOWS_TO and r.end.key == field
    ]
    return flow


def rejection(result: InventoryResult, file: str, row: int) -> Rejection:
    found = [r for r in result.rejections if Path(r.file).name == file and r.row == row]
    assert len(found) == 1, f"expected one rejection at {file} row {row}, got {found}"
    return found[0]


def sheet(result: InventoryResult, kind: str):
    return next(s for s in result.report.sheets if s.kind == kind)


def finding_rules(result: InventoryResult) -> dict[str, Rule]:
    return {f.target: f.rule for f in result.findings}


# -- reconciliation ----------------------------------------------------------------------


def test_clean_inventory_has_no_rejections_warnings_or_findings():
    result = read("clean")
    assert (result.rejections, result.findings) == ([], [])
    assert (result.report.warnings, result.report.errors) == ([], [])
    assert result.report.accepted == 9


@pytest.mark.parametrize("name", INVENTORIES)
def test_every_row_read_is_accepted_or_rejected(name):
    report = read(name).report
    assert report.balanced
    assert report.rejected == len(read(name).rejections)
    assert report.rows_read == report.accepted + report.rejected


def test_report_lines_state_the_reconciliation_per_file():
    lines = read("bad_rows").report.lines()
    assert any(
        line.endswith("integrations.csv: 9 rows read = 2 accepted + 7 rejected") for line in lines
    )


def test_source_carries_the_reconciliation_summary():
    summary = read("bad_rows").source.summary
    assert len(summary.pop("sheets")) == 4  # one "read = accepted + rejected" line per file
    assert summary == {
        "unit": "rows",
        "read": 22,
        "accepted": 6,
        "rejected": 16,
        "warnings": 0,
        "errors": 0,
        "findings": 0,
        "files": 4,
    }


def test_source_is_keyed_by_the_resolved_path():
    source = read("clean").source
    assert source.key == "inventory:" + (FIXTURES / "clean").resolve().as_posix()
    assert (source.kind, source.uri) == ("inventory", str(FIXTURES / "clean"))


def test_content_hash_covers_the_options_and_the_aliases_file():
    hashes = {
        read("alias_file").source.content_hash,
        read("alias_file", aliases=ALIASES).source.content_hash,
        read("alias_file", stale_after_days=30).source.content_hash,
        read_inventory(FIXTURES / "alias_file", today=date(2026, 2, 2)).source.content_hash,
    }
    assert len(hashes) == 4
    assert read_inventory(FIXTURES / "alias_file", today=TODAY).source.content_hash in hashes


def test_content_hash_follows_the_file_content(tmp_path):
    copy = shutil.copytree(FIXTURES / "clean", tmp_path / "clean")
    before = read_inventory(copy, today=TODAY).source.content_hash
    systems = copy / "systems.csv"
    systems.write_text(systems.read_text() + "Payroll,,saas,hr-it,HR,low,yes,manual,,3 years\n")
    assert read_inventory(copy, today=TODAY).source.content_hash != before


# -- records -----------------------------------------------------------------------------


def test_systems_keep_their_sheet_properties_and_aliases():
    crm = nodes(read("clean"), System)["salesforce-crm"]
    assert crm.name == "Salesforce CRM"
    assert crm.aliases == ("SFDC", "Salesforce")
    assert (crm.holds_personal_data, crm.erasure_method, crm.retention) == (True, "api", "7 years")


def test_integration_flows_from_its_source_system_through_itself_to_its_target():
    flows = edges(read("clean"), EdgeKind.FLOWS_TO)
    assert ("salesforce-crm", "int:int-001") in flows
    assert ("int:int-001", "data-warehouse") in flows
    assert ("data-warehouse", "int:int-001") not in flows


def test_bidirectional_integration_adds_the_reverse_pair():
    flows = edges(read("clean"), EdgeKind.FLOWS_TO)
    assert {("billing", "int:int-002"), ("int:int-002", "salesforce-crm")} <= flows
    assert {("salesforce-crm", "int:int-002"), ("int:int-002", "billing")} <= flows


def test_integration_properties_are_normalised():
    integration = nodes(read("clean"), Integration)["int:int-002"]
    assert (integration.direction, integration.status) == ("bidirectional", Status.YELLOW)
    assert integration.last_reviewed == "2025-12-15"  # from 15/12/2025


def test_field_list_creates_fields_in_their_datasets_and_flows_via_the_integration():
    result = read("clean")
    field = nodes(result, Field)["data-warehouse:crm.dim_customer#customer_id"]
    assert field.dataset == "data-warehouse:crm.dim_customer"
    assert ("data-warehouse", "data-warehouse:crm.dim_customer") in edges(
        result, EdgeKind.HAS_DATASET
    )
    flow = flow_into(result, "data-warehouse:crm.dim_customer#customer_id")
    assert (flow.start.key, flow.via) == ("salesforce-crm:sales.accounts#id", "int:int-001")


def test_field_list_fields_are_checked_for_personal_data():
    fields = nodes(read("clean"), Field)
    email = fields["data-warehouse:crm.dim_customer#email"]
    assert (email.pii_category, email.classification) == ("email", "confidential")
    assert "email" in email.pii_evidence
    assert fields["data-warehouse:crm.dim_customer#customer_id"].pii_category is None


def test_field_mapping_row_adds_its_transform_to_the_flow():
    flow = flow_into(read("clean"), "data-warehouse:crm.dim_customer#email")
    assert (flow.transform, flow.via) == ("lower(trim(email))", "int:int-001")


def test_issue_rows_affect_what_where_names():
    affects = edges(read("clean"), EdgeKind.AFFECTS)
    assert ("issue:iss-1", "int:int-002") in affects
    assert ("issue:iss-2", "salesforce-crm:sales.accounts#email") in affects
    issue = nodes(read("clean"), Issue)["issue:iss-2"]
    assert (issue.category, issue.impact, issue.evidence) == ("known_issue", 4, "issues.csv:row 3")


def test_rows_are_declared_and_findings_inferred():
    records = read("findings").records
    findings = {r for r in records if isinstance(r, Issue) and r.category != "known_issue"}
    assert findings
    assert {r.provenance.method for r in findings} == {Method.INFERRED}
    others = [r for r in records if r not in findings and not _is_finding_edge(r, findings)]
    assert {(r.provenance.method, r.provenance.confidence) for r in others} == {
        (Method.DECLARED, 1.0)
    }


def _is_finding_edge(record, findings) -> bool:
    keys = {f.key for f in findings}
    return isinstance(record, Edge) and record.start.key in keys


# -- aliases -----------------------------------------------------------------------------


def test_aliases_column_resolves_other_names_to_the_system():
    result = read("clean")
    assert "sfdc" not in nodes(result, System)
    assert ("salesforce-crm", "int:int-001") in edges(result, EdgeKind.FLOWS_TO)


def test_aliases_file_resolves_names_to_the_canonical_system():
    result = read("alias_file", aliases=ALIASES)
    assert ("crm", "int:a-1") in edges(result, EdgeKind.FLOWS_TO)
    assert ("int:a-1", "warehouse") in edges(result, EdgeKind.FLOWS_TO)
    assert result.findings == []
    assert nodes(result, System)["crm"].aliases == ("Salesforce",)


def test_without_the_aliases_file_the_same_names_are_unknown_systems():
    rules = [f.rule for f in read("alias_file").findings]
    assert rules == [Rule.UNKNOWN_SYSTEM, Rule.UNKNOWN_SYSTEM]


def test_alias_that_names_another_system_is_ignored_with_a_warning(tmp_path):
    (tmp_path / "systems.csv").write_text("name,aliases\nCRM,Warehouse\nWarehouse,\n")
    (tmp_path / "integrations.csv").write_text(
        "id,source_system,target_system\nI-1,CRM,Warehouse\n"
    )
    result = read_inventory(tmp_path, today=TODAY)
    assert ("int:i-1", "warehouse") in edges(result, EdgeKind.FLOWS_TO)
    assert result.report.warnings == [
        f"{tmp_path / 'systems.csv'}:row 2:aliases: alias 'Warehouse' of 'CRM' is itself a"
        " system of the systems sheet; alias ignored"
    ]


# -- bad rows ----------------------------------------------------------------------------

BAD_ROWS = [
    (
        "integrations.csv",
        3,
        "status",
        "'purple' is not a status: use green, yellow (or amber) or red",
    ),
    ("integrations.csv", 4, "fields", "entry 1: 'crm.accounts' is not system.dataset.field"),
    (
        "integrations.csv",
        5,
        "last_reviewed",
        "'2024-13-01' is not a date: use YYYY-MM-DD or DD/MM/YYYY",
    ),
    ("integrations.csv", 6, "id", "duplicate id 'g-1': same as 'G-1' row 2"),
    (
        "integrations.csv",
        10,
        None,
        "cell 10 ('extra') has a value but its column has no header name"
        " (a delimiter inside an unquoted value?)",
    ),
    (
        "integrations.csv",
        11,
        "direction",
        "'sideways' is not a direction: use one-way (or one way, uni, ->)"
        " or bidirectional (or bi, two-way, <->)",
    ),
    ("integrations.csv", 12, "target_system", "is required but empty"),
    (
        "systems.csv",
        4,
        "holds_personal_data",
        "'maybe' is not yes or no: use yes/no, true/false or 1/0",
    ),
    (
        "systems.csv",
        5,
        "erasure_method",
        "'shred' is not an erasure method: use api, manual, none, unknown",
    ),
    ("systems.csv", 6, "name", "duplicate system name 'crm': same as 'CRM' row 2"),
    ("issues.csv", 2, "impact", "7 is outside 1..5"),
    ("issues.csv", 3, "frequency", "'often' is not a whole number from 1 to 5"),
    (
        "issues.csv",
        4,
        "where",
        "'nowhere' is not an integration id, a system or system.dataset.field",
    ),
    ("issues.csv", 6, "title", "is required but empty"),
    ("field_mappings.csv", 3, "integration_id", "'NOPE' is not the id of an accepted integration"),
    ("field_mappings.csv", 4, "source_field", "'crm.email' is not system.dataset.field"),
]


@pytest.mark.parametrize(
    ("file", "row", "column", "reason"),
    BAD_ROWS,
    ids=[f"{file}:{row}" for file, row, _, _ in BAD_ROWS],
)
def test_bad_row_is_rejected_with_its_row_column_and_reason(file, row, column, reason):
    found = rejection(read("bad_rows"), file, row)
    assert (found.sheet, found.column, found.reason) == (None, column, reason)


def test_bad_rows_are_all_accounted_for():
    result = read("bad_rows")
    counts = {s.kind: (s.rows_read, s.accepted, s.rejected) for s in result.report.sheets}
    assert counts == {
        "integrations": (9, 2, 7),
        "systems": (5, 2, 3),
        "issues": (5, 1, 4),
        "field_mappings": (3, 1, 2),
    }
    assert len(result.rejections) == len(BAD_ROWS)


def test_rejection_reads_as_file_row_column_reason():
    found = rejection(read("bad_rows"), "issues.csv", 2)
    assert str(found) == f"{FIXTURES / 'bad_rows' / 'issues.csv'}:row 2:impact: 7 is outside 1..5"


def test_rows_next_to_bad_rows_are_still_loaded():
    assert set(nodes(read("bad_rows"), Integration)) == {"int:g-1", "int:g-5"}


def test_row_with_a_multi_line_value_is_numbered_by_its_first_line():
    # G-5 spans lines 7-8 and is accepted; G-6, after a blank line 9, is on line 10.
    result = read("bad_rows")
    integration = nodes(result, Integration)["int:g-5"]
    assert integration.key == "int:g-5"
    assert rejection(result, "integrations.csv", 10).reason.startswith("cell 10")


def test_problems_of_one_row_are_reported_together():
    found = rejection(read("workbook.xlsx"), "workbook.xlsx", 8)
    assert found.column == "source_system"
    assert found.reason == (
        "is required but empty; also last_reviewed: '2026-13-01' is not a date:"
        " use YYYY-MM-DD or DD/MM/YYYY"
    )


def test_missing_required_column_rejects_every_row_with_one_reason():
    result = read("missing_column")
    reason = "missing required column 'target_system' (the header has: id, source_system, owner)"
    assert [(r.row, r.column, r.reason) for r in result.rejections] == [
        (2, "target_system", reason),
        (3, "target_system", reason),
        (4, "target_system", reason),
    ]


def test_missing_required_column_is_reported_once_as_an_error():
    errors = read("missing_column").report.errors
    assert len(errors) == 1
    assert errors[0].startswith("missing required column 'target_system'")
    assert errors[0].endswith(
        "all 3 rows of " + str(FIXTURES / "missing_column/integrations.csv") + " rejected"
    )


def test_unknown_column_is_ignored_with_a_warning(tmp_path):
    (tmp_path / "systems.csv").write_text("name,ownr\nCRM,sales-ops\n")
    (tmp_path / "integrations.csv").write_text("id,source_system,target_system\n")
    warnings = read_inventory(tmp_path, today=TODAY).report.warnings
    assert warnings == [
        f"{tmp_path / 'systems.csv'}: unknown column(s) 'ownr' (did you mean 'owner'?) ignored"
    ]


def test_column_names_ignore_case_spaces_and_hyphens(tmp_path):
    (tmp_path / "systems.csv").write_text("Name\nCRM\nWarehouse\n")
    (tmp_path / "integrations.csv").write_text(
        " ID ,Source System,target-system,Last Reviewed\nI-1,CRM,Warehouse,2026-01-01\n"
    )
    result = read_inventory(tmp_path, today=TODAY)
    assert result.rejections == []
    assert nodes(result, Integration)["int:i-1"].last_reviewed == "2026-01-01"


# -- encodings and delimiters ------------------------------------------------------------


def test_bom_does_not_stick_to_the_first_column_name():
    result = read("bom")
    assert result.rejections == []
    assert nodes(result, Integration)["int:e-1"].owner == "Zoë"


def test_semicolon_and_tab_delimiters_are_sniffed():
    result = read("bom")  # integrations.csv uses ";", systems.csv a tab
    assert nodes(result, System)["warehouse"].owner == "data-platform"
    assert ("crm", "int:e-1") in edges(result, EdgeKind.FLOWS_TO)


def test_cp1252_csv_is_read_with_a_warning_naming_the_file():
    result = read("cp1252")
    assert nodes(result, System)["z-rich-billing"].owner == "José Müller"
    assert result.report.warnings == [
        f"{FIXTURES / 'cp1252' / 'systems.csv'}: not valid UTF-8; read as Windows-1252 (cp1252)"
    ]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [("a,b;c\n1,2;3", ","), ("a;b;c\n", ";"), ("a\tb\n", "\t"), ("a\n", ","), ("\n\nx;y\n", ";")],
)
def test_delimiter_is_the_one_the_header_uses_most(text, delimiter):
    assert sniff_delimiter(text) == delimiter


# -- XLSX --------------------------------------------------------------------------------


def test_workbook_sheet_names_are_case_insensitive():
    sheets = {s.kind: s.sheet for s in read("workbook.xlsx").report.sheets}
    assert sheets == {"integrations": "Integrations", "systems": "SYSTEMS", "issues": "issues"}


def test_merged_cells_apply_their_value_to_every_row_they_cover():
    result = read("workbook.xlsx")
    owners = {k: v.owner for k, v in nodes(result, Integration).items()}
    assert owners["int:x-1"] == owners["int:x-2"] == owners["int:x-3"] == "Team A"
    assert (
        f"{FIXTURES / 'workbook.xlsx'}:Integrations: merged cells D2:D4: 'Team A' applies to"
        " rows 2-4 of column 'owner'" in result.report.warnings
    )


def test_merged_cells_across_columns_keep_the_value_in_the_first_column_only():
    result = read("workbook.xlsx")
    assert ("int:x-5", "billing") in edges(result, EdgeKind.FLOWS_TO)
    assert finding_rules(result)["int:x-5"] is Rule.NO_OWNER
    assert (
        f"{FIXTURES / 'workbook.xlsx'}:Integrations: merged cells C7:D7 span columns C-D;"
        " the value is read as column 'target_system' only" in result.report.warnings
    )


def test_empty_sheet_is_a_warning_with_no_rows():
    result = read("workbook.xlsx")
    assert sheet(result, "issues").rows_read == 0
    assert f"{FIXTURES / 'workbook.xlsx'}:issues: empty sheet" in result.report.warnings


def test_sheet_that_is_not_an_inventory_sheet_is_ignored_with_a_warning():
    warning = f"{FIXTURES / 'workbook.xlsx'}:Notes: not an inventory sheet; ignored"
    assert warning in read("workbook.xlsx").report.warnings


def test_blank_xlsx_row_is_skipped_and_not_counted():
    # Rows 2-8 hold six integrations and one blank row (5).
    assert sheet(read("workbook.xlsx"), "integrations").rows_read == 6


def test_xlsx_rejection_names_the_sheet_and_the_spreadsheet_row():
    found = rejection(read("workbook.xlsx"), "workbook.xlsx", 8)
    assert str(found).startswith(f"{FIXTURES / 'workbook.xlsx'}:Integrations:row 8:source_system:")


def test_date_cells_text_dates_and_excel_day_numbers_are_dates():
    reviewed = {k: v.last_reviewed for k, v in nodes(read("workbook.xlsx"), Integration).items()}
    assert reviewed["int:x-1"] == "2026-01-02"  # a date cell
    assert reviewed["int:x-3"] == "2026-01-04"  # "04/01/2026", day first
    assert reviewed["int:x-4"] == "2024-01-01"  # the day number 45292


# -- YAML --------------------------------------------------------------------------------


def test_yaml_rows_are_numbered_as_list_items():
    result = read("inventory.yaml")
    assert [(r.sheet, r.unit, r.row, r.column, r.reason) for r in result.rejections] == [
        ("integrations", "item", 3, None, "expected a mapping, not a text"),
        ("integrations", "item", 4, "target_system", "is required"),
        ("issues", "item", 1, "impact", "0 is outside 1..5"),
    ]
    assert str(result.rejections[0]).endswith(
        "inventory.yaml:integrations:item 3: expected a mapping, not a text"
    )


def test_empty_yaml_item_is_a_blank_row():
    assert sheet(read("inventory.yaml"), "integrations").rows_read == 3  # of four items


def test_yaml_values_keep_their_meaning():
    result = read("inventory.yaml")
    integration = nodes(result, Integration)["int:y-1"]
    assert (integration.monitoring, integration.last_reviewed) == ("no", "2026-01-05")
    assert finding_rules(result)["int:y-1"] is Rule.NO_MONITORING
    assert ("crm:sales.accounts#id", "warehouse:dim.customer#id") in edges(
        result, EdgeKind.FLOWS_TO
    )
    assert nodes(result, System)["crm"].aliases == ("Salesforce", "SFDC")


def test_unsafe_yaml_is_refused():
    with pytest.raises(InventoryError, match=r"not valid safe YAML at line 1: .*python/object"):
        read_inventory(FIXTURES / "unsafe.yaml", today=TODAY)


# -- the inventory as a whole ------------------------------------------------------------


def test_folder_without_a_required_sheet_is_an_error(tmp_path):
    (tmp_path / "integrations.csv").write_text("id,source_system,target_system\n")
    with pytest.raises(InventoryError, match=r"no CSV file\(s\) named systems \(required\)"):
        read_inventory(tmp_path)


def test_file_of_another_kind_is_an_error(tmp_path):
    (tmp_path / "inventory.txt").write_text("id\n")
    with pytest.raises(InventoryError, match=r"a folder of CSV files, an \.xlsx workbook"):
        read_inventory(tmp_path / "inventory.txt")


def test_missing_path_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_inventory(tmp_path / "nowhere")


# -- findings ----------------------------------------------------------------------------

FINDINGS = [
    (
        "finding:no_owner:int:f-1",
        "integrations.csv:row 2:owner",
        "integration 'F-1' has no owner",
    ),
    (
        "finding:no_monitoring:int:f-2",
        "integrations.csv:row 3:monitoring",
        "integration 'F-2' is not monitored (monitoring: 'no')",
    ),
    (
        "finding:red_without_known_issue:int:f-3",
        "integrations.csv:row 4:status",
        "integration 'F-3' is red but has no known_issues text and no issues row points at it",
    ),
    (
        "finding:stale_review:int:f-5",
        "integrations.csv:row 6:last_reviewed",
        "integration 'F-5' was last reviewed on 2020-01-01, 2223 days ago (more than 365)",
    ),
    (
        "finding:unknown_system:int:f-6:legacy-erp",
        "integrations.csv:row 7:source_system",
        "integration 'F-6' names source_system 'Legacy ERP', which is not in the systems sheet",
    ),
    (
        "finding:unknown_field:legacy-erp:orders#total",
        "integrations.csv:row 7:fields",
        "field 'legacy erp.orders.total' belongs to system 'legacy erp', which is not in the"
        " systems sheet",
    ),
    (
        "finding:unknown_system:int:f-7:salesforce-crm",
        "integrations.csv:row 8:source_system",
        "integration 'F-7' names source_system 'Salesforce CRM', which is not in the systems sheet",
    ),
    (
        "finding:probable_duplicate_system:salesforce-crm:crm",
        "integrations.csv:row 8:source_system",
        "'Salesforce CRM' and 'CRM' look like the same system (similarity 100); if they are,"
        " add 'Salesforce CRM' as an alias of 'CRM'",
    ),
]


@pytest.mark.parametrize(("key", "evidence", "message"), FINDINGS, ids=[f[0] for f in FINDINGS])
def test_finding_names_its_rule_evidence_and_message(key, evidence, message):
    finding = next(f for f in read("findings").findings if f.key == key)
    assert (finding.evidence, finding.message) == (evidence, message)
    assert key.startswith(f"finding:{finding.rule.value}:{finding.target}")


def test_each_rule_fires_only_where_it_should():
    assert [f.key for f in read("findings").findings] == [key for key, _, _ in FINDINGS]


def test_red_integration_explained_by_text_or_an_issue_row_is_not_a_finding():
    rules = finding_rules(read("findings"))
    assert "int:f-4" not in rules  # an issues row points at it
    assert "int:f-8" not in rules  # known_issues text


def test_findings_are_issue_records_affecting_what_they_are_about():
    result = read("findings")
    issue = nodes(result, Issue)["finding:unknown_system:int:f-6:legacy-erp"]
    assert (issue.category, issue.evidence) == (
        "unknown_system",
        "integrations.csv:row 7:source_system",
    )
    affects = edges(result, EdgeKind.AFFECTS)
    assert ("finding:unknown_system:int:f-6:legacy-erp", "int:f-6") in affects
    assert ("finding:unknown_system:int:f-6:legacy-erp", "legacy-erp") in affects


def test_finding_keys_do_not_depend_on_row_order(tmp_path):
    copy = shutil.copytree(FIXTURES / "findings", tmp_path / "findings")
    integrations = copy / "integrations.csv"
    header, *rows = integrations.read_text().splitlines()
    integrations.write_text("\n".join([header, *reversed(rows)]) + "\n")
    keys = {f.key for f in read_inventory(copy, today=TODAY).findings}
    assert keys == {f.key for f in read("findings").findings}


def test_stale_review_follows_stale_after_days():
    assert "finding:stale_review:int:f-5" not in {
        f.key for f in read("findings", stale_after_days=10_000).findings
    }


def test_probable_duplicate_systems_are_not_merged():
    systems = nodes(read("findings"), System)
    assert {"crm", "salesforce-crm"} <= set(systems)


def test_probable_duplicate_resolved_by_an_alias_is_not_reported(tmp_path):
    aliases = tmp_path / "aliases.yaml"
    aliases.write_text("Salesforce CRM: CRM\n")
    rules = {f.rule for f in read("findings", aliases=aliases).findings}
    assert Rule.PROBABLE_DUPLICATE_SYSTEM not in rules
    assert ("crm", "int:f-7") in edges(read("findings", aliases=aliases), EdgeKind.FLOWS_TO)


def test_two_defined_systems_that_look_alike_suggest_removing_one_row(tmp_path):
    (tmp_path / "systems.csv").write_text("name\nSalesforce\nSales Force\n")
    (tmp_path / "integrations.csv").write_text("id,source_system,target_system\n")
    [finding] = read_inventory(tmp_path, today=TODAY).findings
    assert finding.evidence == "systems.csv:row 3:name"
    assert finding.message.endswith(
        "add 'Sales Force' as an alias of 'Salesforce' and remove its own systems row"
    )


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("crm", "salesforce-crm", True),
        ("sales-force", "salesforce", True),
        ("data-warehouse", "data-warehous", True),
        ("billing", "warehouse", False),
        ("crm", "erp", False),
    ],
)
def test_similarity_of_system_keys(a, b, alike):
    assert (similarity(a, b) >= 90) is alike


# -- values ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["one-way", "One Way", "uni", "->", "ONEWAY"])
def test_one_way_spellings(text):
    assert parse_direction(text).value == "one-way"


@pytest.mark.parametrize("text", ["bidirectional", "bi", "two-way", "Two Way", "<->"])
def test_bidirectional_spellings(text):
    assert parse_direction(text).value == "bidirectional"


@pytest.mark.parametrize(("text", "status"), [("GREEN", Status.GREEN), ("amber", Status.YELLOW)])
def test_status_spellings(text, status):
    assert parse_status(text) is status


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-31", date(2026, 1, 31)),
        ("31/01/2026", date(2026, 1, 31)),
        (46053, date(2026, 1, 31)),
    ],
)
def test_date_formats(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(("value", "score"), [("3", 3), (3.0, 3), (" 5 ", 5), ("", None)])
def test_scores_accept_whole_numbers_in_any_cell_type(value, score):
    assert parse_score(value) == score


# -- field lists -------------------------------------------------------------------------


def test_field_list_splits_on_semicolons_and_line_breaks():
    mappings = parse_field_list("a.b.c -> d.e.f;\n g.h.i→j.k.l ;;")
    assert [str(m) for m in mappings] == ["a.b.c -> d.e.f", "g.h.i -> j.k.l"]


def test_field_reference_keeps_dots_inside_the_dataset():
    [mapping] = parse_field_list("kafka.orders.v1.order_id -> wh.sales.orders.id")
    assert mapping.source == FieldRef("kafka", "orders.v1", "order_id")
    assert mapping.target == FieldRef("wh", "sales.orders", "id")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a.b.c", "entry 1 'a.b.c' is not 'system.dataset.field -> system.dataset.field'"),
        ("a.b.c -> d.e.f -> g.h.i", "entry 1 'a.b.c -> d.e.f -> g.h.i' is not"),
        ("a.b.c -> d.e.f; a.b -> c.d.e", "entry 2: 'a.b' is not system.dataset.field"),
        ("a..c -> d.e.f", "entry 1: 'a..c' has an empty part between dots"),
        ("!!.b.c -> d.e.f", "entry 1: '!!.b.c': system '!!' has no letters or digits"),
    ],
)
def test_broken_field_list_says_which_entry_and_why(text, reason):
    with pytest.raises(FieldListError) as raised:
        parse_field_list(text)
    assert str(raised.value).startswith(reason)


SEGMENT = st.text(string.ascii_letters + string.digits + "_- ", min_size=1, max_size=8).filter(
    lambda s: s == s.strip() and any(c.isalnum() for c in s)
)
FIELD_REFS = st.builds(
    FieldRef,
    system=SEGMENT,
    dataset=st.lists(SEGMENT, min_size=1, max_size=3).map(".".join),
    field=SEGMENT,
)
MAPPINGS = st.lists(st.builds(FieldMapping, FIELD_REFS, FIELD_REFS), max_size=6)


@given(MAPPINGS, st.sampled_from([";", "\n", "; ", "\r\n", " ;\n"]))
def test_well_formed_field_lists_round_trip(mappings, separator):
    text = separator.join(str(mapping) for mapping in mappings)
    assert parse_field_list(text) == tuple(mappings)


@given(st.text())
def test_garbage_field_list_parses_or_fails_cleanly(text):
    try:
        mappings = parse_field_list(text)
    except FieldListError as error:
        assert str(error) and "\n" not in str(error).replace("\\n", "")
        return
    # Whatever parses is canonical: formatting it again gives the same mappings.
    assert parse_field_list("; ".join(str(m) for m in mappings)) == mappings


@given(st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none()))
def test_garbage_in_the_fields_column_is_a_validation_error_or_nothing(value):
    row = {"id": "I-1", "source_system": "a", "target_system": "b", "fields": value}
    try:
        IntegrationRow.model_validate(row)
    except ValidationError as error:
        assert [detail["loc"] for detail in error.errors()] == [("fields",)]


# -- templates and docs ------------------------------------------------------------------


@pytest.mark.parametrize("template", ["inventory-template", "inventory-template.xlsx"])
def test_template_reads_without_rejections_or_warnings(template):
    result = read_inventory(ROOT / "examples" / template, today=TODAY)
    assert (result.rejections, result.report.warnings, result.report.errors) == ([], [], [])
    assert {s.kind: s.accepted for s in result.report.sheets} == {
        "integrations": 1,
        "systems": 2,
        "issues": 1,
        "field_mappings": 1,
    }


def test_both_templates_describe_the_same_inventory():
    def facts(result: InventoryResult) -> set[tuple[NodeKind, str]]:
        return {(r.KIND, r.key) for r in result.records if isinstance(r, NodeRecord)}

    folder = read_inventory(ROOT / "examples" / "inventory-template", today=TODAY)
    workbook = read_inventory(ROOT / "examples" / "inventory-template.xlsx", today=TODAY)
    assert facts(folder) == facts(workbook)


def test_docs_name_every_column_and_rule():
    doc = (ROOT / "docs" / "inventory.md").read_text(encoding="utf-8")
    names = [column for model in ROW_MODELS.values() for column in model.columns()]
    names += [rule.value for rule in Rule]
    missing = [n for n in names if not re.search(rf"`{re.escape(n)}`", doc)]
    assert missing == []


def test_node_refs_in_findings_point_at_emitted_kinds():
    result = read("findings")
    emitted = {(r.KIND, r.key) for r in result.records if isinstance(r, NodeRecord)}
    targets = {(ref.kind, ref.key) for f in result.findings for ref in f.affects}
    assert targets <= emitted
    assert all(isinstance(ref, NodeRef) for f in result.findings for ref in f.affects)


# -- cross-sheet edge cases --------------------------------------------------------------


def write_inventory(folder: Path, integrations: str, systems: str = "name\nCRM\nWarehouse\n"):
    (folder / "systems.csv").write_text(systems)
    (folder / "integrations.csv").write_text(integrations)


def test_field_pair_carried_by_two_integrations_keeps_the_first_with_a_warning(tmp_path):
    fields = "crm.sales.accounts.email -> warehouse.dim.customer.email"
    write_inventory(
        tmp_path,
        f"id,source_system,target_system,fields\nI-1,CRM,Warehouse,{fields}\n"
        f"I-2,CRM,Warehouse,{fields}\n",
    )
    result = read_inventory(tmp_path, today=TODAY)
    assert flow_into(result, "warehouse:dim.customer#email").via == "int:i-1"
    assert result.report.warnings == [
        "field flow crm:sales.accounts#email -> warehouse:dim.customer#email is listed for"
        " integrations int:i-1 and int:i-2; the graph keeps one FLOWS_TO edge, via int:i-1"
    ]


def test_issues_without_id_repeat_when_where_and_title_do(tmp_path):
    write_inventory(tmp_path, "id,source_system,target_system\nI-1,CRM,Warehouse\n")
    (tmp_path / "issues.csv").write_text("title,where\nSlow,I-1\nslow ,i-1\nSlow,CRM\n")
    result = read_inventory(tmp_path, today=TODAY)
    assert [(r.row, r.column, r.reason) for r in result.rejections] == [
        (3, "title", "duplicate issue: same where and title as row 2")
    ]
    known = [r for r in nodes(result, Issue).values() if r.category == "known_issue"]
    assert len(known) == 2


def test_aliases_file_naming_an_unknown_system_is_applied_with_a_warning(tmp_path):
    write_inventory(tmp_path, "id,source_system,target_system\nI-1,SF,Warehouse\n")
    aliases = tmp_path / "aliases.yaml"
    aliases.write_text("SF: Salesforce\n'--': CRM\n")
    result = read_inventory(tmp_path, aliases=aliases, today=TODAY)
    assert ("salesforce", "int:i-1") in edges(result, EdgeKind.FLOWS_TO)
    assert result.report.warnings == [
        f"{aliases}: entry '--': 'CRM' is not two names; ignored",
        f"{aliases}: 'Salesforce', given as the system of alias 'SF', is not in the systems sheet",
    ]
