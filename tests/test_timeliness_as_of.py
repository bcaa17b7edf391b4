"""The timeliness figures as they stood at the end of the as-of date (docs/domain.md §6.4,
docs/timeliness-report.md "As of a date"): nothing dated after it changes them.

First on generated cases at the pure level (`build_report` of a world, and of the same world
with every event after the date taken out, are the same), then through the services on an
empty installation: a case recorded, the report for a date kept, later events recorded, and
the report for that date unchanged to the byte.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from panel.accounts.service import actor_for, create_user
from panel.core.access import SYSTEM
from panel.core.clock import add_working_days
from panel.core.db import transaction
from panel.models import Partnership, Referral, Review
from panel.referrals import service as referrals
from panel.reports import service as reports
from panel.reports import timeliness
from panel.reviews import record, types_service
from panel.reviews import service as review_service
from panel.screening import decisions
from panel.screening import service as screening
from panel.screening.rules import LCSPR_CONSIDERATIONS
from tests.conftest import TODAY
from tests.factories import referral_form, review_row, setup_installation

# -- the pure level: a generated world, and the same world as it stood on the as-of date ----------

BODIES = ("ofsted", "national_panel", "safeguarding_partners", "secretary_of_state")
SIN = ("national_panel", "ofsted")
OUTCOMES = ("rapid_review", "lcspr", "local_learning_review")
STATUSES = ("planned", "delayed", "withheld")
RAPID_KEYS = ("agency_summaries_requested", "agency_summaries_due", "sent_to_national_panel")
LCSPR_KEYS = ("terms_of_reference_agreed", "reviewer_commissioned", "publication", "closure")
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 6, 30))


def later(day: date, upto: int = 300) -> st.SearchStrategy[date]:
    return st.integers(0, upto).map(lambda n: day + timedelta(days=n))


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


@st.composite
def reviews(draw, ref: str, aware: date, n: int) -> dict:
    kind = draw(st.sampled_from(("rapid_review", "lcspr")))
    started = draw(later(aware, 120))
    keys = RAPID_KEYS if kind == "rapid_review" else LCSPR_KEYS
    milestones = [{"key": k, "position": i, "statutory": k in ("sent_to_national_panel", "publication"),
                   # planned from the notification, a plan can fall before the decision
                   "planned_on": started + timedelta(days=draw(st.integers(-20, 250))),
                   "actual_on": draw(maybe(later(started, 250)))} for i, k in enumerate(keys)]
    changes = sorted(draw(st.lists(st.tuples(later(started, 400), st.sampled_from(STATUSES),
                                             st.sampled_from(("", "Criminal proceedings first."))),
                                   max_size=2)))
    return {"review": f"{ref}-R{n}", "kind": kind, "started_on": started,
            "notified_on": draw(maybe(later(aware, 150))), "sent_on": draw(maybe(later(started, 150))),
            "closed_on": draw(maybe(later(started, 500))),
            "superseded_on": draw(maybe(later(started, 200))),
            "first_status": draw(st.sampled_from(STATUSES)), "changes": changes,
            "milestones": milestones}


@st.composite
def cases(draw, n: int) -> dict:
    aware = draw(days)
    ref = f"{draw(st.sampled_from(('NB', 'EM')))}-2025-{n:03d}"
    sent = draw(st.dictionaries(st.sampled_from(BODIES), later(aware, 60), max_size=3))
    return {"referral": ref, "partnership": ref[:2], "aware_on": aware,
            "called": draw(st.sets(st.sampled_from(BODIES), max_size=3)), "sent": sent,
            # a tracker's due date, off the statute by a few days
            "recorded_shift": draw(st.integers(-2, 3)),
            "triage_closed_on": draw(maybe(later(aware, 200))),
            "outcomes": draw(st.lists(st.tuples(later(aware, 300), st.sampled_from(OUTCOMES)), max_size=3)),
            "reviews": [draw(reviews(ref, aware, i + 1)) for i in range(draw(st.integers(0, 2)))]}


worlds = st.integers(1, 5).flatmap(lambda k: st.tuples(*(cases(i + 1) for i in range(k)))).map(list)


def as_it_stood(world: list[dict], as_of: date) -> list[dict]:
    """The world with every event dated after `as_of` taken out: what was known at its end."""
    def by(day):
        return day if day is not None and day <= as_of else None

    out = []
    for c in world:
        if c["aware_on"] > as_of:
            continue  # the authority was not aware yet
        kept = []
        for rv in c["reviews"]:
            if rv["started_on"] > as_of:
                continue  # not decided yet
            kept.append({**rv, "notified_on": by(rv["notified_on"]), "sent_on": by(rv["sent_on"]),
                         "closed_on": by(rv["closed_on"]), "superseded_on": by(rv["superseded_on"]),
                         "changes": [ch for ch in rv["changes"] if ch[0] <= as_of],
                         "milestones": [{**m, "actual_on": by(m["actual_on"])} for m in rv["milestones"]]})
        out.append({**c, "sent": {b: d for b, d in c["sent"].items() if d <= as_of},
                    "triage_closed_on": by(c["triage_closed_on"]),
                    "outcomes": [o for o in c["outcomes"] if o[0] <= as_of], "reviews": kept})
    return out


def rows(world: list[dict]) -> dict[str, list[dict]]:
    """The world as the service hands it to build_report."""
    out: dict[str, list[dict]] = {"notifications": [], "rapid_reviews": [], "lcsprs": [], "milestones": []}
    for c in world:
        statutory = add_working_days(c["aware_on"], 5)
        for body in BODIES:
            if body not in c["called"] and body not in c["sent"]:
                continue
            recorded = statutory + timedelta(days=c["recorded_shift"]) if body in c["sent"] else statutory
            out["notifications"].append({
                "referral": c["referral"], "partnership": c["partnership"], "body": body,
                "aware_on": c["aware_on"], "due_on": recorded, "sent_on": c["sent"].get(body),
                "called": body in c["called"], "closed_on": c["triage_closed_on"],
                "outcomes": c["outcomes"]})
        sin = [d for b, d in c["sent"].items() if b in SIN]
        for rv in c["reviews"]:
            actual = {m["key"]: m["actual_on"] for m in rv["milestones"]}
            planned = {m["key"]: m["planned_on"] for m in rv["milestones"]}
            common = {"review": rv["review"], "referral": c["referral"], "partnership": c["partnership"],
                      "review_type": rv["kind"], "superseded_on": rv["superseded_on"]}
            status, reason = rv["first_status"], ""
            history = [(None, rv["first_status"], "")]
            for on, st_, why in rv["changes"]:
                status, reason = st_, why
                history.append((on, st_, why))
            if rv["kind"] == "rapid_review":
                out["rapid_reviews"].append({
                    **common, "started_on": rv["started_on"], "aware_on": c["aware_on"],
                    "notified_on": rv["notified_on"], "referral_notified_on": min(sin, default=None),
                    "sent_on": rv["sent_on"], "milestone_sent_on": actual.get("sent_to_national_panel")})
            else:
                out["lcsprs"].append({
                    **common, "decided_on": rv["started_on"], "published_on": actual.get("publication"),
                    "publication_status": status, "publication_reason": reason,
                    "publication_history": history, "expected_on": planned.get("publication")})
            state = ("superseded" if rv["superseded_on"] else "closed" if rv["closed_on"] else "open")
            for m in rv["milestones"]:
                out["milestones"].append({
                    **m, "review": rv["review"], "referral": c["referral"], "partnership": c["partnership"],
                    "review_type": rv["kind"], "name": m["key"], "review_status": state,
                    "review_started_on": rv["started_on"], "review_closed_on": rv["closed_on"],
                    "review_superseded_on": rv["superseded_on"]})
    return out


def report_json(as_of: date, world: list[dict], period: str) -> str:
    return json.dumps(timeliness.build_report(as_of, **rows(world), period=period))


@settings(max_examples=150, deadline=None)
@given(worlds, days, st.sampled_from(("12m", "all", "2025")))
def test_events_after_the_as_of_date_never_change_its_report(world, as_of, period):
    assert report_json(as_of, world, period) == report_json(as_of, as_it_stood(world, as_of), period)


def test_the_world_is_read_as_the_service_hands_it_over():
    # One case by hand, so the property above is known to exercise every rule it claims to.
    aware = date(2025, 3, 3)  # notify by Mon 10 Mar
    case = {"referral": "NB-2025-001", "partnership": "NB", "aware_on": aware,
            "called": {"national_panel"}, "sent": {"national_panel": date(2025, 4, 2), "ofsted": date(2025, 4, 2)},
            "recorded_shift": 1, "triage_closed_on": None,
            "outcomes": [(date(2025, 3, 5), "rapid_review"), (date(2025, 6, 2), "lcspr")],
            "reviews": [{"review": "NB-2025-001-R1", "kind": "rapid_review", "started_on": date(2025, 3, 5),
                         "notified_on": date(2025, 4, 2), "sent_on": None, "closed_on": date(2025, 6, 2),
                         "superseded_on": None, "first_status": "planned", "changes": [],
                         "milestones": [{"key": "agency_summaries_requested", "position": 0, "statutory": False,
                                         "planned_on": date(2025, 3, 11), "actual_on": date(2025, 4, 3)}]}]}
    report = timeliness.build_report(date(2025, 3, 28), **rows([case]), period="all")
    note = report["notifications"]
    # As of 28 March: the National Panel's notification is late and unsent, the outcome is the
    # rapid review; Ofsted, not called for and told only in April, is no item yet.
    assert [(i["body"], i["sent"], i["review_type"], i["recorded_due_on"]) for i in note["late_items"]] == [
        ("national_panel", False, "rapid_review", None)]
    assert note["total"] == 1 and note["not_yet_due"] == 0
    # Day 0 is the notification's due date, Mon 10 Mar: day 15 is Mon 31 Mar, not yet due.
    assert report["rapid_reviews"]["not_yet_due"] == 1
    # The review, closed only in June, was open: its day-1 milestone is overdue.
    assert [i["milestone"] for i in report["overdue_milestones"]["items"]] == ["agency_summaries_requested"]
    later_report = timeliness.build_report(date(2025, 6, 30), **rows([case]), period="all")
    # By June both were sent, late: Ofsted's is counted now it was told.
    assert [(i["body"], i["sent"]) for i in later_report["notifications"]["late_items"]] == [
        ("national_panel", True), ("ofsted", True)]
    assert later_report["notifications"]["late_items"][0]["review_type"] == "lcspr"
    assert later_report["overdue_milestones"]["total"] == 0


# -- through the services: a case recorded, then later events ------------------------------------

AWARE = date(2025, 3, 3)  # a Monday: notify by Mon 10 Mar 2025
DECIDED = date(2025, 3, 5)
D1 = date(2025, 3, 28)  # before the notification was sent
NOTIFIED = date(2025, 4, 2)
LCSPR_DECIDED = date(2025, 4, 23)  # publication due Thu 23 Oct 2025
D2 = date(2025, 10, 31)  # the LCSPR unpublished and late
PUBLISHED = date(2025, 12, 1)


@pytest.fixture
def case(db):
    """An installation with no cases and a chair, a member and a manager in NB."""
    setup_installation()
    for username, role in (("tt.chair", "chair"), ("tt.member", "member"), ("tt.manager", "manager")):
        create_user(SYSTEM, username=username, name=username.replace(".", " ").title(),
                    email=f"{username}@example.org", password="a long test password",
                    memberships=[("NB", role)])
    with transaction() as s:
        return s.exec(select(Partnership.id).where(Partnership.code == "NB")).one()


def submit(pid: int, aware: date, **extra) -> str:
    chair = actor_for("tt.chair")
    form = referral_form(aware_on=aware, received_on=aware + timedelta(days=1),
                         incident_date=aware - timedelta(days=1), **extra)
    ref = referrals.submit(chair, pid, form, TODAY).reference
    referrals.triage(chair, ref, "accept", "", version(ref))
    return ref


def version(ref: str) -> int:
    with transaction() as s:
        return s.exec(select(Referral.version).where(Referral.reference == ref)).one()


def decide(pid: int, ref: str, outcome: str, decided_on: date) -> str | None:
    chair = actor_for("tt.chair")
    members = [actor_for(u).user_id for u in ("tt.chair", "tt.member")]
    outcome_id = next(t.id for t in types_service.list_types(chair, pid) if t.key == outcome)
    form = decisions.DecisionForm(review_type_id=outcome_id, rationale="A serious child "
                                  "safeguarding case: known abuse, serious harm.", present=members,
                                  apologies=[], conflicts=[], decided_on=decided_on)
    decision_id = decisions.record_decision(chair, ref, form, TODAY)
    return decisions.sign_decision(chair, decision_id, TODAY, attendance_confirmed=True)


def milestone(ref: str, key: str, day: date) -> None:
    record.record_milestone(actor_for("tt.chair"), ref, key, day, review_row(ref).version, TODAY)


def snapshot(pid: int, as_of: date) -> str:
    return json.dumps(reports.timeliness(actor_for("tt.manager"), as_of, [pid], "all"), indent=2)


def test_later_events_leave_the_report_for_a_date_as_it_was(case):
    pid = case
    chair = actor_for("tt.chair")
    ref = submit(pid, AWARE)
    rapid = decide(pid, ref, "rapid_review", DECIDED)
    other = submit(pid, date(2025, 3, 17))  # notify by Mon 24 Mar; closed at triage much later

    first = snapshot(pid, D1)
    report = json.loads(first)
    # Before the notification, day 0 is its due date (Mon 10 Mar): day 15 is Mon 31 Mar.
    assert report["rapid_reviews"]["not_yet_due"] == 1
    assert [(i["referral"], i["sent"]) for i in report["notifications"]["late_items"]] == [
        (ref, False), (ref, False), (other, False), (other, False)]
    overdue = [i["milestone"] for i in report["overdue_milestones"]["items"]]
    assert overdue == ["agency_summaries_requested", "agency_summaries_due", "panel_analysis"]

    # April: notified (the rapid review re-plans from it), the review done and an LCSPR decided.
    for body in ("national_panel", "safeguarding_partners"):
        screening.record_notification(chair, ref, body, NOTIFIED, "", TODAY)
    milestone(rapid, "agency_summaries_requested", date(2025, 4, 3))
    milestone(rapid, "agency_summaries_due", date(2025, 4, 16))
    milestone(rapid, "panel_analysis", date(2025, 4, 17))
    lcspr = review_service.record_rapid_review_outcome(
        chair, rapid, considerations={k: "yes" for k, _ in LCSPR_CONSIDERATIONS}, lcspr_decision="lcspr",
        sent_on=LCSPR_DECIDED, response=None, response_note="", expected_version=review_row(rapid).version,
        today=TODAY, decided_on=LCSPR_DECIDED)
    assert snapshot(pid, D1) == first

    second = snapshot(pid, D2)
    report = json.loads(second)
    assert [i["review"] for i in report["lcsprs"]["late_items"]] == [lcspr]
    assert report["lcsprs"]["withheld"] == 0
    assert lcspr in {i["review"] for i in report["overdue_milestones"]["items"]}

    # After 31 October: publication delayed with a reason (recorded today), published in
    # December, the LCSPR closed with milestones skipped, the other referral closed at triage,
    # and a new case the authority learnt of in November.
    record.update_details(chair, lcspr, lead_reviewer="", lead_reviewer_email="", publication_status="delayed",
                          publication_reason="Criminal trial listed for spring.",
                          expected_version=review_row(lcspr).version)
    milestone(lcspr, "publication", PUBLISHED)
    with transaction() as s:  # closure: its milestone recorded, the review closed that day
        rv = s.exec(select(Review).where(Review.reference == lcspr)).one()
        rv.status, rv.closed_on = "closed", PUBLISHED
        s.add(rv)
    referrals.triage(chair, other, "close", "Not for the panel: single-agency learning.", version(other))
    submit(pid, date(2025, 11, 3))

    assert snapshot(pid, D1) == first
    assert snapshot(pid, D2) == second
    assert snapshot(pid, date(2025, 12, 31)) != second

