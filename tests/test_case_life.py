"""One case's whole life through the services, on an empty partnership (docs/domain.md §6.3):
referral, screening, notifications, the rapid review its signed decision opens, the LCSPR the
rapid review's decision opens, publication (or publication withheld), findings, a
recommendation and its actions (closed with evidence, or carried), and the closed review. The
timeliness figures are read at five dates along the way, each worked out by hand below, and
read again at the end to show that nothing done later changed them (docs/domain.md §6.4).

Calendar (England and Wales): Christmas Day Fri 25 Dec 2026, Boxing Day Sat 26 Dec with its
substitute Mon 28 Dec. Every day named here is checked against the clock in
`test_the_worked_dates_match_the_clock`.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from panel.core.clock import (
    add_months,
    add_working_days,
    late_by_working_days,
    working_days_between,
)
from panel.core.db import read_session
from panel.core.errors import ValidationFailed
from panel.learning import actions, carry
from panel.learning import service as learning
from panel.models import Action, AuditEvent
from panel.referrals import service as referrals
from panel.reports import service as reports
from panel.reviews import closing, record
from panel.reviews import service as reviews
from panel.screening import decisions
from panel.screening import service as screening
from panel.screening.rules import LCSPR_CONSIDERATIONS
from tests.factories import AWARE, accepted, actor, agency_id, decision_form, empty_nb, review_row

D = date
NP, PARTNERS = "national_panel", "safeguarding_partners"
EVIDENCE = "A re-audit of 20 strategy meetings in October found the police at every one of them."
WITHHELD_BECAUSE = "Withheld in the interest of the child's younger siblings."

# The five dates the figures are read on.
A1 = D(2026, 11, 25)  # before the notifications are due
A2 = D(2026, 11, 30)  # after both were sent
A3 = D(2026, 12, 28)  # mid rapid review, past its day 15 and not yet sent
A4 = D(2027, 1, 22)  # after the LCSPR decision, the rapid review sent and closed
A5 = D(2027, 12, 31)  # after publication (or withholding) and closure


def test_the_worked_dates_match_the_clock():
    assert AWARE == D(2026, 11, 20) and add_working_days(AWARE, 5) == D(2026, 11, 27)  # Fri + 5 = Fri
    assert add_working_days(D(2026, 11, 26), 15) == D(2026, 12, 17)  # rapid review's day 15
    assert working_days_between(D(2026, 12, 17), A3) == 5  # 18, 21-24 Dec; 25, 28 Dec are holidays
    assert working_days_between(D(2026, 12, 17), D(2026, 12, 29)) == 6
    assert late_by_working_days(D(2026, 11, 27), D(2026, 11, 28)) == 1  # the Saturday after Friday
    assert add_months(D(2026, 12, 29), 6) == D(2027, 6, 29)  # the LCSPR's publication due
    assert add_working_days(D(2026, 12, 29), 15) == D(2027, 1, 20)  # its terms of reference


class Life:
    """The case's diary: `on(day)` makes `day` today for the services and for the audit trail,
    which dates what Panel keeps no date for (a publication withheld, docs/domain.md §6.4)."""

    def __init__(self, monkeypatch):
        self.mp, self.today = monkeypatch, None

    def on(self, day: date) -> date:
        self.today = day
        stamp = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        self.mp.setattr(AuditEvent.model_fields["at"], "default_factory", lambda: stamp)
        return day


@pytest.fixture
def life(db, monkeypatch):
    empty_nb()
    return Life(monkeypatch)


def report(as_of: date, period: str = "all") -> dict:
    return reports.timeliness(actor("manager"), as_of, period=period)


def tally(fig: dict) -> tuple:
    """(on time, late, not yet due, percent on time) of a figure."""
    return fig["on_time"], fig["late"], fig["not_yet_due"], fig["percent_on_time"]


def late(fig: dict) -> list[tuple]:
    """Each late item as (what, due, done on, working days late)."""
    return [(i.get("body") or i["review"], i["due_on"], i.get("sent_on", i.get("published_on")),
             i["working_days_late"]) for i in fig["late_items"]]


def overdue(rep: dict) -> list[tuple]:
    return [(i["review"], i["milestone"], i["working_days_overdue"], i["statutory"])
            for i in rep["overdue_milestones"]["items"]]


def milestone(life: Life, ref: str, key: str, day: date) -> None:
    record.record_milestone(actor("manager"), ref, key, day, review_row(ref).version, life.today)


def version(action_id: int) -> int:
    with read_session() as s:
        return s.get(Action, action_id).version


# The LCSPR's milestones as done, each on or before its plan from Tue 29 Dec 2026 but the
# first: terms of reference planned Wed 20 Jan 2027, agreed Mon 25 Jan.
LCSPR_DONE = [
    ("terms_of_reference_agreed", D(2027, 1, 25)), ("reviewer_commissioned", D(2027, 1, 25)),
    ("agency_records_secured", D(2027, 1, 25)), ("family_invited", D(2027, 2, 1)),
    ("chronologies_requested", D(2027, 2, 1)), ("chronologies_received", D(2027, 3, 1)),
    ("practitioner_event", D(2027, 3, 23)), ("draft_report", D(2027, 4, 29)),
    ("factual_accuracy_checked", D(2027, 5, 14)), ("panel_sign_off", D(2027, 5, 21)),
    ("partnership_sign_off", D(2027, 5, 28)), ("copy_to_national_panel", D(2027, 6, 7)),
]


@pytest.mark.parametrize("publication", ["published", "withheld"])
def test_a_case_from_referral_to_closed_review(life, publication):
    chair, manager = actor("chair"), actor("manager")
    seen: dict[date, str] = {}

    def read(as_of: date) -> dict:
        rep = report(as_of)
        seen[as_of] = json.dumps(rep)
        return rep

    # Referral: aware Fri 20 Nov 2026, received and accepted Mon 23 Nov; screened Tue 24 Nov.
    life.on(D(2026, 11, 23))
    ref = accepted()
    shown = screening.screen(chair, ref, life.on(D(2026, 11, 24)))
    assert shown.result["route"] == "rapid_review"
    # Both notifications due Fri 27 Nov: Wed 25, Thu 26, Fri 27 are 3 working days left.
    assert [(n.body, n.due_on, n.days_left) for n in shown.notifications] == [
        (NP, D(2026, 11, 27), 3), (PARTNERS, D(2026, 11, 27), 3)]

    rep = read(A1)
    # Wed 25 Nov: neither notification due yet (Fri 27 Nov); no decision, so no review.
    assert tally(rep["notifications"]) == (0, 0, 2, None)
    assert tally(rep["rapid_reviews"]) == (0, 0, 0, None) and tally(rep["lcsprs"]) == (0, 0, 0, None)
    assert rep["overdue_milestones"]["total"] == 0

    # The National Panel told Thu 26 Nov; the decision Fri 27 Nov opens the rapid review with
    # day 0 the notification; the partners told Sat 28 Nov, the day after their deadline.
    screening.record_notification(chair, ref, NP, life.on(D(2026, 11, 26)), "NP-1", life.today)
    day = life.on(D(2026, 11, 27))
    did = decisions.record_decision(actor("member"), ref, decision_form(decided_on=day), day)
    rapid = decisions.sign_decision(chair, did, day, attendance_confirmed=True)
    milestone(life, rapid, "agency_summaries_requested", day)  # day 1, as planned
    screening.record_notification(chair, ref, PARTNERS, life.on(D(2026, 11, 28)), "", life.today)

    rep = read(A2)
    # Mon 30 Nov: the National Panel's on time (Thu 26 for Fri 27); the partners' sent Sat 28
    # Nov, 1 working day late; the rapid review's day 15 (Thu 17 Dec) is still to come.
    assert tally(rep["notifications"]) == (1, 1, 0, 50.0)
    assert late(rep["notifications"]) == [(PARTNERS, "2026-11-27", "2026-11-28", 1)]
    assert tally(rep["rapid_reviews"]) == (0, 0, 1, None)
    assert rep["overdue_milestones"]["total"] == 0
    # The referral page counts the partners' lateness as the report does.
    page = referrals.get_referral(chair, ref, A2, record_view=False).clocks
    assert {c.body: c.late_by for c in page} == {NP: 0, PARTNERS: 1}

    milestone(life, rapid, "agency_summaries_due", life.on(D(2026, 12, 10)))  # day 10, as planned
    milestone(life, rapid, "panel_analysis", life.on(D(2026, 12, 15)))  # planned Mon 14 Dec

    rep = read(A3)
    # Mon 28 Dec: unsent past Thu 17 Dec, late by 18, 21, 22, 23, 24 Dec = 5 (Christmas, the
    # weekend and Boxing Day's substitute Monday skipped); its two day-15 milestones overdue as much.
    assert tally(rep["rapid_reviews"]) == (0, 1, 0, 0.0)
    assert late(rep["rapid_reviews"]) == [(rapid, "2026-12-17", None, 5)]
    assert overdue(rep) == [(rapid, "sent_to_national_panel", 5, True), (rapid, "lcspr_decision_recorded", 5, False)]
    assert tally(rep["notifications"]) == (1, 1, 0, 50.0)

    # Tue 29 Dec: sent to the National Panel and an LCSPR decided, which opens it; the rapid
    # review, every milestone recorded, closes Wed 30 Dec.
    day = life.on(D(2026, 12, 29))
    lcspr = reviews.record_rapid_review_outcome(
        chair, rapid, considerations={k: "yes" for k, _ in LCSPR_CONSIDERATIONS}, lcspr_decision="lcspr",
        sent_on=day, response=None, response_note="", expected_version=review_row(rapid).version,
        today=day, decided_on=day)
    assert review_row(lcspr).started_on == day and review_row(lcspr).rapid_review_id == review_row(rapid).id
    closing.close_review(manager, rapid, life.on(D(2026, 12, 30)), review_row(rapid).version, life.today)

    rep = read(A4)
    # Fri 22 Jan: the rapid review, closed, is counted once: sent Tue 29 Dec, 6 late (5 as
    # before and Tue 29); the LCSPR's publication is due Tue 29 Jun 2027; its terms of
    # reference (planned Wed 20 Jan) are overdue by Thu 21 and Fri 22 Jan = 2.
    assert tally(rep["rapid_reviews"]) == (0, 1, 0, 0.0)
    assert late(rep["rapid_reviews"]) == [(rapid, "2026-12-17", "2026-12-29", 6)]
    assert tally(rep["lcsprs"]) == (0, 0, 1, None) and rep["lcsprs"]["withheld"] == 0
    assert overdue(rep) == [(lcspr, "terms_of_reference_agreed", 2, False)]
    assert tally(rep["notifications"]) == (1, 1, 0, 50.0)

    for key, day in LCSPR_DONE:
        milestone(life, lcspr, key, life.on(day))
    if publication == "published":
        milestone(life, lcspr, "publication", life.on(D(2027, 6, 25)))  # due Tue 29 Jun: on time
    else:
        life.on(D(2027, 6, 21))
        record.update_details(chair, lcspr, lead_reviewer="", lead_reviewer_email="", publication_status="withheld",
                              publication_reason=WITHHELD_BECAUSE, expected_version=review_row(lcspr).version)
        with read_session() as s:  # the trail dates the change, so the report does too
            at = s.exec(select(AuditEvent.at).where(AuditEvent.action == "review_details")).one()
        assert at.date() == D(2027, 6, 21)
        with pytest.raises(ValidationFailed):  # a withheld report has no publication date
            milestone(life, lcspr, "publication", life.on(D(2027, 6, 25)))
    assert closing.closure(chair, lcspr).state == publication

    # The action plan Mon 26 Jul: a finding, a recommendation answering it, two actions.
    day = life.on(D(2027, 7, 26))
    milestone(life, lcspr, "action_plan_agreed", day)
    police = agency_id("Police")
    fid = learning.add_finding(manager, "Strategy meetings were held without the police.", day,
                               review_reference=lcspr, today=day)
    rec = learning.add_recommendation(manager, "Police attend every strategy meeting.", day, [police],
                                      finding_id=fid, today=day)
    audit_id = actions.add_action(manager, rec, police, "Dana Owner", None, "Audit strategy meeting attendance.",
                                  D(2027, 10, 29))
    brief_id = actions.add_action(manager, rec, agency_id("Children's social care"), "Sam Carer", None,
                                  "Brief every team manager on the guidance.", D(2027, 11, 26))
    actions.close_action(chair, audit_id, EVIDENCE, version(audit_id), life.on(D(2027, 11, 1)))

    milestone(life, lcspr, "closure", life.on(D(2027, 12, 13)))
    blockers = closing.closure(chair, lcspr).blockers
    assert len(blockers) == 1 and "Sam Carer" in blockers[0]  # the briefing is neither closed nor carried
    carry.carry_action(manager, brief_id, "Learning and improvement sub-group",
                       "The briefings run on into next year's programme.", version(brief_id))
    closing.close_review(manager, lcspr, life.today, review_row(lcspr).version, life.today)
    assert closing.closure(chair, lcspr).state == "closed"

    rep = read(A5)
    # Fri 31 Dec 2027, all time: the notifications and the rapid review as before; the LCSPR
    # published Fri 25 Jun for Tue 29 Jun is on time, or withheld with its reason it is its own
    # line, neither late nor in the percentage; both reviews closed, nothing overdue.
    assert tally(rep["notifications"]) == (1, 1, 0, 50.0)
    assert tally(rep["rapid_reviews"]) == (0, 1, 0, 0.0)
    assert rep["rapid_reviews"]["total"] == 1 and rep["lcsprs"]["total"] + rep["lcsprs"]["withheld"] == 1
    if publication == "published":
        assert tally(rep["lcsprs"]) == (1, 0, 0, 100.0) and rep["lcsprs"]["withheld"] == 0
    else:
        assert tally(rep["lcsprs"]) == (0, 0, 0, None) and rep["lcsprs"]["withheld"] == 1
        held = rep["lcsprs"]["withheld_items"][0]
        assert (held["review"], held["publication_status"], held["reason"], held["due_on"], held["expected_on"]) == (
            lcspr, "withheld", WITHHELD_BECAUSE, "2027-06-29", "2027-06-29")
    assert rep["overdue_milestones"]["total"] == 0
    # The default headline, the 12 months to 31 Dec 2027, counts clocks due from Fri 1 Jan
    # 2027: the LCSPR only; the 2026 clocks stay in the trend.
    twelve = report(A5, period="12m")
    assert (twelve["notifications"]["total"], twelve["rapid_reviews"]["total"]) == (0, 0)
    assert twelve["lcsprs"]["total"] + twelve["lcsprs"]["withheld"] == 1
    assert [g["key"] for g in twelve["notifications"]["by_year"]] == [2026]

    # Re-run for each date, a year on, every figure is what it was then.
    for as_of, then in seen.items():
        assert json.dumps(report(as_of)) == then, as_of
