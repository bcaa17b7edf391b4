"""Users record a review's learning themselves (docs/domain.md §7.1): findings with their nature,
agencies and themes; SMART recommendations for target agencies, answering the review's findings,
accepted by the chair or business manager and then changed only with a reason that keeps the
earlier version; and the action plan of each. Every case starts from an empty partnership and
goes through the services; the page tests drive the review page as a manager and a member."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from panel.core.access import SYSTEM, Actor
from panel.core.clock import day
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.learning import actions, findings, overview, recommendations
from panel.models import (
    Action,
    Agency,
    AuditEvent,
    Finding,
    LearningSource,
    Recommendation,
    RecommendationFinding,
    RecommendationRevision,
    Referral,
    Review,
)
from panel.retention import service as retention
from panel.screening import decisions
from panel.themes import service as theme_service
from tests.apptest import shown, signed_in, texts
from tests.conftest import TODAY
from tests.factories import accepted, actor, agency_id, decision_form, empty_nb, nb_id

EARLIER = TODAY - timedelta(days=20)


def new_review(outcome: str = "lcspr") -> str:
    """A review of a new referral on an empty partnership, through the services; themes loaded."""
    empty_nb()
    theme_service.seed_defaults(SYSTEM)
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form(outcome), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def theme(name: str) -> int:
    return next(i for i, n in theme_service.theme_names(SYSTEM).items() if n == name)


def audited(action: str) -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def refused(call, *fields: str) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as e:
        call()
    assert set(e.value.errors) == set(fields), e.value.errors
    return e.value.errors


def a_finding(ref: str, text: str = "Strategy meetings were held without the police.", **kw) -> int:
    return findings.add_finding(actor("member"), text, EARLIER, review_reference=ref, today=TODAY, **kw)


def a_recommendation(ref: str, fids: list[int], **kw) -> int:
    values = {"outcome_sought": "Every strategy meeting hears from the police.",
              "measure": "A re-audit of 20 strategy meetings.", "due_on": TODAY + timedelta(days=180)}
    values.update(kw)
    return recommendations.add_recommendation(
        actor("member"), "Police attend every strategy meeting about a baby.", EARLIER, [agency_id("Police")],
        finding_ids=fids, review_reference=ref, today=TODAY, **values)


# -- findings -------------------------------------------------------------------------------------

def test_a_finding_keeps_its_nature_agencies_and_themes_and_edits_check_the_version(db):
    ref = new_review()
    police, housing = agency_id("Police"), agency_id("Housing")
    fid = a_finding(ref, "Health visitors asked about fathers at every contact.", nature="good_practice",
                    agency_ids=[housing, police], theme_ids=[theme("\"invisible\" men and fathers")])
    [f] = overview.learning_of(actor("member"), review_reference=ref).findings
    assert (f.id, f.number, f.nature, f.version, f.recorded_on) == (fid, 1, "good_practice", 1, EARLIER)
    assert list(f.agencies.values()) == ["Housing", "Police"] and list(f.themes.values()) == ["\"invisible\" men and fathers"]
    with read_session() as s:
        row = s.get(Finding, fid)
    assert (row.review_id, row.source_kind, row.partnership_id) == (overview.learning_of(
        actor("chair"), review_reference=ref).owner.review_id, "review", nb_id())
    findings.edit_finding(actor("manager"), fid, expected_version=1, nature="concern", agency_ids=[police],
                          text="Health visitors did not ask about fathers.", today=TODAY)
    [f] = overview.learning_of(actor("member"), review_reference=ref).findings
    assert (f.nature, f.version, list(f.agencies.values())) == ("concern", 2, ["Police"])
    with pytest.raises(StaleEdit):  # a form opened before that save
        findings.edit_finding(actor("chair"), fid, expected_version=1, text="Overwriting the manager's change.",
                              today=TODAY)
    [edit] = audited("finding_edit")
    assert edit.username == "manager" and json.loads(edit.after)["nature"] == "concern"
    assert json.loads(edit.before)["agency_ids"] == sorted([housing, police])
    add = audited("finding_add")[0]
    assert add.username == "member" and json.loads(add.after)["agency_ids"] == sorted([housing, police])


def test_a_finding_is_refused_without_its_owner_nature_or_a_usable_agency(db):
    ref = new_review()
    member = actor("member")
    refused(lambda: findings.add_finding(member, "Strategy meetings were held without the police.", EARLIER,
                                         today=TODAY), "owner")
    refused(lambda: findings.add_finding(member, "Strategy meetings were held without the police.", EARLIER,
                                         review_reference=ref, source_id=1, today=TODAY), "owner")
    refused(lambda: findings.add_finding(member, "short", TODAY + timedelta(days=1), review_reference=ref,
                                         nature="rumour", today=TODAY), "text", "recorded_on", "nature")
    with transaction() as s:
        gone = s.exec(select(Agency).where(Agency.name == "Housing")).one()
        gone.active = False
        s.add(gone)
    refused(lambda: a_finding(ref, agency_ids=[gone.id]), "agency_ids")
    with pytest.raises(NotFound):
        a_finding("NB-2099-001-R1")
    assert overview.learning_of(member, review_reference=ref).findings == []


# -- recommendations ------------------------------------------------------------------------------

def test_a_recommendation_needs_a_target_agency_its_own_findings_and_a_due_date_after_it(db):
    ref = new_review()
    other = new_review_on_same_partnership()
    mine, theirs = a_finding(ref), a_finding(other, "Another review's finding about schools.")
    refused(lambda: recommendations.add_recommendation(
        actor("member"), "Police attend every strategy meeting.", EARLIER, [], review_reference=ref,
        today=TODAY), "agency_ids")
    refused(lambda: a_recommendation(ref, [mine, theirs]), "finding_ids")
    refused(lambda: a_recommendation(ref, [mine], due_on=EARLIER - timedelta(days=1)), "due_on")
    refused(lambda: recommendations.add_recommendation(
        actor("member"), "Police attend every strategy meeting.", EARLIER, [agency_id("Police")], today=TODAY),
        "finding_ids")
    assert overview.learning_of(actor("member"), review_reference=ref).recommendations == []


def new_review_on_same_partnership() -> str:
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form("rapid_review"), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def test_a_recommendation_links_several_findings_and_takes_their_themes(db):
    ref = new_review()
    first = a_finding(ref, theme_ids=[theme("information sharing")])
    second = a_finding(ref, "The GP did not know of the baby's bruising.", theme_ids=[theme("risk assessment")])
    rid = a_recommendation(ref, [second, first])
    [r] = overview.learning_of(actor("member"), review_reference=ref).recommendations
    assert (r.id, r.status, r.version, r.findings) == (rid, "draft", 1, [first, second])
    assert sorted(r.themes.values()) == ["information sharing", "risk assessment"]
    assert (r.outcome_sought, r.measure, r.due_on) == ("Every strategy meeting hears from the police.",
                                                        "A re-audit of 20 strategy meetings.",
                                                        TODAY + timedelta(days=180))
    with read_session() as s:
        assert s.get(Recommendation, rid).finding_id == first  # the explorer's single finding: the first
        assert len(s.exec(select(RecommendationFinding).where(RecommendationFinding.recommendation_id == rid)).all()) == 2
    recommendations.edit_recommendation(actor("member"), rid, expected_version=1, finding_ids=[second],
                                        today=TODAY)  # a draft changes without a reason, and keeps no revision
    [r] = overview.learning_of(actor("member"), review_reference=ref).recommendations
    assert (r.findings, r.version, r.revisions) == ([second], 2, [])
    with read_session() as s:
        assert s.get(Recommendation, rid).finding_id == second


def test_accepting_locks_a_recommendation_and_a_change_then_needs_a_reason_and_keeps_the_old_version(db):
    ref = new_review()
    fid = a_finding(ref)
    rid = a_recommendation(ref, [fid])
    with pytest.raises(PermissionDenied):
        recommendations.accept_recommendation(actor("member"), rid, TODAY, expected_version=1, today=TODAY)
    refused(lambda: recommendations.accept_recommendation(actor("manager"), rid, EARLIER - timedelta(days=1),
                                                          expected_version=1, today=TODAY), "accepted_on")
    recommendations.accept_recommendation(actor("manager"), rid, TODAY, expected_version=1, today=TODAY)
    refused(lambda: recommendations.accept_recommendation(actor("chair"), rid, TODAY, expected_version=2,
                                                          today=TODAY), "accepted_on")
    change = {"text": "Police attend every strategy meeting about a child under two.",
              "agency_ids": [agency_id("Police"), agency_id("Housing")]}
    errors = refused(lambda: recommendations.edit_recommendation(actor("member"), rid, expected_version=2,
                                                                 today=TODAY, **change), "reason")
    assert "accepted" in errors["reason"]
    refused(lambda: recommendations.edit_recommendation(actor("member"), rid, expected_version=2, reason="Wider.",
                                                        today=TODAY, **change), "reason")
    with pytest.raises(StaleEdit):
        recommendations.edit_recommendation(actor("member"), rid, expected_version=1, today=TODAY,
                                            reason="The panel widened it to health at its March meeting.", **change)
    recommendations.edit_recommendation(actor("member"), rid, expected_version=2, today=TODAY,
                                        reason="The panel widened it to health at its March meeting.", **change)
    [r] = overview.learning_of(actor("member"), review_reference=ref).recommendations
    assert (r.status, r.accepted_on, r.version, r.text) == ("accepted", TODAY, 3, change["text"])
    assert list(r.agencies.values()) == ["Housing", "Police"]
    [old] = r.revisions
    assert (old.version, old.text, old.agencies, old.changed_by) == (
        2, "Police attend every strategy meeting about a baby.", ["Police"], "Northbrook member")
    assert old.reason == "The panel widened it to health at its March meeting."
    with read_session() as s:
        kept = s.exec(select(RecommendationRevision)).one()
    assert (kept.outcome_sought, kept.due_on) == ("Every strategy meeting hears from the police.",
                                                  TODAY + timedelta(days=180))
    # themes alone are how learning is counted, not what was accepted: no reason needed
    recommendations.edit_recommendation(actor("member"), rid, expected_version=3, theme_ids=[theme("recording")],
                                        today=TODAY)
    assert len(overview.learning_of(actor("member"), review_reference=ref).recommendations[0].revisions) == 1
    [accept] = audited("recommendation_accept")
    assert accept.username == "manager" and json.loads(accept.after)["accepted_on"] == TODAY.isoformat()
    assert json.loads(accept.before) == {"status": "draft", "version": 1}
    [edit] = [e for e in audited("recommendation_edit") if e.detail]
    assert edit.detail.startswith("The panel widened") and json.loads(edit.after)["version"] == 3


def test_an_action_is_not_due_before_its_recommendation_was_recorded_or_accepted(db):
    ref = new_review()
    rid = a_recommendation(ref, [a_finding(ref)])
    police, member = agency_id("Police"), actor("member")

    def add(due):
        return actions.add_action(member, rid, police, "Dana Owner", "dana@example.org",
                                  "Audit strategy meeting attendance.", due)

    errors = refused(lambda: add(EARLIER - timedelta(days=1)), "due_on")
    assert "recorded" in errors["due_on"]
    recommendations.accept_recommendation(actor("chair"), rid, TODAY - timedelta(days=2), expected_version=1,
                                          today=TODAY)
    errors = refused(lambda: add(TODAY - timedelta(days=3)), "due_on")
    assert "accepted" in errors["due_on"]
    aid = add(TODAY + timedelta(days=30))
    [r] = overview.learning_of(member, review_reference=ref).recommendations
    assert [(a.id, a.owner_agency, a.owner_name, a.status) for a in r.actions] == [(aid, "Police", "Dana Owner",
                                                                                     "Open")]
    assert audited("action_add")[0].entity_id == aid


def test_learning_of_a_learning_source(db):
    empty_nb()
    with transaction() as s:
        src = LearningSource(partnership_id=nb_id(), kind="case_file_audit", title="Neglect audit 2026")
        s.add(src)
        s.flush()
        sid = src.id
    fid = findings.add_finding(actor("member"), "Chronologies were missing in 6 of 10 cases.", EARLIER,
                               source_id=sid, today=TODAY)
    rid = recommendations.add_recommendation(actor("member"), "Every case file holds a chronology.", EARLIER,
                                             [agency_id("Children's social care")], finding_ids=[fid], today=TODAY)
    with read_session() as s:
        f, r = s.get(Finding, fid), s.get(Recommendation, rid)
    assert (f.source_id, f.source_kind, f.source_title, f.review_id) == (sid, "case_file_audit", "Neglect audit 2026",
                                                                         None)
    assert (r.source_id, r.review_id) == (sid, None)  # owned by the source of the finding it answers
    got = overview.learning_of(actor("chair"), source_id=sid)
    assert ([x.id for x in got.findings], [x.id for x in got.recommendations]) == ([fid], [rid])
    assert (got.can_edit, got.can_accept, got.owner.label) == (True, True, "Neglect audit 2026")
    assert not overview.learning_of(actor("member"), source_id=sid).can_accept
    with pytest.raises(NotFound):
        overview.learning_of(actor("member"), source_id=sid + 1)


def test_anonymising_a_case_redacts_its_recommendations_and_their_earlier_versions(demo_db):
    item = next(i for i in retention.due(SYSTEM, date(2060, 1, 1)) if i.record_type == "referral_with_review")
    with read_session() as s:
        initials = s.get(Referral, item.entity_id).child_initials
        ref = s.exec(select(Review.reference).where(Review.referral_id == item.entity_id)).first()
    rid = recommendations.add_recommendation(SYSTEM, f"Agencies hear {initials} directly.", EARLIER,
                                             [agency_id("Police")], review_reference=ref,
                                             outcome_sought=f"{initials} is heard.", today=TODAY)
    recommendations.accept_recommendation(SYSTEM, rid, TODAY, expected_version=1, today=TODAY)
    recommendations.edit_recommendation(SYSTEM, rid, expected_version=2, text="Agencies hear every child directly.",
                                        reason=f"The panel would not name {initials} here.", today=TODAY)
    retention.apply(SYSTEM, date(2060, 1, 1), ["referral_with_review"])
    with read_session() as s:
        rec = s.get(Recommendation, rid)
        old = s.exec(select(RecommendationRevision).where(RecommendationRevision.recommendation_id == rid)).one()
    assert rec.outcome_sought == old.outcome_sought == "[removed] is heard."
    assert (old.text, old.reason) == ("Agencies hear [removed] directly.", "The panel would not name [removed] here.")


# -- the review page ------------------------------------------------------------------------------

def _by_key(widgets, end: str):
    return next(w for w in widgets if (w.key or "").endswith(end))


def _press(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def _confirmed(at, note: str) -> None:
    """`note` is shown where the user sees it after the rerun: as a toast, and as a success message
    outside every expander (a folded expander would hide it)."""
    assert note in [shown(t.value) for t in at.toast]
    assert note in [shown(m.value) for m in at.success]
    assert not [m for e in at.expander for m in e.success if shown(m.value) == note]


def test_a_manager_records_a_finding_a_recommendation_and_an_action_on_the_review_page(db):
    ref = new_review()
    at = signed_in("manager", "pages/review.py", query={"ref": ref})
    page_text = texts(at)
    assert "Learning: findings, recommendations and actions" in page_text and "No findings recorded yet." in page_text
    _by_key(at.text_area, "_fnew_0_text").input("Strategy meetings were held without the police.")
    _by_key(at.multiselect, "_fnew_0_agencies").select(agency_id("Police"))
    _by_key(at.radio, "_fnew_0_nature").set_value("concern")
    _press(at, "Add finding")
    [f] = overview.learning_of(actor("manager"), review_reference=ref).findings
    assert f.agencies == {agency_id("Police"): "Police"}
    _confirmed(at, "Finding added.")

    # a recommendation without a target agency: the message shows beside the field, nothing saved
    _by_key(at.text_area, "_rnew_0_text").input("Police attend every strategy meeting about a baby.")
    _by_key(at.multiselect, "_rnew_0_findings").select(f.id)
    _by_key(at.text_area, "_rnew_0_outcome").input("Every strategy meeting hears from the police.")
    _press(at, "Add recommendation")
    assert "Choose at least one agency the recommendation is for." in texts(at)
    assert overview.learning_of(actor("manager"), review_reference=ref).recommendations == []
    _by_key(at.multiselect, "_rnew_0_agencies").select(agency_id("Police"))
    _by_key(at.date_input, "_rnew_0_due").set_value(TODAY + timedelta(days=90))
    _press(at, "Add recommendation")
    [r] = overview.learning_of(actor("manager"), review_reference=ref).recommendations
    assert (r.findings, r.outcome_sought, r.due_on) == ([f.id], "Every strategy meeting hears from the police.",
                                                        TODAY + timedelta(days=90))
    _confirmed(at, "Recommendation added.")
    assert "Finding added." not in [shown(m.value) for m in at.success]  # each note shows once

    _press(at, "Accept R1")
    assert overview.learning_of(actor("manager"), review_reference=ref).recommendations[0].status == "accepted"
    _confirmed(at, "R1 accepted.")  # its form is gone with the draft: the note is not
    _by_key(at.text_area, f"_a{r.id}_0_text").input("Audit strategy meeting attendance.")
    _by_key(at.selectbox, f"_a{r.id}_0_agency").set_value(agency_id("Police"))
    _by_key(at.text_input, f"_a{r.id}_0_owner").input("Dana Owner")
    _by_key(at.date_input, f"_a{r.id}_0_due").set_value(TODAY - timedelta(days=1))
    _press(at, "Add action")  # due before the recommendation was accepted
    assert "the action cannot be due before that" in texts(at)
    _by_key(at.date_input, f"_a{r.id}_0_due").set_value(TODAY + timedelta(days=30))
    _press(at, "Add action")
    [r] = overview.learning_of(actor("manager"), review_reference=ref).recommendations
    [a] = r.actions
    assert a.owner_name == "Dana Owner"
    _confirmed(at, "Action added: it is on the action register.")
    links = [el.proto for el in at.get("page_link")]
    assert [(p.label, p.query_string) for p in links if p.label.startswith(f"Action {a.id}: Audit")] == [
        (f"Action {a.id}: Audit strategy meeting attendance\\.", f"id={a.id}")]
    assert f"Police, Dana Owner · due {day(a.due_on)} · Open" in texts(at)
    with read_session() as s:
        version = s.get(Action, a.id).version
    actions.record_progress(actor("member"), a.id, note="The first audit is booked.", status="in_progress",
                            expected_version=version)
    at.run()
    assert f"Police, Dana Owner · due {day(a.due_on)} · In progress" in texts(at)  # a word, not its key
    assert "in_progress" not in texts(at)


def test_a_member_adds_learning_on_the_page_but_cannot_accept(db):
    ref = new_review()
    rid = a_recommendation(ref, [a_finding(ref)])
    at = signed_in("member", "pages/review.py", query={"ref": ref})
    labels = [b.label for b in at.button]
    assert "Add finding" in labels and "Add recommendation" in labels and "Add action" in labels
    assert not any(label.startswith("Accept") for label in labels)
    # an accepted recommendation's edit asks for the reason, beside its field
    recommendations.accept_recommendation(actor("chair"), rid, TODAY, expected_version=1, today=TODAY)
    at.run()
    _by_key(at.text_area, f"_r{rid}_0_text").input("Police attend every strategy meeting about a child.")
    _press(at, "Save recommendation")
    assert "say why it is changing" in texts(at)
    _by_key(at.text_area, f"_r{rid}_0_reason").input("Widened to every child at the March panel.")
    _press(at, "Save recommendation")
    [r] = overview.learning_of(actor("member"), review_reference=ref).recommendations
    assert (r.version, len(r.revisions)) == (3, 1)
    _confirmed(at, "Recommendation saved.")
    assert "Earlier versions (1)" in [e.label for e in at.expander]


def test_learning_of_another_partnership_is_not_found(db):
    ref = new_review()
    stranger = Actor(user_id=None, username="stranger", name="Stranger", roles={nb_id() + 1: frozenset({"chair"})})
    with pytest.raises(NotFound):
        overview.learning_of(stranger, review_reference=ref)
    rid = a_recommendation(ref, [a_finding(ref)])
    with pytest.raises(NotFound):
        recommendations.accept_recommendation(stranger, rid, TODAY, expected_version=1, today=TODAY)
    with pytest.raises(NotFound):
        actions.add_action(stranger, rid, agency_id("Police"), "Dana Owner", None, "Audit attendance.", TODAY)


def test_a_closed_review_shows_its_learning_without_forms(db):
    ref = new_review()
    a_recommendation(ref, [a_finding(ref)])
    with transaction() as s:
        rv = s.exec(select(Review).where(Review.reference == ref)).one()
        rv.status = "closed"
        s.add(rv)
    at = signed_in("manager", "pages/review.py", query={"ref": ref})
    assert "Police attend every strategy meeting about a baby." in texts(at)
    assert "no longer changed here" in texts(at)
    assert not [b.label for b in at.button if b.label in ("Add finding", "Save finding", "Add recommendation",
                                                          "Save recommendation", "Accept R1", "Add action")]
