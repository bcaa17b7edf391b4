"""The demo: every page has something to show, the history obeys the rules, and it is repeatable."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.access import PANEL
from panel.core.clock import add_working_days, working_days_between
from panel.core.db import get_engine, read_session
from panel.core.errors import NotFound, PermissionDenied
from panel.demo import small as demo
from panel.learning import regional as learning_regional
from panel.models import (
    Decision,
    Membership,
    Notification,
    Partnership,
    Referral,
    Review,
    ReviewMilestone,
    ReviewType,
    User,
)
from panel.referrals import service as referrals
from panel.referrals.rules import OPEN_STATUSES
from panel.referrals.service import QueueFilter
from panel.reviews import lifecycle, tracker
from panel.reviews import record as review_record
from panel.reviews.tracker import TrackerFilter
from panel.reviews.types_service import spec_of
from panel.screening import rules as screening
from panel.screening.service import facts_of
from tests.conftest import TODAY


@pytest.fixture
def loaded(db):
    return demo.load(today=TODAY)


def rows(model, *where):
    with read_session() as s:
        return list(s.exec(select(model).where(*where)))


def by_id(model):
    return {x.id: x for x in rows(model)}


def milestones_by_review():
    out: dict[int, list[ReviewMilestone]] = {}
    for m in sorted(rows(ReviewMilestone), key=lambda m: (m.review_id, m.position)):
        out.setdefault(m.review_id, []).append(m)
    return out


def test_every_page_has_something(loaded):
    referrals = rows(Referral)
    parts = by_id(Partnership)
    for p in parts.values():
        statuses = {r.status for r in referrals if r.partnership_id == p.id}
        assert set(OPEN_STATUSES) <= statuses, p.code
    assert len(rows(ReviewType)) == loaded["review types"] == 3 * 11

    signed = {d.referral_id for d in rows(Decision, Decision.status == "signed")}
    decided = {r.id for r in referrals if r.status == "decided"}
    assert decided and signed == decided  # every decided referral, and only those, is signed
    assert loaded["decisions"] == len(decided)

    reviews = rows(Review)
    assert {"open", "closed"} <= {v.status for v in reviews}
    for p in parts.values():  # each partnership's reviews page has work under way
        assert any(v.status == "open" for v in reviews if v.partnership_id == p.id), p.code
    assert loaded["reviews"] == len(reviews)
    assert loaded["milestones"] == len(rows(ReviewMilestone))

    overdue = [m for m in rows(ReviewMilestone) if m.actual_on is None and m.planned_on < TODAY]
    assert overdue and len(overdue) == loaded["overdue milestones"]
    notifications = rows(Notification)
    assert loaded["notifications"] == len(notifications)
    assert any(n.sent_on > n.due_on for n in notifications)
    assert sum(n.sent_on > n.due_on for n in notifications) < len(notifications) / 3  # mostly on time
    departing = rows(Decision, Decision.departs == True)  # noqa: E712
    assert departing and all(len(d.departure_rationale or "") > 20 for d in departing)
    assert not any(d.departure_rationale for d in rows(Decision, Decision.departs == False))  # noqa: E712

    types = by_id(ReviewType)
    rapid = [v for v in reviews if types[v.review_type_id].key == "rapid_review" and v.status == "closed"]
    assert {"lcspr", "no_lcspr"} <= {v.lcspr_decision for v in rapid}
    responses = Counter(v.national_panel_response for v in rapid)
    assert responses["agrees"] > responses["disagrees"] >= 1
    assert all(v.national_panel_note for v in rapid if v.national_panel_response == "disagrees")


def test_history_follows_the_criteria_and_the_lifecycle(loaded):
    referrals = by_id(Referral)
    types = by_id(ReviewType)
    panel_ids: dict[int, set[int]] = {}
    for m in rows(Membership):
        if m.role in PANEL:
            panel_ids.setdefault(m.partnership_id, set()).add(m.user_id)
    notified = Counter()
    for n in rows(Notification):
        r = referrals[n.referral_id]
        due = {x["to"]: x["due"] for x in screening.assess(facts_of(r))["notify"]}
        assert n.due_on.isoformat() == due[n.body]
        assert r.aware_on <= n.sent_on <= TODAY and n.sent_reference
        notified[r.id] += 1

    for d in rows(Decision):
        r, rtype = referrals[d.referral_id], types[d.review_type_id]
        result = screening.assess(facts_of(r))
        assert (d.engine_regime, d.engine_route) == (result["regime"], result["route"])
        assert rtype.partnership_id == r.partnership_id and rtype.regime == d.engine_regime
        assert d.departs == (d.engine_route not in rtype.routes.split(","))
        assert set(json.loads(d.present)) <= panel_ids[r.partnership_id] and json.loads(d.present)
        assert r.aware_on <= d.decided_on <= TODAY and len(d.rationale) > 20
        if d.status == "signed":
            assert d.signed_at is not None and d.version_no == 1
            assert notified[r.id] == len(result["notify"])  # everything due was sent

    decisions = by_id(Decision)
    mss = milestones_by_review()
    for v in rows(Review):
        rtype, d = types[v.review_type_id], decisions[v.decision_id]
        ms = mss[v.id]
        planned = [m.planned_on for m in ms]
        assert planned == sorted(planned), v.reference
        expected = lifecycle.planned_dates(spec_of(rtype), v.started_on, v.notified_on or v.started_on)
        assert {m.key: m.planned_on for m in ms} == expected
        assert [m.key for m in ms] == [m.key for m in spec_of(rtype).milestones]
        assert all(m.actual_on is None or m.actual_on <= TODAY for m in ms)
        assert all(m.actual_on is None for m in ms if m.planned_on >= TODAY)
        assert v.status == ("closed" if all(m.actual_on for m in ms) else "open")
        assert (v.lead_reviewer is not None) == (rtype.key in ("scr", "lcspr"))
        if v.reference.endswith("-R1"):
            assert v.started_on == d.decided_on and rtype.id == d.review_type_id
        if rtype.key == "rapid_review" and v.status == "closed":
            sent = next(m.actual_on for m in ms if m.key == "sent_to_national_panel")
            assert v.sent_to_national_panel_on == sent >= v.started_on
            answers = json.loads(v.lcspr_considerations)
            assert set(answers) == {k for k, _ in screening.LCSPR_CONSIDERATIONS}
            assert set(answers.values()) <= {"yes", "no", "unclear"}
            second = rows(Review, Review.reference == v.reference[:-1] + "2")
            assert bool(second) == (v.lcspr_decision == "lcspr")
            if second:
                decided = next(m.actual_on for m in ms if m.key == "lcspr_decision_recorded")
                assert types[second[0].review_type_id].key == "lcspr"
                assert second[0].started_on == decided


def test_live_queue_has_screening_work_drafts_and_a_notified_case(loaded):
    parts = {p.code: p for p in rows(Partnership)}
    nb = rows(Referral, Referral.partnership_id == parts["NB"].id, Referral.status.in_(OPEN_STATUSES))
    assert len(nb) == 9
    accepted = [r for r in nb if r.status == "accepted"]
    decisions = {d.referral_id: d for d in rows(Decision, Decision.referral_id.in_([r.id for r in accepted]))}
    undecided = [r for r in accepted if r.id not in decisions]
    assert len(undecided) == 2
    assert all(d.status == "draft" and d.signed_by_id is None for d in decisions.values())

    def distance(r):  # working days between today and the notification deadline
        return abs(working_days_between(TODAY, add_working_days(r.aware_on, 5)))

    drafted = [r for r in accepted if r.id in decisions]
    assert drafted and max(map(distance, undecided)) <= min(map(distance, drafted))

    live_notified = [n for n in rows(Notification) if n.referral_id in
                     {r.id for r in rows(Referral, Referral.status == "accepted")}]
    assert len(live_notified) == 1 and live_notified[0].body == "national_panel"
    assert not rows(Review, Review.referral_id.in_([r.id for r in accepted]))


def snapshot() -> dict:
    with read_session() as s:
        refs = {r.id: r.reference for r in s.exec(select(Referral))}
        reviews = {v.id: v.reference for v in s.exec(select(Review))}
        keys = {t.id: t.key for t in s.exec(select(ReviewType))}
        return {
            "referrals": sorted(refs.values()),
            "decisions": sorted((refs[d.referral_id], d.status, keys[d.review_type_id], d.engine_route,
                                 d.departs, d.decided_on) for d in s.exec(select(Decision))),
            "notifications": sorted((refs[n.referral_id], n.body, n.sent_on, n.sent_reference)
                                    for n in s.exec(select(Notification))),
            "reviews": sorted((v.reference, v.status, v.lcspr_decision, v.national_panel_response)
                              for v in s.exec(select(Review))),
            "milestones": sorted((reviews[m.review_id], m.key, m.planned_on, m.actual_on)
                                 for m in s.exec(select(ReviewMilestone))),
        }


def test_two_loads_give_the_same_demo(loaded, tmp_path, another_db):
    first = snapshot()
    get_engine().dispose()
    another_db(tmp_path / "second")
    assert demo.load(today=TODAY) == loaded
    assert snapshot() == first


def test_loads_only_into_an_empty_database(loaded):
    with pytest.raises(RuntimeError, match="empty"):
        demo.load(today=TODAY)


def test_an_earlier_today_gives_working_together_2015_history(db):
    counts = demo.load(today=date(2018, 7, 10))
    types = by_id(ReviewType)
    keys = Counter(types[v.review_type_id].key for v in rows(Review))
    assert keys["scr"] and counts["reviews"] == sum(keys.values())
    assert all(v.lead_reviewer for v in rows(Review) if types[v.review_type_id].key == "scr")
    assert {n.body for n in rows(Notification)} >= {"ofsted"}
    assert "WT2015" in {d.engine_regime for d in rows(Decision)}


def test_demo_regional_account_is_regional_only(loaded):
    """The demo's `regional` account shows the regional role: anonymised learning across the
    partnerships and nothing of their cases. A panel role anywhere would show case data."""
    user = rows(User, User.username == "regional")[0]
    assert user.is_regional and rows(Membership, Membership.user_id == user.id) == []
    me = accounts.actor_for("regional")
    assert me.roles == {}
    queue, total = referrals.queue(me, QueueFilter(), TODAY)
    assert queue.empty and total == 0
    assert tracker.reviews(me, TrackerFilter(), TODAY).empty
    referral = rows(Referral)[0].reference
    review = rows(Review)[0].reference
    with pytest.raises((NotFound, PermissionDenied)):
        referrals.get_referral(me, referral, TODAY)
    with pytest.raises((NotFound, PermissionDenied)):
        review_record.record_details(me, review)
    shared, n, _ = learning_regional.regional_learning(me)
    assert n > 0 and list(shared.columns) == learning_regional.REGIONAL_COLUMNS
    counts = learning_regional.regional_theme_counts(me)
    assert set(counts["partnership"]) == {name for _, name in demo.PARTNERSHIPS}
    # Westvale still has its own panel, so its decisions have someone present and a signer.
    wv = rows(Partnership, Partnership.code == "WV")[0].id
    assert {m.role for m in rows(Membership, Membership.partnership_id == wv)} >= {"chair", "manager"}


def test_demo_shares_learning_and_follows_actions_up(loaded):
    """The Learning events page, the explorer's "Found, done and shared" tab and the register's
    follow-ups have something to show, every row as the services would accept it."""
    from panel.learning import dissemination, follow_up, follow_up_rules, reach
    from panel.learning.actions import RegisterFilter
    from panel.learning.explore import LearningFilter
    from panel.models import Action, LearningEvent, LearningEventAttendance, LearningEventLink

    assert loaded["learning events"] == len(rows(LearningEvent)) >= 6
    assert loaded["follow-ups"] == len(rows(Action, Action.follow_up_on.is_not(None))) >= 6
    manager = accounts.actor_for("manager")
    events = dissemination.list_events(manager)
    assert len(events) >= 2 and (events["attended"] > 0).all() and (events["shared"] != "").all()
    assert all(e.held_on <= TODAY for e in rows(LearningEvent))
    pairs = [(a.event_id, a.agency_id, a.role) for a in rows(LearningEventAttendance)]
    assert len(pairs) == len(set(pairs)) and all(a.attended >= 0 for a in rows(LearningEventAttendance))
    assert {link.entity for link in rows(LearningEventLink)} >= {"review", "recommendation", "source"}
    reached = reach.theme_reach(manager, LearningFilter())
    assert reached["reached"].sum() > 0 and reached["events"].sum() > 0
    due = follow_up.follow_ups_due(manager, RegisterFilter(), TODAY)
    assert set(due["state"]) == {"Follow-up due", "Follow-up overdue"}
    done = rows(Action, Action.follow_up_done_on.is_not(None))
    assert len(done) == len(rows(Partnership))
    for a in rows(Action, Action.follow_up_on.is_not(None)):
        assert a.status == "closed" and follow_up_rules.date_problem(a.follow_up_on, a.closed_on) is None
        if a.follow_up_done_on:
            assert follow_up_rules.result_errors(a.follow_up_done_on, a.follow_up_result, a.closed_on, TODAY) == {}


def test_the_demo_has_documents_whose_files_are_in_the_store_and_name_nobody(demo_db):
    import io

    import docx

    from panel.documents.store import get_store
    from panel.models import AgencyRequest, Document, DocumentVersion

    with read_session() as s:
        rows = s.exec(select(Document, DocumentVersion).join(DocumentVersion)).all()
        answered = s.exec(select(AgencyRequest).where(AgencyRequest.document_id.is_not(None))).all()
    assert {d.kind for d, _ in rows} == {"chronology", "final_report"}
    assert {a.document_id for a in answered} <= {d.id for d, _ in rows} and answered
    shared = [d for d, _ in rows if d.visibility == "partners"]
    assert shared and all(d.kind == "final_report" for d in shared)
    from panel.core import anonymise
    from panel.learning.case_detail import identifiers_by_review

    with read_session() as s:
        ids = identifiers_by_review(s, [d.review_id for d, _ in rows])
    for d, v in rows:
        data = get_store().get(v.sha256)  # checked against its hash
        text = " ".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        assert text and not anonymise.check(text, ids[d.review_id])
