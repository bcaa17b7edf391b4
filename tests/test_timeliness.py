"""Timeliness figures (docs/timeliness-report.md): a hand-built dataset whose answers are worked out here,
then the service behind the dashboard and `panel report timeliness` on a real database.

Calendar used below (England and Wales): Christmas Day Thu 25 Dec 2025, Boxing Day Fri 26 Dec,
New Year's Day Thu 1 Jan 2026, summer bank holiday Mon 25 Aug 2025. "Within N working days of D"
is the Nth working day after D (docs/domain.md §4).
"""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pytest
from sqlmodel import select

from panel.accounts.partnerships import create_partnership
from panel.accounts.service import actor_for, create_user
from panel.cli import main
from panel.core.access import SYSTEM
from panel.core.clock import add_months, add_working_days, working_days_between
from panel.core.db import read_session, transaction
from panel.core.errors import PermissionDenied
from panel.models import (
    Agency,
    AuditEvent,
    Decision,
    Notification,
    Partnership,
    Referral,
    Review,
    ReviewMilestone,
    ReviewType,
)
from panel.reports import service as reports
from panel.reports import timeliness
from panel.reviews import lifecycle
from panel.reviews.types import get_type
from panel.screening.rules import assess, notification_clocks

AS_OF = date(2026, 1, 30)  # a Friday
D = date


def group(rows: list[dict], key) -> dict:
    """One breakdown row by its key, without the key (so it compares to a literal)."""
    found = [{k: v for k, v in r.items() if k != "key"} for r in rows if r["key"] == key]
    assert len(found) == 1, (key, rows)
    return found[0]


def counts(total, on_time, late, pct, not_yet_due=0) -> dict:
    return {"total": total, "on_time": on_time, "late": late, "percent_on_time": pct,
            "not_yet_due": not_yet_due}


# -- the calendar the answers rest on -------------------------------------------------------------

def test_the_worked_dates_match_the_clock():
    # Aware Tue 23 Dec 2025: Wed 24 (1), Mon 29 (2), Tue 30 (3), Wed 31 (4), Fri 2 Jan (5).
    assert add_working_days(D(2025, 12, 23), 5) == D(2026, 1, 2)
    assert working_days_between(D(2026, 1, 2), D(2026, 1, 5)) == 1  # sent Mon 5 Jan: 1 late
    # Aware Wed 20 Aug 2025: Thu 21, Fri 22, (Mon 25 bank holiday) Tue 26, Wed 27, Thu 28.
    assert add_working_days(D(2025, 8, 20), 5) == D(2025, 8, 28)
    # Rapid review notified Thu 11 Dec 2025: day 15 is Tue 6 Jan 2026 (25, 26 Dec and 1 Jan off).
    assert add_working_days(D(2025, 12, 11), 15) == D(2026, 1, 6)
    # 6 months from 31 Aug is the end of February; from 31 Jul it is Sat 31 Jan.
    assert add_months(D(2025, 8, 31), 6) == D(2026, 2, 28)
    assert add_months(D(2025, 7, 31), 6) == D(2026, 1, 31)


# -- notifications --------------------------------------------------------------------------------

def n(ref, part, body, rtype, aware, due, sent):
    return {"referral": ref, "partnership": part, "body": body, "review_type": rtype,
            "aware_on": aware, "due_on": due, "sent_on": sent}


NOTIFICATIONS = [
    # aware Tue 23 Dec, due Fri 2 Jan, sent Mon 5 Jan: 1 working day late.
    n("NB-2025-001", "NB", "national_panel", "rapid_review", D(2025, 12, 23), D(2026, 1, 2), D(2026, 1, 5)),
    # the same case's partners were told on the due day: on time.
    n("NB-2025-001", "NB", "safeguarding_partners", "rapid_review", D(2025, 12, 23), D(2026, 1, 2), D(2026, 1, 2)),
    # aware Wed 20 Aug, due Thu 28 Aug (bank holiday between), sent Fri 29 Aug: 1 late.
    n("EM-2025-002", "EM", "national_panel", "lcspr", D(2025, 8, 20), D(2025, 8, 28), D(2025, 8, 29)),
    # undecided, due Mon 19 Jan, still not sent on Fri 30 Jan: late by 20-23, 26-30 Jan = 9.
    n("EM-2026-001", "EM", "national_panel", None, D(2026, 1, 12), D(2026, 1, 19), None),
    # due Mon 2 Feb, not sent: not yet due, left out of the percentage.
    n("NB-2026-002", "NB", "national_panel", None, D(2026, 1, 26), D(2026, 2, 2), None),
    # due Tue 13 Jan, sent Thu 8 Jan: on time.
    n("NB-2026-003", "NB", "national_panel", "rapid_review", D(2026, 1, 6), D(2026, 1, 13), D(2026, 1, 8)),
    # due Tue 27 Jan, sent Mon 2 Feb, after the as-of date: as of 30 Jan it is unsent and
    # late by 28, 29, 30 Jan = 3.
    n("NB-2026-004", "NB", "national_panel", None, D(2026, 1, 20), D(2026, 1, 27), D(2026, 2, 2)),
    # due on the as-of date itself and not sent: still not yet due.
    n("NB-2026-005", "NB", "national_panel", None, D(2026, 1, 23), D(2026, 1, 30), None),
]


def test_notification_figure_counts_late_unsent_and_excludes_not_yet_due():
    fig = timeliness.build_report(AS_OF, notifications=NOTIFICATIONS)["notifications"]
    # Counted: 6 (2 on time: NB-2025-001 partners, NB-2026-003); NB-2026-002/-005 not yet due.
    assert {k: fig[k] for k in ("total", "on_time", "late", "percent_on_time", "not_yet_due")} \
        == counts(6, 2, 4, 33.3, 2)
    assert fig["within"] == 5 and fig["unit"] == "working_days"


def test_notification_breakdowns():
    fig = timeliness.build_report(AS_OF, notifications=NOTIFICATIONS)["notifications"]
    # Year of the due date: 2025 is EM-2025-002 only.
    assert [g["key"] for g in fig["by_year"]] == [2025, 2026]
    assert group(fig["by_year"], 2025) == counts(1, 0, 1, 0.0)
    assert group(fig["by_year"], 2026) == counts(5, 2, 3, 40.0, 2)
    assert [g["key"] for g in fig["by_partnership"]] == ["EM", "NB"]
    assert group(fig["by_partnership"], "EM") == counts(2, 0, 2, 0.0)
    assert group(fig["by_partnership"], "NB") == counts(4, 2, 2, 50.0, 2)
    # Review type of the signed decision; undecided (None) last.
    assert [g["key"] for g in fig["by_review_type"]] == ["lcspr", "rapid_review", None]
    assert group(fig["by_review_type"], "lcspr") == counts(1, 0, 1, 0.0)
    assert group(fig["by_review_type"], "rapid_review") == counts(3, 2, 1, 66.7)
    assert group(fig["by_review_type"], None) == counts(2, 0, 2, 0.0, 2)
    assert group(fig["by_body"], "national_panel") == counts(5, 1, 4, 20.0, 2)
    assert group(fig["by_body"], "safeguarding_partners") == counts(1, 1, 0, 100.0)


def test_late_notifications_are_listed_oldest_due_first_with_working_days_late():
    fig = timeliness.build_report(AS_OF, notifications=NOTIFICATIONS)["notifications"]
    assert fig["late_items"] == [
        {"referral": "EM-2025-002", "partnership": "EM", "body": "national_panel",
         "review_type": "lcspr", "aware_on": "2025-08-20", "due_on": "2025-08-28",
         "recorded_due_on": None,
         "sent_on": "2025-08-29", "sent": True, "working_days_late": 1},
        {"referral": "NB-2025-001", "partnership": "NB", "body": "national_panel",
         "review_type": "rapid_review", "aware_on": "2025-12-23", "due_on": "2026-01-02",
         "recorded_due_on": None,
         "sent_on": "2026-01-05", "sent": True, "working_days_late": 1},
        {"referral": "EM-2026-001", "partnership": "EM", "body": "national_panel",
         "review_type": None, "aware_on": "2026-01-12", "due_on": "2026-01-19",
         "recorded_due_on": None,
         "sent_on": None, "sent": False, "working_days_late": 9},
        {"referral": "NB-2026-004", "partnership": "NB", "body": "national_panel",
         "review_type": None, "aware_on": "2026-01-20", "due_on": "2026-01-27",
         "recorded_due_on": None,
         "sent_on": None, "sent": False, "working_days_late": 3},
    ]


def test_a_later_as_of_date_sees_the_late_sending():
    fig = timeliness.build_report(D(2026, 2, 3), notifications=NOTIFICATIONS)["notifications"]
    item = next(i for i in fig["late_items"] if i["referral"] == "NB-2026-004")
    # Sent Mon 2 Feb against Tue 27 Jan: 28, 29, 30 Jan, 2 Feb = 4.
    assert item["sent_on"] == "2026-02-02" and item["working_days_late"] == 4
    # NB-2026-002 (due Mon 2 Feb) and NB-2026-005 (due Fri 30 Jan) are now unsent and late.
    assert fig["not_yet_due"] == 0 and fig["late"] == 6


def test_a_clock_that_starts_after_the_as_of_date_is_left_out():
    # On Thu 22 Jan 2026 the authority was not yet aware of NB-2026-002 (aware 26 Jan) or
    # NB-2026-005 (aware 23 Jan): both are left out, not counted as "not yet due".
    fig = timeliness.build_report(D(2026, 1, 22), notifications=NOTIFICATIONS)["notifications"]
    counted = fig["total"] + fig["not_yet_due"]
    assert counted == len(NOTIFICATIONS) - 2
    # EM-2026-001 (due 19 Jan) is late by 20, 21, 22 Jan; NB-2026-004 is not yet due (27 Jan).
    assert {i["referral"]: i["working_days_late"] for i in fig["late_items"]}["EM-2026-001"] == 3
    assert fig["not_yet_due"] == 1
    rapid = timeliness.build_report(D(2026, 1, 22), rapid_reviews=RAPID)["rapid_reviews"]
    assert "NB-2026-006-R1" not in {i["review"] for i in rapid["late_items"]}
    assert rapid["total"] + rapid["not_yet_due"] == 4  # NB-2026-006-R1 (23 Jan) not yet started


def test_sent_on_the_saturday_after_a_friday_deadline_is_one_working_day_late_as_on_the_referral():
    # Aware Fri 23 Jan, due Fri 30 Jan, sent Sat 31 Jan: late, and by 1 working day (no working
    # day passed, but a late item never reads 0), as the referral page says (docs/domain.md §4.4).
    row = n("NB-2026-009", "NB", "national_panel", None, D(2026, 1, 23), D(2026, 1, 30), D(2026, 1, 31))
    fig = timeliness.build_report(D(2026, 2, 2), notifications=[row])["notifications"]
    assert (fig["late"], fig["late_items"][0]["working_days_late"]) == (1, 1)
    page = notification_clocks(assess({"aware_on": "2026-01-23", "abuse_or_neglect": "known",
                                       "harm": "died"}), {"national_panel": (D(2026, 1, 31), D(2026, 1, 30))},
                               None, D(2026, 2, 2))
    assert page[0].late_by == fig["late_items"][0]["working_days_late"]
    # Still unsent at the end of that Saturday: late by 1 as well, and so is a milestone.
    unsent = {**row, "sent_on": None}
    fig = timeliness.build_report(D(2026, 1, 31), notifications=[unsent])["notifications"]
    assert (fig["late"], fig["late_items"][0]["working_days_late"]) == (1, 1)
    sat = timeliness.build_report(D(2026, 1, 31), milestones=[
        ms(G, "EM", "rapid_review", 3, "sent_to_national_panel", D(2026, 1, 30), None, statutory=True)])
    assert sat["overdue_milestones"]["items"][0]["working_days_overdue"] == 1


# -- rapid reviews --------------------------------------------------------------------------------

def rr(ref, part, notified, sent, day0=None):
    return {"review": ref, "referral": ref.rsplit("-", 1)[0], "partnership": part,
            "review_type": "rapid_review", "notified_on": notified, "day0": day0, "sent_on": sent}


RAPID = [
    # notified Mon 5 Jan, day 15 is Mon 26 Jan, sent Tue 27 Jan: 1 late.
    rr("NB-2025-001-R1", "NB", D(2026, 1, 5), D(2026, 1, 27)),
    # notified Thu 11 Dec, day 15 is Tue 6 Jan over Christmas, sent that day: on time.
    rr("NB-2025-009-R1", "NB", D(2025, 12, 11), D(2026, 1, 6)),
    # notified Tue 2 Sep, day 15 Tue 23 Sep, sent Fri 26 Sep: 3 late.
    rr("EM-2025-003-R1", "EM", D(2025, 9, 2), D(2025, 9, 26)),
    # notified Fri 23 Jan, day 15 Fri 13 Feb, not sent: not yet due.
    rr("NB-2026-006-R1", "NB", D(2026, 1, 23), None),
    # no notification recorded yet: the clock runs from the notification's due date, Mon 5 Jan,
    # so day 15 is Mon 26 Jan; unsent on Fri 30 Jan: 27-30 Jan = 4 late.
    rr("NB-2026-007-R1", "NB", None, None, day0=D(2026, 1, 5)),
    # no clock at all: left out.
    rr("WV-2026-001-R1", "WV", None, None),
]


def test_rapid_review_figure_and_breakdowns():
    fig = timeliness.build_report(AS_OF, rapid_reviews=RAPID)["rapid_reviews"]
    assert {k: fig[k] for k in ("total", "on_time", "late", "percent_on_time", "not_yet_due")} \
        == counts(4, 1, 3, 25.0, 1)
    assert fig["within"] == 15
    assert group(fig["by_year"], 2025) == counts(1, 0, 1, 0.0)
    assert group(fig["by_year"], 2026) == counts(3, 1, 2, 33.3, 1)
    assert group(fig["by_partnership"], "EM") == counts(1, 0, 1, 0.0)
    assert group(fig["by_partnership"], "NB") == counts(3, 1, 2, 33.3, 1)
    assert [g["key"] for g in fig["by_partnership"]] == ["EM", "NB"]  # WV had no clock
    assert fig["by_review_type"] == [{"key": "rapid_review", **counts(4, 1, 3, 25.0, 1)}]
    assert [(i["review"], i["due_on"], i["sent_on"], i["working_days_late"])
            for i in fig["late_items"]] == [
        ("EM-2025-003-R1", "2025-09-23", "2025-09-26", 3),
        ("NB-2025-001-R1", "2026-01-26", "2026-01-27", 1),
        ("NB-2026-007-R1", "2026-01-26", None, 4),
    ]
    assert fig["late_items"][0]["referral"] == "EM-2025-003"


# -- LCSPRs ---------------------------------------------------------------------------------------

def lc(ref, part, decided, published):
    return {"review": ref, "referral": ref.rsplit("-", 1)[0], "partnership": part,
            "review_type": "lcspr", "decided_on": decided, "published_on": published}


LCSPRS = [
    # decided 31 Jul 2025: due Sat 31 Jan 2026, unpublished on Fri 30 Jan: not yet due.
    lc("NB-2025-010-R2", "NB", D(2025, 7, 31), None),
    # decided 31 Aug 2025: due 28 Feb 2026 (month end), published 20 Jan: on time.
    lc("EM-2025-004-R2", "EM", D(2025, 8, 31), D(2026, 1, 20)),
    # decided 15 Jan 2025: due Tue 15 Jul, published Mon 21 Jul: 16, 17, 18, 21 Jul = 4 late.
    lc("NB-2025-011-R2", "NB", D(2025, 1, 15), D(2025, 7, 21)),
    # decided 10 Jun 2025: due Wed 10 Dec, unpublished on 30 Jan: Dec 11-12 (2), 15-19 (7),
    # 22-24 (10), 29-31 (13), Jan 2 (14), 5-9 (19), 12-16 (24), 19-23 (29), 26-30 (34).
    lc("NB-2025-012-R2", "NB", D(2025, 6, 10), None),
    # decided 1 Jul 2025: due Thu 1 Jan 2026; published 2 Feb, after the as-of date, so late
    # by Jan 2 (1), 5-9 (6), 12-16 (11), 19-23 (16), 26-30 (21).
    lc("NB-2025-013-R2", "NB", D(2025, 7, 1), D(2026, 2, 2)),
]


def test_lcspr_figure_and_breakdowns():
    fig = timeliness.build_report(AS_OF, lcsprs=LCSPRS)["lcsprs"]
    assert {k: fig[k] for k in ("total", "on_time", "late", "percent_on_time", "not_yet_due")} \
        == counts(4, 1, 3, 25.0, 1)
    assert fig["within"] == 6 and fig["unit"] == "months"
    assert group(fig["by_year"], 2025) == counts(2, 0, 2, 0.0)
    assert group(fig["by_year"], 2026) == counts(2, 1, 1, 50.0, 1)
    assert group(fig["by_partnership"], "EM") == counts(1, 1, 0, 100.0)
    assert group(fig["by_partnership"], "NB") == counts(3, 0, 3, 0.0, 1)
    assert fig["late_items"] == [
        {"review": "NB-2025-011-R2", "referral": "NB-2025-011", "partnership": "NB",
         "review_type": "lcspr", "decided_on": "2025-01-15", "due_on": "2025-07-15",
         "published_on": "2025-07-21", "published": True, "working_days_late": 4},
        {"review": "NB-2025-012-R2", "referral": "NB-2025-012", "partnership": "NB",
         "review_type": "lcspr", "decided_on": "2025-06-10", "due_on": "2025-12-10",
         "published_on": None, "published": False, "working_days_late": 34},
        {"review": "NB-2025-013-R2", "referral": "NB-2025-013", "partnership": "NB",
         "review_type": "lcspr", "decided_on": "2025-07-01", "due_on": "2026-01-01",
         "published_on": None, "published": False, "working_days_late": 21},
    ]


# -- stage durations and overdue milestones --------------------------------------------------------

def ms(review, part, rtype, pos, key, planned, actual, status="open", statutory=False):
    return {"review": review, "referral": review.rsplit("-", 1)[0], "partnership": part,
            "review_type": rtype, "review_status": status, "key": key, "name": key.replace("_", " "),
            "position": pos, "statutory": statutory, "planned_on": planned, "actual_on": actual}


A, B, C = "NB-2025-001-R1", "NB-2025-009-R1", "EM-2025-002-R2"
E, F, G, H = "WV-2026-001-R1", "NB-2025-020-R1", "EM-2026-003-R1", "NB-2026-008-R1"
MILESTONES = [
    # A, open rapid review: 6 Jan -> 21 Jan = 11; 21 -> 23 Jan = 2; 23 -> 27 Jan = 2; the LCSPR
    # decision (planned Mon 26 Jan) is not recorded: overdue by 27-30 Jan = 4.
    ms(A, "NB", "rapid_review", 0, "agency_summaries_requested", D(2026, 1, 6), D(2026, 1, 6)),
    ms(A, "NB", "rapid_review", 1, "agency_summaries_due", D(2026, 1, 19), D(2026, 1, 21)),
    ms(A, "NB", "rapid_review", 2, "panel_analysis", D(2026, 1, 21), D(2026, 1, 23)),
    ms(A, "NB", "rapid_review", 3, "sent_to_national_panel", D(2026, 1, 26), D(2026, 1, 27), statutory=True),
    ms(A, "NB", "rapid_review", 4, "lcspr_decision_recorded", D(2026, 1, 26), None),
    # B, closed, over Christmas: 12 -> 24 Dec = 8; 24 Dec -> 2 Jan = 4 (29, 30, 31, 2);
    # 2 -> 6 Jan = 2; 6 -> 6 Jan = 0.
    ms(B, "NB", "rapid_review", 0, "agency_summaries_requested", D(2025, 12, 12), D(2025, 12, 12), "closed"),
    ms(B, "NB", "rapid_review", 1, "agency_summaries_due", D(2025, 12, 24), D(2025, 12, 24), "closed"),
    ms(B, "NB", "rapid_review", 2, "panel_analysis", D(2025, 12, 30), D(2026, 1, 2), "closed"),
    ms(B, "NB", "rapid_review", 3, "sent_to_national_panel", D(2026, 1, 6), D(2026, 1, 6), "closed", True),
    ms(B, "NB", "rapid_review", 4, "lcspr_decision_recorded", D(2026, 1, 6), D(2026, 1, 6), "closed"),
    # C, open LCSPR: 1 -> 8 Oct = 5; records (planned Thu 22 Jan) overdue by 23, 26-30 Jan = 6;
    # family due on the as-of date and publication in March are not overdue.
    ms(C, "EM", "lcspr", 0, "terms_of_reference_agreed", D(2025, 10, 1), D(2025, 10, 1)),
    ms(C, "EM", "lcspr", 1, "reviewer_commissioned", D(2025, 10, 8), D(2025, 10, 8)),
    ms(C, "EM", "lcspr", 2, "agency_records_secured", D(2026, 1, 22), None),
    ms(C, "EM", "lcspr", 3, "family_invited", D(2026, 1, 30), None),
    ms(C, "EM", "lcspr", 4, "publication", D(2026, 3, 2), None, statutory=True),
    # E: the second milestone was done on 2 Feb, after the as-of date: overdue as of 30 Jan
    # (27-30 Jan = 4) and its stage not yet counted.
    ms(E, "WV", "rapid_review", 0, "agency_summaries_requested", D(2026, 1, 20), D(2026, 1, 20)),
    ms(E, "WV", "rapid_review", 1, "agency_summaries_due", D(2026, 1, 26), D(2026, 2, 2)),
    # F: a superseded review and H: a closed review's skipped milestone are never overdue.
    ms(F, "NB", "rapid_review", 0, "agency_summaries_requested", D(2026, 1, 5), None, "superseded"),
    ms(H, "NB", "malr", 0, "terms_of_reference_agreed", D(2026, 1, 5), None, "closed"),
    # G: the statutory sending (planned Wed 28 Jan) is overdue by 29, 30 Jan = 2.
    ms(G, "EM", "rapid_review", 3, "sent_to_national_panel", D(2026, 1, 28), None, statutory=True),
]


def test_median_working_days_per_stage():
    stages = timeliness.build_report(AS_OF, milestones=MILESTONES)["stage_durations"]["stages"]
    assert [(s["review_type"], s["from_milestone"], s["to_milestone"], s["count"],
             s["median_working_days"], s["min_working_days"], s["max_working_days"])
            for s in stages] == [
        ("lcspr", "terms_of_reference_agreed", "reviewer_commissioned", 1, 5.0, 5, 5),
        ("rapid_review", "agency_summaries_requested", "agency_summaries_due", 2, 9.5, 8, 11),
        ("rapid_review", "agency_summaries_due", "panel_analysis", 2, 3.0, 2, 4),
        ("rapid_review", "panel_analysis", "sent_to_national_panel", 2, 2.0, 2, 2),
        ("rapid_review", "sent_to_national_panel", "lcspr_decision_recorded", 1, 0.0, 0, 0),
    ]
    first = stages[1]
    # By the year the stage ended: B's ended 24 Dec 2025 (8), A's 21 Jan 2026 (11).
    assert first["by_year"] == [
        {"key": 2025, "count": 1, "median_working_days": 8.0, "min_working_days": 8, "max_working_days": 8},
        {"key": 2026, "count": 1, "median_working_days": 11.0, "min_working_days": 11, "max_working_days": 11},
    ]
    assert first["by_partnership"] == [
        {"key": "NB", "count": 2, "median_working_days": 9.5, "min_working_days": 8, "max_working_days": 11},
    ]
    assert stages[0]["by_partnership"][0]["key"] == "EM"


def test_overdue_milestones_now():
    od = timeliness.build_report(AS_OF, milestones=MILESTONES)["overdue_milestones"]
    assert (od["total"], od["statutory"], od["reviews"]) == (4, 1, 4)
    assert [(i["review"], i["milestone"], i["planned_on"], i["working_days_overdue"], i["statutory"])
            for i in od["items"]] == [
        (C, "agency_records_secured", "2026-01-22", 6, False),
        (A, "lcspr_decision_recorded", "2026-01-26", 4, False),
        (E, "agency_summaries_due", "2026-01-26", 4, False),
        (G, "sent_to_national_panel", "2026-01-28", 2, True),
    ]
    assert od["by_review_type"] == [{"key": "lcspr", "total": 1, "statutory": 0},
                                    {"key": "rapid_review", "total": 3, "statutory": 1}]
    assert od["by_year"] == [{"key": 2026, "total": 4, "statutory": 1}]
    assert od["by_partnership"] == [{"key": "EM", "total": 2, "statutory": 1},
                                    {"key": "NB", "total": 1, "statutory": 0},
                                    {"key": "WV", "total": 1, "statutory": 0}]
    assert od["items"][0]["referral"] == "EM-2025-002" and od["items"][0]["partnership"] == "EM"


# -- the whole report's shape ----------------------------------------------------------------------

def full_report(as_of=AS_OF) -> dict:
    return timeliness.build_report(
        as_of, notifications=NOTIFICATIONS, rapid_reviews=RAPID, lcsprs=LCSPRS,
        milestones=MILESTONES, partnerships=[{"code": "NB", "name": "Northbrook"},
                                             {"code": "EM", "name": "Eastmere"}],
        review_types={"rapid_review": "Rapid review", "lcspr": "LCSPR"})


def test_report_is_json_with_a_stable_top_level():
    report = full_report()
    assert list(report) == ["schema_version", "as_of", "period", "partnerships", "review_types",
                            "notifications", "rapid_reviews", "lcsprs", "stage_durations",
                            "overdue_milestones"]
    assert report["schema_version"] == 2 and report["as_of"] == "2026-01-30"
    assert report["partnerships"] == [{"code": "EM", "name": "Eastmere"},
                                      {"code": "NB", "name": "Northbrook"}]
    assert json.loads(json.dumps(report)) == report  # plain JSON: dates are ISO strings
    for f in timeliness.FIGURES:
        assert {"title", "rule", "within", "unit", "total", "on_time", "late", "percent_on_time",
                "not_yet_due", "by_review_type", "by_year", "by_partnership",
                "late_items"} <= set(report[f])


def test_empty_input_is_an_empty_report():
    report = timeliness.build_report(AS_OF)
    assert timeliness.is_empty(report)
    assert report["notifications"]["percent_on_time"] is None
    assert report["notifications"]["by_year"] == [] and timeliness.trend(report) == []
    assert not timeliness.is_empty(full_report())


def test_trend_rows_per_figure_and_year():
    rows = timeliness.trend(full_report())
    assert rows[0] == {"figure": "notifications", "title": timeliness.FIGURE_TITLES["notifications"],
                       "year": 2025, "percent_on_time": 0.0, "on_time": 0, "total": 1}
    assert [(r["figure"], r["year"], r["percent_on_time"]) for r in rows] == [
        ("notifications", 2025, 0.0), ("notifications", 2026, 40.0),
        ("rapid_reviews", 2025, 0.0), ("rapid_reviews", 2026, 33.3),
        ("lcsprs", 2025, 0.0), ("lcsprs", 2026, 50.0),
    ]


# == the service, on a database built row by row ===================================================
#
# NB: NB-2025-001 (aware Tue 23 Dec 2025, a child died, abuse suspected: notify the National Panel
#     and the partners by Fri 2 Jan). National Panel told Mon 5 Jan (1 late), partners 2 Jan.
#     Rapid review NB-2025-001-R1 from 5 Jan, sent to the National Panel Tue 27 Jan against
#     Mon 26 Jan (1 late); its LCSPR decision (planned 26 Jan) is overdue by 4.
#     NB-2025-003 (aware Mon 2 Jun 2025, due Mon 9 Jun, both sent Thu 5 Jun): LCSPR decided
#     Tue 10 Jun, so due Wed 10 Dec; unpublished: 34 working days late, publication overdue.
#     NB-2026-001 (aware Mon 26 Jan 2026): both notifications due Mon 2 Feb, not yet due.
#     NB-2026-002 (not serious harm): nothing to notify. NB-2025-002: closed at triage.
# EM: EM-2026-001 (aware Mon 12 Jan, a child died): nothing sent, both 9 working days late.
#     EM-2025-001 (aware Mon 3 Nov 2025, due Mon 10 Nov, both sent Fri 7 Nov). Its first
#     decision (a local learning review) was superseded; the rapid review EM-2025-001-R1 that
#     went with it is superseded too (its overdue-looking milestone does not count). The rapid
#     review EM-2025-001-R2 has no notified_on of its own (the recorded notification, Fri 7 Nov,
#     is day 0: due Fri 28 Nov) and was sent on 28 Nov, recorded only on its milestone.

SERVICE_AS_OF = AS_OF


def _referral(s, pid, agency_id, ref, aware, harm="died", abuse="suspected", status="decided"):
    r = Referral(reference=ref, partnership_id=pid, status=status, received_on=aware, aware_on=aware,
                 referrer_name="Designated safeguarding lead", referrer_agency_id=agency_id,
                 identified_by="social_worker", child_initials="AB", child_age_years=3,
                 child_sex="female", child_ethnicity="White British", incident_date=aware,
                 incident_summary="Fictional test case.", harm=harm, abuse_or_neglect=abuse)
    s.add(r)
    s.flush()
    return r


def _notify(s, r, sent: dict[str, date]):
    due = add_working_days(r.aware_on, 5)
    for body, day in sent.items():
        s.add(Notification(referral_id=r.id, body=body, due_on=due, sent_on=day))


def _decision(s, r, type_id, decided, status="signed", version=1):
    d = Decision(referral_id=r.id, version_no=version, status=status, review_type_id=type_id,
                 engine_regime="WT2018", engine_route="rapid_review", rationale="Test.",
                 decided_on=decided)
    s.add(d)
    s.flush()
    return d


def _review(s, r, d, type_id, ref, started, notified=None, sent=None, status="open", actual=None,
            planned=None, keys=None, type_key="rapid_review"):
    rv = Review(reference=ref, partnership_id=r.partnership_id, referral_id=r.id, decision_id=d.id,
                review_type_id=type_id, status=status, started_on=started, notified_on=notified,
                sent_to_national_panel_on=sent)
    s.add(rv)
    s.flush()
    spec = get_type(type_key)
    planned = planned or lifecycle.planned_dates(spec, started, notified or started)
    for i, m in enumerate(spec.milestones):
        if keys and m.key not in keys:
            continue
        s.add(ReviewMilestone(review_id=rv.id, key=m.key, name=m.name, position=i,
                              statutory=m.statutory, planned_on=planned[m.key],
                              actual_on=(actual or {}).get(m.key)))
    return rv


@pytest.fixture
def service_db(db):
    nb = create_partnership(SYSTEM, "NB", "Northbrook Safeguarding Children Partnership")
    em = create_partnership(SYSTEM, "EM", "Eastmere Safeguarding Children Partnership")
    with transaction() as s:
        agency = Agency(name="Police", kind="police")
        s.add(agency)
        s.flush()
        types = {(t.partnership_id, t.key): t.id for t in s.exec(select(ReviewType))}

        r = _referral(s, nb, agency.id, "NB-2025-001", D(2025, 12, 23))
        _notify(s, r, {"national_panel": D(2026, 1, 5), "safeguarding_partners": D(2026, 1, 2)})
        d = _decision(s, r, types[(nb, "rapid_review")], D(2026, 1, 5))
        _review(s, r, d, types[(nb, "rapid_review")], "NB-2025-001-R1", D(2026, 1, 5),
                notified=D(2026, 1, 5), sent=D(2026, 1, 27),
                actual={"agency_summaries_requested": D(2026, 1, 6),
                        "agency_summaries_due": D(2026, 1, 21), "panel_analysis": D(2026, 1, 23),
                        "sent_to_national_panel": D(2026, 1, 27)})

        r = _referral(s, nb, agency.id, "NB-2025-003", D(2025, 6, 2), abuse="known")
        _notify(s, r, {"national_panel": D(2025, 6, 5), "safeguarding_partners": D(2025, 6, 5)})
        d = _decision(s, r, types[(nb, "lcspr")], D(2025, 6, 10))
        _review(s, r, d, types[(nb, "lcspr")], "NB-2025-003-R1", D(2025, 6, 10), type_key="lcspr",
                keys={"terms_of_reference_agreed", "reviewer_commissioned", "publication"},
                actual={"terms_of_reference_agreed": D(2025, 7, 1),
                        "reviewer_commissioned": D(2025, 7, 8)})

        _referral(s, nb, agency.id, "NB-2026-001", D(2026, 1, 26), harm="serious_harm",
                  abuse="known", status="accepted")
        _referral(s, nb, agency.id, "NB-2026-002", D(2026, 1, 5), harm="other", abuse="no",
                  status="new")
        _referral(s, nb, agency.id, "NB-2025-002", D(2025, 12, 1), abuse="known", status="closed")

        _referral(s, em, agency.id, "EM-2026-001", D(2026, 1, 12), status="new")
        r = _referral(s, em, agency.id, "EM-2025-001", D(2025, 11, 3), harm="serious_harm")
        _notify(s, r, {"national_panel": D(2025, 11, 7), "safeguarding_partners": D(2025, 11, 7)})
        old = _decision(s, r, types[(em, "local_learning_review")], D(2025, 11, 5), "superseded")
        _review(s, r, old, types[(em, "rapid_review")], "EM-2025-001-R1", D(2025, 11, 5),
                status="superseded", keys={"agency_summaries_requested"})
        d = _decision(s, r, types[(em, "rapid_review")], D(2025, 11, 7), version=2)
        planned = lifecycle.planned_dates(get_type("rapid_review"), D(2025, 11, 7), D(2025, 11, 7))
        _review(s, r, d, types[(em, "rapid_review")], "EM-2025-001-R2", D(2025, 11, 7),
                planned=planned, actual=dict(planned), status="closed")
    create_user(SYSTEM, username="nb.manager", name="NB Manager", email="nbm@example.org",
                password="a long test password", memberships=[("NB", "manager")])
    create_user(SYSTEM, username="em.chair", name="EM Chair", email="emc@example.org",
                password="a long test password", memberships=[("EM", "chair")])
    create_user(SYSTEM, username="both", name="Both Manager", email="both@example.org",
                password="a long test password", memberships=[("NB", "manager"), ("EM", "manager")])
    create_user(SYSTEM, username="nb.referrer", name="NB Referrer", email="nbr@example.org",
                password="a long test password", memberships=[("NB", "referrer")])
    return {"NB": nb, "EM": em}


def headline(fig: dict) -> tuple:
    return fig["total"], fig["on_time"], fig["late"], fig["percent_on_time"], fig["not_yet_due"]


def refs(report: dict) -> set[str]:
    out = set()
    for f in timeliness.FIGURES:
        for item in report[f]["late_items"]:
            out.add(item.get("review") or item["referral"])
    out |= {i["review"] for i in report["overdue_milestones"]["items"]}
    return out


def test_service_every_partnership_for_the_command_line(service_db):
    report = reports.timeliness(SYSTEM, SERVICE_AS_OF)
    assert [p["code"] for p in report["partnerships"]] == ["EM", "NB"]
    # 10 notifications called for; NB-2026-001's two not yet due; late: NB-2025-001 (National
    # Panel) and EM-2026-001's two.
    assert headline(report["notifications"]) == (8, 5, 3, 62.5, 2)
    assert [(i["referral"], i["body"], i["working_days_late"], i["sent"])
            for i in report["notifications"]["late_items"]] == [
        ("NB-2025-001", "national_panel", 1, True),
        ("EM-2026-001", "national_panel", 9, False),
        ("EM-2026-001", "safeguarding_partners", 9, False),
    ]
    # The outcome of the latest signed decision; undecided referrals have none.
    assert group(report["notifications"]["by_review_type"], "rapid_review") == counts(4, 3, 1, 75.0)
    assert group(report["notifications"]["by_review_type"], "lcspr") == counts(2, 2, 0, 100.0)
    assert group(report["notifications"]["by_review_type"], None) == counts(2, 0, 2, 0.0, 2)
    # Rapid reviews: NB's 1 late; EM's on time (day 0 from the recorded notification, sent date
    # from its milestone); the superseded one is not counted.
    assert headline(report["rapid_reviews"]) == (2, 1, 1, 50.0, 0)
    assert [(i["review"], i["due_on"], i["working_days_late"])
            for i in report["rapid_reviews"]["late_items"]] == [("NB-2025-001-R1", "2026-01-26", 1)]
    assert headline(report["lcsprs"]) == (1, 0, 1, 0.0, 0)
    assert report["lcsprs"]["late_items"][0]["working_days_late"] == 34
    od = report["overdue_milestones"]
    assert [(i["review"], i["milestone"], i["working_days_overdue"], i["statutory"])
            for i in od["items"]] == [("NB-2025-003-R1", "publication", 34, True),
                                      ("NB-2025-001-R1", "lcspr_decision_recorded", 4, False)]
    stages = {(s["review_type"], s["to_milestone"]): s for s in report["stage_durations"]["stages"]}
    # NB 6 -> 21 Jan = 11; EM 10 -> 21 Nov = 9.
    assert stages[("rapid_review", "agency_summaries_due")]["median_working_days"] == 10.0
    assert stages[("rapid_review", "agency_summaries_due")]["count"] == 2
    # LCSPR terms of reference 1 Jul -> reviewer 8 Jul = 5 (publication has no actual date).
    assert stages[("lcspr", "reviewer_commissioned")]["median_working_days"] == 5.0
    assert ("lcspr", "publication") not in stages
    assert report["review_types"]["rapid_review"] == "Rapid review"


def test_service_keeps_each_partnership_behind_its_wall(service_db):
    nb = reports.timeliness(actor_for("nb.manager"), SERVICE_AS_OF)
    assert [p["code"] for p in nb["partnerships"]] == ["NB"]
    assert headline(nb["notifications"]) == (4, 3, 1, 75.0, 2)
    assert refs(nb) == {"NB-2025-001", "NB-2025-001-R1", "NB-2025-003-R1"}
    em = reports.timeliness(actor_for("em.chair"), SERVICE_AS_OF)
    assert [p["code"] for p in em["partnerships"]] == ["EM"]
    assert headline(em["notifications"]) == (4, 2, 2, 50.0, 0)
    assert headline(em["rapid_reviews"]) == (1, 1, 0, 100.0, 0)
    assert headline(em["lcsprs"]) == (0, 0, 0, None, 0)
    assert refs(em) == {"EM-2026-001"} and em["overdue_milestones"]["total"] == 0
    # Asking for another partnership's figures gives nothing from it.
    asked = reports.timeliness(actor_for("em.chair"), SERVICE_AS_OF, [service_db["NB"]])
    assert asked["partnerships"] == [] and timeliness.is_empty(asked)
    # A manager of both sees both, and can narrow to one.
    both = actor_for("both")
    assert reports.timeliness(both, SERVICE_AS_OF) == reports.timeliness(SYSTEM, SERVICE_AS_OF)
    assert reports.timeliness(both, SERVICE_AS_OF, [service_db["EM"]]) == em


def test_service_refuses_a_referrer(service_db):
    with pytest.raises(PermissionDenied):
        reports.timeliness(actor_for("nb.referrer"), SERVICE_AS_OF)
    with pytest.raises(PermissionDenied):
        reports.timeliness_xlsx(actor_for("nb.referrer"), SERVICE_AS_OF)


def test_service_as_of_an_earlier_date(service_db):
    # On Fri 2 Jan 2026 NB-2025-001's National Panel notification was due that day (sent on
    # 5 Jan, so not yet as of then) and its rapid review had not started; NB-2026-001's
    # authority was not yet aware: nothing is late.
    report = reports.timeliness(SYSTEM, D(2026, 1, 2), [service_db["NB"]])
    assert headline(report["notifications"]) == (3, 3, 0, 100.0, 1)
    assert headline(report["rapid_reviews"]) == (0, 0, 0, None, 0)
    assert [i["review"] for i in report["overdue_milestones"]["items"]] == ["NB-2025-003-R1"]


# -- the command ------------------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_is_the_service_report(service_db, capsys):
    code, out, err = run(capsys, "report", "timeliness", "--as-of", "2026-01-30", "--json")
    assert code == 0 and not err
    assert json.loads(out) == reports.timeliness(SYSTEM, SERVICE_AS_OF)
    code, out, _ = run(capsys, "report", "timeliness", "--as-of", "2026-01-30", "--json",
                       "--partnership", "em")
    assert code == 0
    assert json.loads(out) == reports.timeliness(SYSTEM, SERVICE_AS_OF, [service_db["EM"]])


def test_cli_table_and_bad_input(service_db, capsys):
    code, out, _ = run(capsys, "report", "timeliness", "--as-of", "2026-01-30")
    assert code == 0
    assert "Timeliness as of 2026-01-30 (EM, NB)" in out
    line = next(x for x in out.splitlines() if "Notifications sent within 5 working days" in x)
    assert "5/8" in line and "62.5%" in line and "late 3" in line and "not yet due 2" in line
    assert "Overdue milestones now: 2 (1 statutory) in 2 reviews" in out
    code, out, err = run(capsys, "report", "timeliness", "--as-of", "2026-01-30", "--partnership", "ZZ")
    assert code == 2 and "No partnership with code ZZ" in err and not out
    with pytest.raises(SystemExit) as e:
        main(["report", "timeliness", "--as-of", "30/01/2026"])
    assert e.value.code == 2
    assert "'30/01/2026' is not a date like 2026-11-23" in capsys.readouterr().err


# -- Excel -----------------------------------------------------------------------------------------

def test_xlsx_has_every_sheet_and_the_late_rows_and_is_logged(service_db):
    with transaction() as s:  # an admin-edited name that a spreadsheet would run as a formula
        t = s.exec(select(ReviewType).where(ReviewType.partnership_id == service_db["EM"],
                                            ReviewType.key == "rapid_review")).one()
        t.name = "=HYPERLINK(\"http://example.org\")"
        s.add(t)
    data = reports.timeliness_xlsx(actor_for("em.chair"), SERVICE_AS_OF)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Summary", "Breakdowns", "Late notifications", "Late rapid reviews",
                             "Late LCSPRs", "Withheld LCSPRs", "Overdue milestones",
                             "Stage durations"]
    rows = list(wb["Late notifications"].values)
    assert rows[0][:3] == ("referral", "partnership", "body")
    assert [(r[0], r[2], r[7]) for r in rows[1:]] == [("EM-2026-001", "national_panel", 9),
                                                       ("EM-2026-001", "safeguarding_partners", 9)]
    assert rows[1][5].date() == D(2026, 1, 19)  # due dates are real dates
    summary = list(wb["Summary"].values)
    assert summary[1][:4] == ("Notifications sent within 5 working days", 2, 4, 50)
    stage_names = {r[0] for r in list(wb["Stage durations"].values)[1:]}
    assert stage_names == {"'=HYPERLINK(\"http://example.org\")"}  # neutralised
    with read_session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert len(events) == 1 and events[0].entity == "timeliness_report"
    assert events[0].username == "em.chair" and "as of 2026-01-30" in events[0].detail


def test_xlsx_lists_late_reviews_and_overdue_milestones(service_db):
    wb = openpyxl.load_workbook(io.BytesIO(reports.timeliness_xlsx(SYSTEM, SERVICE_AS_OF)))
    assert [r[0] for r in list(wb["Late rapid reviews"].values)[1:]] == ["NB-2025-001-R1"]
    assert [(r[0], r[6]) for r in list(wb["Late LCSPRs"].values)[1:]] == [("NB-2025-003-R1", 34)]
    assert [(r[0], r[4], r[8]) for r in list(wb["Overdue milestones"].values)[1:]] == [
        ("NB-2025-003-R1", "publication", 34), ("NB-2025-001-R1", "lcspr_decision_recorded", 4)]
    with read_session() as s:
        assert s.exec(select(Partnership)).all()  # the export did not change the data
