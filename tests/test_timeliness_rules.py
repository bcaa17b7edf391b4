"""The statutory rules the timeliness figures follow (docs/domain.md §6.4, docs/timeliness-report.md):
percentages rounded half up, on pure rows with no database."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from panel.cli import main
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.models import Notification, ReviewMilestone
from panel.reports import service as reports
from panel.reports import timeliness
from tests.factories import book, do_import, example, set_cell, setup_installation

AS_OF = date(2026, 1, 30)


def expected(n: int, d: int) -> str:
    """What a manager gets by hand, or from Excel's =ROUND(n/d*100, 1)."""
    return str((Decimal(100 * n) / Decimal(d)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def notifications(on_time: int, late: int) -> list[dict]:
    """`on_time` notifications sent on their due date and `late` ones sent the day after."""
    due = date(2025, 6, 2)
    return [{"referral": f"R{i}", "partnership": "NB", "body": "national_panel",
             "aware_on": due - timedelta(days=7), "due_on": due,
             "sent_on": due if i < on_time else due + timedelta(days=1)}
            for i in range(on_time + late)]


# -- percentages are rounded half up -------------------------------------------------------------

def test_halves_round_up_as_a_manager_would():
    # 1 of 16 is 6.25% and 1 of 8 is 12.5%: round() would give 6.2 and (to whole) 12.
    assert timeliness.percent(1, 16) == 6.3
    assert timeliness.percent(3, 16) == 18.8  # 18.75
    assert timeliness.percent(5, 16) == 31.3  # 31.25
    assert timeliness.percent(0, 3) == 0.0
    assert timeliness.percent(2, 3) == 66.7
    assert timeliness.percent(0, 0) is None


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=1, max_value=2000).flatmap(
    lambda d: st.tuples(st.integers(min_value=0, max_value=d), st.just(d))))
def test_every_shown_percentage_is_decimal_half_up(nd):
    n, d = nd
    want = expected(n, d)
    assert f"{timeliness.percent(n, d):.1f}" == want  # the page, the command's table, Excel
    assert json.dumps(timeliness.percent(n, d)) == want  # the JSON


def test_the_report_rounds_half_up():
    report = timeliness.build_report(AS_OF, notifications=notifications(1, 15))
    fig = report["notifications"]
    assert (fig["on_time"], fig["total"], fig["percent_on_time"]) == (1, 16, 6.3)
    assert fig["by_year"][0]["percent_on_time"] == 6.3
    assert fig["by_partnership"][0]["percent_on_time"] == 6.3
    assert timeliness.trend(report)[0]["percent_on_time"] == 6.3


# -- statutory figures use the statutory clock ---------------------------------------------------

def test_a_recorded_due_date_is_shown_but_on_time_is_judged_by_the_statute():
    # Aware Mon 3 Mar 2025: statutory due Mon 10 Mar. A tracker recorded Fri 14 Mar and the
    # notification went on Wed 12 Mar: on time by the tracker, 2 working days late by the statute.
    row = {"referral": "NB-2025-900", "partnership": "NB", "body": "national_panel",
           "aware_on": date(2025, 3, 3), "due_on": date(2025, 3, 14), "sent_on": date(2025, 3, 12)}
    fig = timeliness.build_report(AS_OF, notifications=[row])["notifications"]
    assert (fig["on_time"], fig["late"]) == (0, 1)
    item = fig["late_items"][0]
    assert (item["due_on"], item["recorded_due_on"], item["working_days_late"]) == (
        "2025-03-10", "2025-03-14", 2)
    # An earlier recorded date does not make a notification sent within the statute late.
    early = {**row, "due_on": date(2025, 3, 5), "sent_on": date(2025, 3, 10)}
    fig = timeliness.build_report(AS_OF, notifications=[early])["notifications"]
    assert (fig["on_time"], fig["late"]) == (1, 0)
    # The statutory date recorded: nothing to show beside it.
    same = {**row, "due_on": date(2025, 3, 10)}
    item = timeliness.build_report(AS_OF, notifications=[same])["notifications"]["late_items"][0]
    assert item["recorded_due_on"] is None


def test_an_imported_due_date_off_the_statute_is_kept_flagged_and_judged_by_the_statute(db):
    setup_installation()
    rows = set_cell(example(), "notifications", 0, due_on=date(2025, 3, 14),
                    sent_on=date(2025, 3, 12))
    report = do_import(book(rows))
    assert report.imported, report.lines()
    assert [w.line() for w in report.warnings] == [
        "notifications row 2, due_on: NB-2025-900 national_panel: the due date 14/03/2025 is not "
        "the statutory one, 10/03/2025 (5 working days after the authority became aware on "
        "03/03/2025). It is kept and shown, but the timeliness figures judge on time against the "
        "statutory date."]
    with read_session() as s:
        kept = s.exec(select(Notification).where(Notification.body == "national_panel")).one()
        assert kept.due_on == date(2025, 3, 14)
    fig = reports.timeliness(SYSTEM, AS_OF)["notifications"]
    late = [i for i in fig["late_items"] if i["body"] == "national_panel"]
    assert [(i["due_on"], i["recorded_due_on"], i["working_days_late"]) for i in late] == [
        ("2025-03-10", "2025-03-14", 2)]


def test_the_statutory_due_date_imports_without_a_warning(db):
    setup_installation()
    report = do_import(book(example()))  # the example's due date is the statutory 10 March
    assert report.imported and report.warnings == []



def test_the_excel_late_list_shows_the_recorded_due_date_beside_the_statutory_one(db):
    setup_installation()
    rows = set_cell(example(), "notifications", 0, due_on=date(2025, 3, 14),
                    sent_on=date(2025, 3, 12))
    assert do_import(book(rows)).imported
    wb = openpyxl.load_workbook(io.BytesIO(reports.timeliness_xlsx(SYSTEM, AS_OF)))
    sheet = list(wb["Late notifications"].values)
    row = dict(zip(sheet[0], [r for r in sheet if r[2] == "national_panel"][0], strict=True))
    assert (row["due_on"].date(), row["recorded_due_on"].date()) == (date(2025, 3, 10),
                                                                     date(2025, 3, 14))


# -- withheld or delayed publication -------------------------------------------------------------

def lcspr(review: str, **extra) -> dict:
    # Decided Mon 2 Jun 2025: due to be published by Tue 2 Dec 2025.
    return {"review": review, "referral": review[:-3], "partnership": "NB", "review_type": "lcspr",
            "decided_on": date(2025, 6, 2), "published_on": None, **extra}


def test_a_publication_held_back_with_a_reason_is_its_own_line_not_late():
    held = lcspr("NB-2025-001-R2", publication_status="withheld",
                 publication_reason="  In the interest of the child's siblings.  ",
                 expected_on=date(2026, 6, 1))
    delayed = lcspr("NB-2025-002-R2", publication_status="delayed",
                    publication_reason="Criminal trial listed for spring.", expected_on=None,
                    published_on=date(2026, 1, 20))
    no_reason = lcspr("NB-2025-003-R2", publication_status="delayed", publication_reason=" ")
    late = lcspr("NB-2025-004-R2")
    on_time = lcspr("NB-2025-005-R2", publication_status="delayed",
                    publication_reason="Inquest first.", published_on=date(2025, 11, 3))
    fig = timeliness.build_report(AS_OF, lcsprs=[held, delayed, no_reason, late, on_time])["lcsprs"]
    assert (fig["total"], fig["on_time"], fig["late"], fig["percent_on_time"], fig["withheld"]) \
        == (3, 1, 2, 33.3, 2)
    assert [i["review"] for i in fig["late_items"]] == ["NB-2025-003-R2", "NB-2025-004-R2"]
    assert fig["withheld_items"] == [
        {"review": "NB-2025-001-R2", "referral": "NB-2025-001", "partnership": "NB",
         "review_type": "lcspr", "decided_on": "2025-06-02", "due_on": "2025-12-02",
         "published_on": None, "published": False, "publication_status": "withheld",
         "reason": "In the interest of the child's siblings.", "expected_on": "2026-06-01"},
        {"review": "NB-2025-002-R2", "referral": "NB-2025-002", "partnership": "NB",
         "review_type": "lcspr", "decided_on": "2025-06-02", "due_on": "2025-12-02",
         "published_on": "2026-01-20", "published": True, "publication_status": "delayed",
         "reason": "Criminal trial listed for spring.", "expected_on": None}]
    assert sum(g["total"] for g in fig["by_year"]) == 3  # the held ones are in no group's count


def test_an_imported_delayed_lcspr_reaches_the_report_the_summary_and_excel(db, capsys):
    setup_installation()
    rows = example()
    rows["reviews"].append({"review_reference": "NB-2025-900-R2", "referral_reference": "NB-2025-900",
                            "review_type_key": "lcspr", "started_on": date(2025, 3, 28),
                            "status": "open", "publication_status": "delayed",
                            "publication_reason": "Criminal proceedings against a parent."})
    assert do_import(book(rows)).imported
    report = reports.timeliness(SYSTEM, AS_OF)
    fig = report["lcsprs"]
    assert (fig["late"], fig["withheld"]) == (0, 1)
    with read_session() as s:
        planned = s.exec(select(ReviewMilestone.planned_on).where(
            ReviewMilestone.key == "publication")).one()
    item = fig["withheld_items"][0]
    assert (item["review"], item["reason"], item["expected_on"]) == (
        "NB-2025-900-R2", "Criminal proceedings against a parent.", planned.isoformat())
    summary = {r["figure"]: r for r in reports.summary_rows(report)}
    assert summary[reports.WITHHELD_LINE]["total"] == 1
    wb = openpyxl.load_workbook(io.BytesIO(reports.timeliness_xlsx(SYSTEM, AS_OF)))
    sheet = list(wb["Withheld LCSPRs"].values)
    assert [r[0] for r in sheet[1:]] == ["NB-2025-900-R2"]
    assert main(["report", "timeliness", "--as-of", AS_OF.isoformat()]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "LCSPRs published" in x)
    assert line.endswith("late 0, not yet due 0, withheld or delayed 1")


# -- the headline's period -----------------------------------------------------------------------

def sent_late(due: date) -> dict:
    return {"referral": f"R-{due}", "partnership": "NB", "body": "national_panel",
            "aware_on": due - timedelta(days=7), "due_on": due, "sent_on": due + timedelta(days=1)}


def sent_on_time(due: date) -> dict:
    return {**sent_late(due), "referral": f"T-{due}", "sent_on": due}


# Due dates around the 12 months to Fri 30 Jan 2026 (from Fri 31 Jan 2025).
ROWS = [sent_late(date(2024, 5, 1)), sent_on_time(date(2025, 1, 30)),
        sent_late(date(2025, 1, 31)), sent_on_time(date(2025, 6, 2)),
        sent_on_time(date(2026, 1, 30))]


def test_the_headline_is_the_12_months_to_the_as_of_date_and_says_so():
    report = timeliness.build_report(AS_OF, notifications=ROWS)
    assert report["period"] == {"key": "12m", "label": "12 months to 30 January 2026",
                                "from": "2025-01-31", "to": "2026-01-30"}
    fig = report["notifications"]
    assert (fig["on_time"], fig["late"], fig["total"], fig["percent_on_time"]) == (2, 1, 3, 66.7)
    assert [i["due_on"] for i in fig["late_items"]] == ["2025-01-31"]
    # The trend has every year, the headline's or not.
    assert [(g["key"], g["on_time"], g["late"]) for g in fig["by_year"]] == [
        (2024, 0, 1), (2025, 2, 1), (2026, 1, 0)]


def test_a_year_or_all_time_can_be_asked_for():
    year = timeliness.build_report(AS_OF, notifications=ROWS, period="2025")
    assert year["period"] == {"key": "2025", "label": "due in 2025", "from": "2025-01-01",
                              "to": "2025-12-31"}
    assert (year["notifications"]["on_time"], year["notifications"]["late"]) == (2, 1)
    every = timeliness.build_report(AS_OF, notifications=ROWS, period="all")
    assert every["period"]["from"] is None and every["period"]["label"] == "all time to 30 January 2026"
    assert (every["notifications"]["on_time"], every["notifications"]["late"]) == (3, 2)
    with pytest.raises(ValueError, match="period"):
        timeliness.build_report(AS_OF, period="last year")


def test_an_older_year_alone_is_still_a_report_with_a_trend():
    report = timeliness.build_report(AS_OF, notifications=[sent_late(date(2023, 3, 1))])
    assert report["notifications"]["total"] == 0 and not timeliness.is_empty(report)
    assert timeliness.trend(report)[0]["year"] == 2023


def test_the_command_states_the_period_and_takes_another(db, capsys):
    setup_installation()
    assert do_import(book(example())).imported  # notified 6 March 2025, due 10 March 2025
    assert main(["report", "timeliness", "--as-of", "2026-03-31"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Timeliness as of 2026-03-31 (EM, NB, WV), 12 months to 31 March 2026"
    line = next(x for x in out.splitlines() if "Notifications sent" in x)
    assert "0/0" in line  # due in March 2025: before the 12 months
    assert main(["report", "timeliness", "--as-of", "2026-03-31", "--period", "2025"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(", due in 2025")
    line = next(x for x in out.splitlines() if "Notifications sent" in x)
    assert "1/2" in line and "50.0%" in line  # the partners' notification was never sent
    with pytest.raises(SystemExit) as e:
        main(["report", "timeliness", "--as-of", "2026-03-31", "--period", "fy25"])
    assert e.value.code == 2 and "'fy25' is not a period" in capsys.readouterr().err
