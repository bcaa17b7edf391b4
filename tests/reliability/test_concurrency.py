"""Concurrent edits: many processes read a record, then save a change built on
what they read, through the real services. Optimistic locking must refuse every save whose
version is stale, and every save it accepts must be in the final state: no lost updates.

Each successful edit appends a unique token to a field (read-modify-write, so a lost update
drops a token) or adds a note carrying its token, and bumps the record's version."""

from __future__ import annotations

import multiprocessing
import random
import time

import pytest
from sqlmodel import func, select

from panel.accounts import service as accounts
from panel.core.db import get_engine, read_session
from panel.core.errors import StaleEdit
from panel.learning import actions
from panel.models import Action, ActionNote, AuditEvent, Referral, Review
from panel.referrals import service as referrals
from panel.reviews import record as review_record
from tests.apptest import signed_in
from tests.conftest import TODAY

PROCESSES, EDITS = 6, 45
KINDS = ("referral", "review", "action")
WHO = {"referral": ("chair", "member"), "review": ("chair", "manager"), "action": ("member", "manager")}


def _targets() -> dict:
    """An open NB referral, an open NB review and an open NB action from the demo."""
    with read_session() as s:
        nb = accounts.actor_for("chair").partnerships_with("referral.triage")[0]
        ref = s.exec(select(Referral.reference).where(Referral.partnership_id == nb, Referral.status == "new")
                     .order_by(Referral.id)).first()
        rv = s.exec(select(Review.reference).where(Review.partnership_id == nb, Review.status == "open")
                    .order_by(Review.id)).first()
        act = s.exec(select(Action.id).where(Action.partnership_id == nb, Action.status != "closed")
                     .order_by(Action.id)).first()
    assert ref and rv and act, "the demo has an open referral, review and action in NB"
    return {"referral": ref, "review": rv, "action": act}


def _read(kind: str, who, target) -> tuple[int, str]:
    """The version and the text the user's form would show."""
    if kind == "referral":
        r = referrals.get_referral(who, target, TODAY, record_view=False).referral
        return r.version, r.status_note or ""
    with read_session() as s:
        if kind == "review":
            rv = s.exec(select(Review).where(Review.reference == target)).one()
            return rv.version, rv.publication_reason or ""
        return s.get(Action, target).version, ""


def _save(kind: str, who, target, version: int, text: str, token: str) -> None:
    if kind == "referral":
        referrals.triage(who, target, "request_information", text + token, version)
    elif kind == "review":
        review_record.update_details(who, target, lead_reviewer="A Reviewer", lead_reviewer_email="",
                                     publication_status="delayed", publication_reason=text + token,
                                     expected_version=version)
    else:
        actions.record_progress(who, target, f"Progress note {token}", "in_progress", version)


def _worker(w: int, targets: dict, out) -> None:
    rng = random.Random(w)
    users = {k: [accounts.actor_for(u) for u in names] for k, names in WHO.items()}
    results = []
    for i in range(EDITS):
        kind = KINDS[(w + i) % 3]
        who = users[kind][i % 2]
        token = f"<{w}.{i}>"
        try:
            version, text = _read(kind, who, targets[kind])
            time.sleep(rng.random() * 0.004)  # the user types while others save
            _save(kind, who, targets[kind], version, text, token)
            results.append((kind, token, "ok"))
        except StaleEdit:
            results.append((kind, token, "stale"))
        except Exception as e:  # noqa: BLE001 - anything else is a failure the test reports
            results.append((kind, token, f"error: {type(e).__name__}: {e}"[:300]))
    out.put(results)


def _state(targets: dict) -> dict:
    with read_session() as s:
        r = s.exec(select(Referral).where(Referral.reference == targets["referral"])).one()
        rv = s.exec(select(Review).where(Review.reference == targets["review"])).one()
        a = s.get(Action, targets["action"])
        notes = s.exec(select(ActionNote.text).where(ActionNote.action_id == a.id)).all()
        triage_audits = s.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity == "referral", AuditEvent.entity_id == r.id, AuditEvent.action == "triage")).one()
    return {"referral": (r.version, r.status_note or ""), "review": (rv.version, rv.publication_reason or ""),
            "action": (a.version, " ".join(notes)), "triage_audits": triage_audits}


def test_concurrent_saves_lose_no_update(demo_db):
    targets = _targets()
    review_record.update_details(accounts.actor_for("manager"), targets["review"], lead_reviewer="A Reviewer",
                                 lead_reviewer_email="", publication_status="delayed",
                                 publication_reason="Criminal proceedings continue. ",
                                 expected_version=_read("review", None, targets["review"])[0])
    before = _state(targets)
    get_engine().dispose()  # children open their own connections
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(w, targets, out)) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    results = [row for _ in procs for row in out.get(timeout=120)]
    for p in procs:
        p.join(timeout=30)
    errors = [r for r in results if r[2].startswith("error")]
    assert not errors, errors[:5]
    after = _state(targets)

    ok = [r for r in results if r[2] == "ok"]
    stale = [r for r in results if r[2] == "stale"]
    lost = 0
    for kind in KINDS:
        mine = [token for k, token, outcome in ok if k == kind]
        v0, text0 = before[kind]
        v1, text1 = after[kind]
        assert v1 - v0 == len(mine), f"{kind}: version moved {v1 - v0} for {len(mine)} accepted saves"
        lost += sum(1 for token in mine if token not in text1)
        refused = [token for k, token, outcome in stale if k == kind]
        assert not [t for t in refused if t in text1], f"{kind}: a refused save left a trace"
    assert after["triage_audits"] - before["triage_audits"] == sum(1 for r in ok if r[0] == "referral")
    print(f"\nlost updates: {lost} of {len(ok)} successful edits ({len(stale)} refused as stale)")
    assert lost == 0
    assert len(ok) + len(stale) == PROCESSES * EDITS
    assert stale and ok, "the edits really did race"


def test_a_refused_save_changes_nothing_and_says_why(demo_db):
    targets = _targets()
    chair, member = accounts.actor_for("chair"), accounts.actor_for("member")
    version, _ = _read("referral", chair, targets["referral"])
    referrals.triage(member, targets["referral"], "request_information", "Send the chronology.", version)
    before = _state(targets)
    with read_session() as s:
        audits = s.exec(select(func.count()).select_from(AuditEvent)).one()
    with pytest.raises(StaleEdit) as e:  # the chair's form still holds the old version
        referrals.triage(chair, targets["referral"], "close", "Not for the panel: no harm.", version)
    assert "changed by someone else after you opened it" in str(e.value)
    assert "Your input is kept below" in str(e.value)
    assert _state(targets) == before
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(AuditEvent)).one() == audits
    stale_action = _read("action", None, targets["action"])[0] - 1
    with pytest.raises(StaleEdit, match="This action was changed by someone else"):
        actions.record_progress(member, targets["action"], "Late note.", "in_progress", stale_action)
    assert _state(targets) == before


def test_after_a_stale_refusal_the_typed_note_is_still_in_the_form(demo_db):
    targets = _targets()
    ref = targets["referral"]
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    version, _ = _read("referral", accounts.actor_for("member"), ref)
    referrals.triage(accounts.actor_for("member"), ref, "request_information", "Send the chronology.", version)
    typed = "Closed: the injury was accidental, seen by the GP the same day."
    at.radio(key="triage_action").set_value("close")
    at.text_area(key="triage_note").input(typed)
    [b for b in at.button if b.label == "Record triage"][0].click().run()
    assert not at.exception
    assert any("changed by someone else" in e.value for e in at.error)
    assert at.text_area(key="triage_note").value == typed
    assert at.radio(key="triage_action").value == "close"
    r = referrals.get_referral(accounts.actor_for("chair"), ref, TODAY, record_view=False).referral
    assert (r.status, r.status_note) == ("awaiting_information", "Send the chronology.")
