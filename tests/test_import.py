"""Importing a spreadsheet tracker (docs/import-format.md) and exporting one in the same format.

Every error path names its sheet, row (as Excel numbers it) and column, and writes nothing;
re-importing a file changes nothing; the demo survives export -> import into an empty database.
"""

from __future__ import annotations

import argparse
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import func
from sqlmodel import select

from panel import tracker_io
from panel.cli import imports as cli_import
from panel.core.access import SYSTEM, Actor
from panel.core.db import get_engine, read_session, transaction
from panel.core.errors import PermissionDenied
from panel.models import (
    Agency,
    AuditEvent,
    Decision,
    Notification,
    Partnership,
    Referral,
    ReferralAgency,
    Review,
    ReviewMilestone,
    ReviewType,
)
from panel.reports.service import timeliness
from panel.reviews.types import DEFAULT_REVIEW_TYPES
from panel.themes.service import seed_taxonomy
from panel.tracker_io import SHEETS, Context, TypeInfo
from panel.tracker_io import service as imports
from tests.conftest import TODAY
from tests.factories import (
    CSC,
    book,
    cli,
    do_import,
    example,
    set_cell,
    setup_installation,
    tracker_counts,
)

# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def parts(db) -> dict[str, int]:
    return setup_installation()


def lcspr_case() -> dict[str, list[dict]]:
    """A WT2018 case whose rapid review led to an LCSPR, with milestone dates to edit."""
    rows = example()
    ref = rows["referrals"][0]["reference"]
    rows["reviews"].append({"review_reference": f"{ref}-R2", "referral_reference": ref,
                            "review_type_key": "lcspr", "started_on": date(2025, 3, 28),
                            "status": "open", "lead_reviewer": "Independent reviewer A"})
    rows["milestones"] += [
        {"review_reference": f"{ref}-R2", "milestone_key": "panel_sign_off", "actual_on": date(2025, 8, 20)},
        {"review_reference": f"{ref}-R2", "milestone_key": "partnership_sign_off", "actual_on": date(2025, 9, 10)},
        {"review_reference": f"{ref}-R2", "milestone_key": "publication", "actual_on": date(2025, 10, 1)},
    ]
    return rows


def raw_book(sheets: dict[str, list[list]]) -> bytes:
    """A workbook exactly as given: header row first (for missing or odd columns)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, lines in sheets.items():
        ws = wb.create_sheet(name)
        for line in lines:
            ws.append(line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def refused(data: bytes, sheet: str, row: int | None, column: str | None, fragment: str,
            actor: Actor = SYSTEM) -> tracker_io.ImportReport:
    """The import refuses the file, names the cell, and writes nothing at all."""
    before = tracker_counts()
    report = do_import(data, actor)
    assert not report.ok and not report.imported
    assert tracker_counts() == before
    hits = [p for p in report.problems if (p.sheet, p.row, p.column) == (sheet, row, column)]
    assert hits, f"no problem at {sheet} row {row}, {column}: {report.lines()}"
    assert any(fragment in p.message for p in hits), report.lines()
    assert any(line.startswith(f"{sheet} row {row}, {column}: ") for line in report.lines()) or row is None
    return report


# --- template -------------------------------------------------------------------------------


def test_default_template_has_every_sheet_header_and_one_example_row():
    wb = load_workbook(io.BytesIO(tracker_io.build_template()))
    assert wb.sheetnames == [*SHEETS, "guide"]
    for name, columns in SHEETS.items():
        ws = wb[name]
        assert [c.value for c in ws[1]] == [c.name for c in columns]
        assert ws.max_row == 2
    guide = "\n".join(str(c.value) for row in wb["guide"].iter_rows() for c in row if c.value)
    for allowed in ("serious_harm", "national_panel", "rapid_review", "agency_summaries_requested",
                    "planned; delayed; withheld"):
        assert allowed in guide


def test_template_parses_and_its_examples_import(parts):
    data = imports.template(SYSTEM)
    parsed = tracker_io.read_workbook(data, "template.xlsx")
    assert parsed.problems == [] and parsed.warnings == []  # the guide sheet is skipped quietly
    assert {k: len(s.rows) for k, s in parsed.sheets.items()} == dict.fromkeys(SHEETS, 1)
    checked = do_import(data, dry_run=True)
    assert checked.ok and checked.summary() == "All 8 rows are valid: 8 new, 0 unchanged."
    assert tracker_counts()["Referral"] == 0  # a check writes nothing

    report = do_import(data, name="template.xlsx")
    assert report.imported and report.new == 8 and report.decisions == 1
    with read_session() as s:
        r = s.exec(select(Referral)).one()
        assert (r.reference, r.status, r.harm, r.child_initials) == ("EM-2025-900", "decided", "serious_harm", "XY")
        d = s.exec(select(Decision)).one()
        rtype = s.get(ReviewType, d.review_type_id)
        assert (d.status, d.rationale, rtype.key, d.decided_on) == (
            "signed", "Imported from a spreadsheet tracker", "rapid_review", date(2025, 3, 7))
        assert (d.engine_regime, d.engine_route, d.departs) == ("WT2018", "rapid_review", False)
        rv = s.exec(select(Review)).one()
        assert (rv.reference, rv.decision_id, rv.notified_on) == ("EM-2025-900-R1", d.id, date(2025, 3, 6))
        ms = s.exec(select(ReviewMilestone).order_by(ReviewMilestone.position)).all()
        spec = next(t for t in DEFAULT_REVIEW_TYPES if t.key == "rapid_review")
        assert [m.key for m in ms] == [m.key for m in spec.milestones]  # the type's full list
        assert ms[0].actual_on == date(2025, 3, 7) and all(m.actual_on is None for m in ms[1:])
        assert ms[-1].planned_on == date(2025, 3, 27)  # day 15 from the notification
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == "tracker")).one()
        assert event.action == "import" and "template.xlsx" in event.detail and "1 referrals" in event.detail


def test_template_example_uses_an_importable_partnership(demo_db):
    nb = Actor(user_id=None, username="nb.admin", name="NB admin", roles={_pid("NB"): frozenset({"admin"})})
    parsed = tracker_io.read_workbook(imports.template(nb))
    assert parsed.sheets["referrals"].rows[0][1]["partnership_code"] == "NB"


# --- every error path -------------------------------------------------------------------------


@pytest.mark.parametrize(("sheet", "index", "values", "at", "fragment"), [
    ("referrals", 0, {"received_on": "2025-02-30"}, ("referrals", 2, "received_on"), "not a real date"),
    ("referrals", 0, {"aware_on": "last Tuesday"}, ("referrals", 2, "aware_on"), "is not a date"),
    ("referrals", 0, {"incident_date": date(2027, 1, 1)}, ("referrals", 2, "incident_date"), "future"),
    ("referrals", 0, {"aware_on": date(2025, 3, 5)}, ("referrals", 2, "aware_on"), "after the referral arrived"),
    ("referrals", 0, {"harm": "bruised"}, ("referrals", 2, "harm"), "not one of: died, serious_harm, other"),
    ("referrals", 0, {"looked_after": "perhaps"}, ("referrals", 2, "looked_after"), "TRUE or FALSE"),
    ("referrals", 0, {"child_age_years": 3.5}, ("referrals", 2, "child_age_years"), "whole number"),
    ("referrals", 0, {"child_initials": "Jane Smith"}, ("referrals", 2, "child_initials"), "initials only"),
    ("referrals", 0, {"child_initials": "=SUM(A1:A3)"}, ("referrals", 2, "child_initials"), "initials only"),
    ("referrals", 0, {"partnership_code": "ZZ"}, ("referrals", 2, "partnership_code"), "No partnership with code"),
    ("referrals", 0, {"referrer_agency": "Fire service"}, ("referrals", 2, "referrer_agency"), "No agency named"),
    ("referrals", 0, {"agencies_involved": (CSC, "Fire service")}, ("referrals", 2, "agencies_involved"), "No agency"),
    ("referrals", 0, {"reference": "NB 2025/1"}, ("referrals", 2, "reference"), "not a referral reference"),
    ("referrals", 0, {"custody_death": True}, ("referrals", 2, "custody_death"), "only possible when harm is 'died'"),
    ("referrals", 0, {"outcome": "scr"}, ("referrals", 2, "outcome"), "WT2015 outcome; WT2018 applies"),
    ("referrals", 0, {"status": "accepted"}, ("referrals", 2, "status"), "set the status to decided"),
    ("referrals", 0, {"incident_summary": None}, ("referrals", 2, "incident_summary"), "Required"),
    ("notifications", 0, {"referral_reference": "NB-2025-901"}, ("notifications", 2, "referral_reference"),
     "No referral NB-2025-901"),
    ("notifications", 0, {"body": "the press"}, ("notifications", 2, "body"), "not one of"),
    ("notifications", 0, {"sent_on": date(2025, 2, 28)}, ("notifications", 2, "sent_on"),
     "The notification cannot be before the day the authority became aware (Mon 3 Mar 2025)"),
    ("reviews", 0, {"review_type_key": "scr"}, ("reviews", 2, "review_type_key"), "WT2015 review; WT2018 applies"),
    ("reviews", 0, {"review_type_key": "no_further_review"}, ("reviews", 2, "review_type_key"), "without a review"),
    ("reviews", 0, {"review_type_key": "kitchen_sink"}, ("reviews", 2, "review_type_key"), "not a review type"),
    ("reviews", 0, {"review_reference": "NB-2025-900-X"}, ("reviews", 2, "review_reference"), "not a review reference"),
    ("reviews", 0, {"started_on": date(2025, 3, 1)}, ("reviews", 2, "started_on"), "cannot be before"),
    ("reviews", 0, {"lcspr_decision": "maybe"}, ("reviews", 2, "lcspr_decision"), "not one of"),
    ("reviews", 0, {"national_panel_response": "disagrees"}, ("reviews", 2, "national_panel_response"),
     "sent_to_national_panel_on"),
    ("milestones", 0, {"milestone_key": "publication"}, ("milestones", 2, "milestone_key"),
     "not a milestone of Rapid review"),
    ("milestones", 0, {"review_reference": "NB-2025-900-R7"}, ("milestones", 2, "review_reference"), "No review"),
    ("milestones", 0, {"actual_on": date(2025, 3, 5)}, ("milestones", 2, "actual_on"),
     "cannot be before the notification"),
    ("milestones", 0, {"actual_on": date(2026, 12, 1)}, ("milestones", 2, "actual_on"), "future"),
])
def test_a_bad_cell_is_named_and_nothing_is_written(parts, sheet, index, values, at, fragment):
    refused(book(set_cell(example(), sheet, index, **values)), *at, fragment)


def test_missing_required_column_is_named_on_the_header_row(parts):
    rows = example()["referrals"]
    header = [c.name for c in tracker_io.REFERRAL_COLUMNS if c.name != "harm"]
    data = raw_book({"referrals": [header, [tracker_io.cell_value(rows[0].get(h)) for h in header]]})
    report = refused(data, "referrals", 1, "harm", "Missing column")
    assert "Rows were not checked: fix the columns first." in [w.message for w in report.warnings]


def test_published_before_partnership_sign_off_is_refused(parts):
    rows = lcspr_case()
    assert do_import(book(rows), dry_run=True).ok
    rows["milestones"][-1]["actual_on"] = date(2025, 9, 1)  # publication, row 5
    refused(book(rows), "milestones", 5, "actual_on",
            "Publication cannot be before partnership sign-off (Wed 10 Sep 2025).")


def test_withheld_review_has_no_publication_date(parts):
    rows = lcspr_case()
    rows["reviews"][1].update(publication_status="withheld", publication_reason="To protect the child's sibling.")
    refused(book(rows), "milestones", 5, "actual_on", "withheld")


def test_duplicate_reference_in_the_file(parts):
    rows = example()
    rows["referrals"].append(dict(rows["referrals"][0], child_initials="AB"))
    refused(book(rows), "referrals", 3, "reference", "Duplicate reference: NB-2025-900 is also on row 2.")
    rows = example()
    rows["milestones"].append(dict(rows["milestones"][0]))
    refused(book(rows), "milestones", 3, "milestone_key", "Duplicate")


def test_reference_existing_with_different_values_names_the_columns(parts):
    assert do_import(book(example())).imported
    rows = example()
    rows["referrals"][0].update(harm="died", incident_summary="Fictional example, later rewritten.")
    refused(book(rows), "referrals", 2, "reference", "different values in: incident_summary, harm")
    rows = example()
    rows["milestones"][0]["actual_on"] = date(2025, 3, 10)
    refused(book(rows), "milestones", 2, "review_reference", "different values in: actual_on")


def test_other_partnership_is_refused_for_an_administrator_of_one(parts):
    nb_admin = Actor(user_id=None, username="nb.admin", name="NB admin", roles={parts["NB"]: frozenset({"admin"})})
    rows = example()
    for sheet in ("referrals",):
        rows[sheet][0].update(partnership_code="EM", reference="EM-2025-900")
    for n in rows["notifications"] + rows["reviews"]:
        n["referral_reference"] = "EM-2025-900"
    rows["reviews"][0]["review_reference"] = rows["milestones"][0]["review_reference"] = "EM-2025-900-R1"
    refused(book(rows), "referrals", 2, "partnership_code", "You cannot import into partnership EM", actor=nb_admin)
    # Once it is there (imported by someone who may), it is not even visible to them.
    assert do_import(book(rows)).imported
    only_notification = {"notifications": [dict(rows["notifications"][0], body="safeguarding_partners")]}
    refused(book(only_notification), "notifications", 2, "referral_reference", "No referral EM-2025-900",
            actor=nb_admin)


def test_only_administrators_import(parts):
    chair = Actor(user_id=None, username="c", name="C", roles={parts["NB"]: frozenset({"chair"})})
    with pytest.raises(PermissionDenied):
        do_import(book(example()), chair)
    with pytest.raises(PermissionDenied):
        imports.template(chair)


def test_oversized_file_is_refused_unread(parts):
    before = tracker_counts()
    report = do_import(b"PK" + b"\0" * (tracker_io.MAX_BYTES + 1))
    assert not report.ok and tracker_counts() == before
    assert report.problems[0].sheet == "" and "limit is 5 MB" in report.problems[0].message
    assert report.lines()[0].startswith("file: The file is 5.0 MB")


def test_too_many_rows_is_refused(parts):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("milestones")
    ws.append([c.name for c in tracker_io.MILESTONE_COLUMNS])
    for i in range(tracker_io.MAX_ROWS + 1):
        ws.append([f"NB-2025-{i:04d}-R1", "closure", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    report = do_import(buf.getvalue())
    assert not report.ok and "more than 20,000 rows" in report.lines()[0]
    assert tracker_counts()["Review"] == 0


def test_not_a_workbook(parts):
    report = do_import(b"reference,harm\nNB-2025-001,died\n", name="tracker.csv")
    assert not report.ok and "not an Excel .xlsx workbook" in report.problems[0].message


def test_unknown_columns_and_sheets_are_warnings_not_errors(parts):
    rows = example()
    header = [c.name for c in tracker_io.REFERRAL_COLUMNS] + ["Notes"]
    line = [tracker_io.cell_value(rows["referrals"][0].get(c.name)) for c in tracker_io.REFERRAL_COLUMNS] + ["call back"]
    data = raw_book({"referrals": [header, line], "Summary": [["total", 1]]})
    report = do_import(data, dry_run=True)
    assert report.ok, report.lines()
    warnings = [w.line() for w in report.warnings]
    assert "referrals row 1, Notes: Not a column of this sheet: ignored." in warnings
    assert any(w.startswith("Summary: Not a sheet") for w in warnings)


# --- formulas, UK dates and labels -----------------------------------------------------------


def test_formula_looking_text_is_kept_as_text_and_survives_export(parts):
    rows = example()
    rows["referrals"][0]["incident_summary"] = "=SUM(A1:A9) was typed by the referrer as a total."
    rows["notifications"][0]["sent_reference"] = "=HYPERLINK(\"http://example.org\")"
    assert do_import(book(rows)).imported
    with read_session() as s:
        assert s.exec(select(Referral.incident_summary)).one().startswith("=SUM(A1:A9)")
    exported = imports.export_tracker(SYSTEM)
    ws = load_workbook(io.BytesIO(exported))["referrals"]
    col = [c.value for c in ws[1]].index("incident_summary")
    assert ws.cell(2, col + 1).data_type == "s" and ws.cell(2, col + 1).value.startswith("'=SUM")
    again = do_import(exported, dry_run=True)
    assert again.ok and again.new == 0 and again.unchanged == again.rows == 8, again.lines()


def test_uk_dates_labels_and_yes_no_are_understood(parts):
    rows = example()
    rows["referrals"][0].update(received_on="04/03/2025", harm="Child seriously harmed",
                                known_to_csc="yes", child_sex="FEMALE")
    report = do_import(book(rows))
    assert report.imported, report.lines()
    with read_session() as s:
        r = s.exec(select(Referral)).one()
    assert (r.received_on, r.harm, r.known_to_csc, r.child_sex) == (date(2025, 3, 4), "serious_harm", True, "female")


# --- re-import, additions to existing records --------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(parts):
    data = book(lcspr_case())
    first = do_import(data)
    assert first.imported and first.new == 8 and first.decisions == 1
    after_first = tracker_counts()
    second = do_import(data)
    assert second.ok and not second.imported and second.new == 0 and second.unchanged == 8
    assert second.summary() == "All 8 rows are valid: 0 new, 8 unchanged."
    assert tracker_counts() == after_first  # not even an audit row
    with read_session() as s:
        assert {rv.decision_id for rv in s.exec(select(Review))} == {s.exec(select(Decision.id)).one()}


def test_new_rows_for_existing_records_are_added_to_them(parts):
    assert do_import(book(example())).imported
    rows = lcspr_case()
    rows["notifications"].append({"referral_reference": "NB-2025-900", "body": "safeguarding_partners",
                                  "sent_on": date(2025, 3, 7)})
    report = do_import(book(rows))
    assert report.imported and report.decisions == 0, report.lines()
    assert report.counts["reviews"] == {"new": 1, "unchanged": 1}
    with read_session() as s:
        n = s.exec(select(Notification).where(Notification.body == "safeguarding_partners")).one()
        assert n.due_on == date(2025, 3, 10)  # 5 working days after aware_on
        reviews = s.exec(select(Review).order_by(Review.reference)).all()
        assert len({rv.decision_id for rv in reviews}) == 1  # the LCSPR joins the signed decision
        lcspr = s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == reviews[1].id,
                                                     ReviewMilestone.key == "publication")).one()
        assert lcspr.actual_on == date(2025, 10, 1)


# --- the command line -------------------------------------------------------------------------


def test_cli_dry_run_import_and_errors(parts, tmp_path, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(book(example()))
    code, out, _ = cli(capsys, "import", str(good), "--dry-run")
    assert code == 0 and "Dry run: All 4 rows are valid: 4 new, 0 unchanged." in out
    assert tracker_counts()["Referral"] == 0
    code, out, _ = cli(capsys, "import", str(good))
    assert code == 0 and "Imported good.xlsx: 4 new rows" in out and tracker_counts()["Referral"] == 1
    code, out, _ = cli(capsys, "import", str(good))
    assert code == 0 and "4 unchanged" in out
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(book(set_cell(example(), "reviews", 0, review_type_key="scr", started_on="1 March")))
    code, _, err = cli(capsys, "import", str(bad))
    assert code == 2
    assert "reviews row 2, review_type_key: Serious Case Review is a WT2015 review" in err
    assert "reviews row 2, started_on: '1 March' is not a date" in err
    code, _, err = cli(capsys, "import", str(tmp_path / "missing.xlsx"))
    assert code == 2 and "no such file" in err
    out_file = tmp_path / "export.xlsx"
    code, out, _ = cli(capsys, "export-tracker", str(out_file))
    assert code == 0 and out_file.exists()
    assert load_workbook(out_file)["referrals"].max_row == 2


# --- export and the demo round trip -------------------------------------------------------------


def _pid(code: str) -> int:
    with read_session() as s:
        return s.exec(select(Partnership.id).where(Partnership.code == code)).one()


def snapshot() -> dict:
    """Every imported table, keyed by reference so ids do not matter."""
    with read_session() as s:
        code = dict(s.exec(select(Partnership.id, Partnership.code)).all())
        agency = dict(s.exec(select(Agency.id, Agency.name)).all())
        rtype = {t.id: t.key for t in s.exec(select(ReviewType))}
        referrals = {r.id: r for r in s.exec(select(Referral))}
        ref = {i: r.reference for i, r in referrals.items()}
        involved: dict[int, set] = {}
        for ra in s.exec(select(ReferralAgency)):
            involved.setdefault(ra.referral_id, set()).add(agency[ra.agency_id])
        skip = {"id", "partnership_id", "referrer_agency_id", "submitted_by_id", "version", "created_at", "updated_at"}
        out = {
            "referrals": {r.reference: {**{k: v for k, v in r.model_dump().items() if k not in skip},
                                        "partnership": code[r.partnership_id], "agency": agency[r.referrer_agency_id],
                                        "involved": involved.get(r.id, set())} for r in referrals.values()},
            "notifications": {(ref[n.referral_id], n.body): (n.due_on, n.sent_on, n.sent_reference)
                              for n in s.exec(select(Notification))},
            "decisions": {ref[d.referral_id]: (rtype[d.review_type_id], d.decided_on, d.engine_regime,
                                               d.engine_route, d.departs)
                          for d in s.exec(select(Decision).where(Decision.status == "signed"))},
        }
        reviews = {rv.id: rv for rv in s.exec(select(Review))}
        rskip = {"id", "partnership_id", "referral_id", "decision_id", "review_type_id", "version",
                 "created_at", "lcspr_considerations", "rapid_review_id"}
        out["reviews"] = {rv.reference: {**{k: v for k, v in rv.model_dump().items() if k not in rskip},
                                         "referral": ref[rv.referral_id], "type": rtype[rv.review_type_id],
                                         "rapid_review": reviews[rv.rapid_review_id].reference
                                         if rv.rapid_review_id else None,
                                         "decided": rtype[s.get(Decision, rv.decision_id).review_type_id]}
                          for rv in reviews.values()}
        out["milestones"] = {(reviews[m.review_id].reference, m.key): (m.name, m.position, m.statutory,
                                                                       m.planned_on, m.actual_on)
                             for m in s.exec(select(ReviewMilestone))}
    return out


def test_demo_round_trip_into_an_empty_database(demo_db, tmp_path, another_db):
    data = imports.export_tracker(SYSTEM)
    original = snapshot()
    assert len(original["reviews"]) > 50 and len(original["milestones"]) > 300
    with read_session() as s:
        exports = s.exec(select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.entity == "tracker")).all()
    assert len(exports) == 1 and "referrals" in exports[0].detail
    # The demo's own file is valid against the demo: everything unchanged.
    same = do_import(data, dry_run=True)
    assert same.ok and same.new == 0 and same.unchanged == same.rows, same.lines()[:5]
    figures = timeliness(SYSTEM, TODAY)
    get_engine().dispose()

    another_db(tmp_path / "empty")
    setup_installation()
    with transaction() as s:  # the learning's themes are set up first, as the agencies are
        seed_taxonomy(s)
    report = do_import(data, name="demo.xlsx")
    assert report.imported, report.lines()[:10]
    assert report.new == report.rows
    copied = snapshot()
    for table in ("referrals", "notifications", "reviews", "milestones"):
        assert copied[table] == original[table], table
    # Every review keeps a signed decision; decided referrals keep their outcome.
    assert copied["decisions"] == original["decisions"]
    # LCSPRs keep the rapid review that started them, and the demo has some.
    assert any(rv["rapid_review"] for rv in copied["reviews"].values())
    assert timeliness(SYSTEM, TODAY) == figures
    again = do_import(data)
    assert again.ok and again.new == 0 and not again.imported
    get_engine().dispose()


def test_export_is_scoped_and_logged(demo_db):
    nb = _pid("NB")
    data = imports.export_tracker(SYSTEM, [nb])
    refs = [r[0] for r in load_workbook(io.BytesIO(data))["referrals"].iter_rows(min_row=2, values_only=True)]
    assert refs and all(r.startswith("NB-") for r in refs)
    referrer = Actor(user_id=None, username="r", name="R", roles={nb: frozenset({"referrer"})})
    with pytest.raises(PermissionDenied):
        imports.export_tracker(referrer)
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(AuditEvent)
                      .where(AuditEvent.action == "export", AuditEvent.entity == "tracker")).one() == 1


def _sheet_refs(data: bytes, sheet: str) -> list[str]:
    return [r[0] for r in load_workbook(io.BytesIO(data))[sheet].iter_rows(min_row=2, values_only=True) if r[0]]


def test_exporting_cases_needs_case_read_in_each_partnership(demo_db):
    """An administrator who may import but not read cases is refused the export (the tracker holds
    every child's initials, date of birth and summary); with a panel role in one partnership they
    get that partnership's cases only."""
    nb, em = _pid("NB"), _pid("EM")
    admin = Actor(user_id=None, username="a", name="A", roles={nb: frozenset({"admin"}), em: frozenset({"admin"})})
    assert imports.can_import(admin) and imports.export_scope(admin) == []
    with pytest.raises(PermissionDenied, match="panel role"):
        imports.export_tracker(admin)
    with pytest.raises(PermissionDenied):
        imports.export_tracker(admin, [nb])
    both = Actor(user_id=None, username="b", name="B",
                 roles={nb: frozenset({"admin", "chair"}), em: frozenset({"admin"})})
    assert imports.export_scope(both) == [nb] and imports.export_scope(both, [em]) == []
    data = imports.export_tracker(both)
    refs = _sheet_refs(data, "referrals") + _sheet_refs(data, "reviews")
    assert refs and all(r.startswith("NB-") for r in refs)
    assert all(r.startswith("NB-") for r in _sheet_refs(data, "notifications") + _sheet_refs(data, "milestones"))


def test_the_command_line_exports_every_partnership_for_the_operator(demo_db, tmp_path, capsys):
    out = tmp_path / "tracker.xlsx"
    assert cli_import.export_file(argparse.Namespace(file=str(out), partnership=None)) == 0
    refs = _sheet_refs(out.read_bytes(), "referrals")
    assert {r.split("-")[0] for r in refs} >= {"NB", "EM"}
    assert cli_import.export_file(argparse.Namespace(file=str(out), partnership=["EM"])) == 0
    assert {r.split("-")[0] for r in _sheet_refs(out.read_bytes(), "referrals")} == {"EM"}


# --- junk never crashes the validator and never writes ----------------------------------------

SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
CELLS = st.one_of(
    st.none(), SAFE_TEXT, st.integers(-10**6, 10**6), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(date(1900, 1, 1), date(2100, 1, 1)),
    st.sampled_from(["NB", "EM", "NB-2025-900", "NB-2025-900-R1", "decided", "died", "rapid_review",
                     "closure", "=SUM(A1:A3)", "'=1+1", "2025-02-30", "31/12/2024", "TRUE", CSC,
                     "0001-01-01", "9999-12-31", "29/02/2024"]),
)


def junk_rows(sheet: str):
    width = len(SHEETS[sheet])
    return st.lists(st.lists(CELLS, min_size=width, max_size=width), max_size=3)


JUNK = st.fixed_dictionaries({sheet: junk_rows(sheet) for sheet in SHEETS})


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(junk=JUNK)
def test_junk_cells_never_crash_and_never_write(parts, junk):
    before = tracker_counts()
    data = raw_book({sheet: [[c.name for c in SHEETS[sheet]], *rows] for sheet, rows in junk.items()})
    report = do_import(data)
    assert not report.imported
    assert tracker_counts() == before
    for p in report.problems:
        assert p.message and (p.sheet in SHEETS or p.sheet == "")


def _pure_context() -> Context:
    types = {1: {t.key: TypeInfo(i, t) for i, t in enumerate(DEFAULT_REVIEW_TYPES, start=1)}}
    return Context(today=TODAY, partnerships={"NB": 1}, importable=None,
                   agencies={CSC.casefold(): 1}, review_types=types)


@settings(max_examples=200)
@given(junk=JUNK, extra=st.lists(st.one_of(st.times(), st.binary(max_size=4), st.integers()), max_size=3))
def test_validator_alone_survives_any_cell_values(junk, extra):
    parsed = tracker_io.Parsed("junk.xlsx")
    for sheet, rows in junk.items():
        names = [c.name for c in SHEETS[sheet]]
        values = [dict(zip(names, row, strict=True)) for row in rows]
        if values and extra:
            values[0][names[0]] = extra[0]
        parsed.sheets[sheet] = tracker_io.Sheet(sheet, names, list(enumerate(values, start=2)))
    report, plan = tracker_io.validate(parsed, _pure_context())
    assert (plan is None) == bool(report.problems)
