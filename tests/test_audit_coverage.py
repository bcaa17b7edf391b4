"""Everything is attributable (docs/domain.md §8): every write, every view of a referral or
review, every export and every sign-in (success, failure, sign-out) writes an audit row saying
who, when and what.

Two halves:
- a static walk over every service module: each `with transaction()` block calls the audit
  trail (directly or through a helper that does). A new write without an audit row fails here,
  unless it is listed in UNAUDITED with the reason;
- a dynamic walk through the demo calling each kind of service (views, exports, sign-ins and
  account writes, case writes) and asserting the row it leaves: who, what, which record.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from panel.accounts import audit_log, partnerships, users
from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import NotFound
from panel.documents import service as documents
from panel.learning import actions
from panel.models import AuditEvent, Partnership, Referral, Review
from panel.referrals import service as referrals
from panel.reports import service as reports
from panel.reviews import service as reviews
from panel.screening import decision_log
from tests.architecture import MIN_WRITING_MODULES, service_module_files
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parent.parent
AUDIT_CALLS = {("core.audit", "record"), ("core.audit", "not_found"), ("core.audit", "purge_before")}
# (module, function): why its transaction writes no audit row.
UNAUDITED = {
    ("accounts.service", "check_session"): "the last-activity time (idle expiry), written at most once a "
                                   "minute; a sign-in and an idle sign-out are audited",
    ("accounts.service", "_count_attempt"): "counts a sign-in attempt before its password is checked (so "
                                    "concurrent attempts cannot pass the limit); the attempt's outcome "
                                    "is audited straight after, in its own row",
}


# -- static ------------------------------------------------------------------------------------------

def _calls(node):
    for c in ast.walk(node):
        if isinstance(c, ast.Call):
            f = c.func
            if isinstance(f, ast.Name):
                yield None, f.id
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                yield f.value.id, f.attr


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> module key ('core.audit') for each `from panel.x import y [as z]` of a module."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("panel."):
            for a in node.names:
                out[a.asname or a.name] = f"{node.module.removeprefix('panel.')}.{a.name}"
    return out


def _audit_graph(sources: dict[str, Path] | None = None) -> tuple[dict, set]:
    """The walk over `sources` (module key -> file; every service module by default)."""
    sources = sources if sources is not None else service_module_files()
    trees = {m: ast.parse(p.read_text()) for m, p in sources.items()}
    funcs = {m: {n.name: n for n in ast.walk(t) if isinstance(n, ast.FunctionDef)} for m, t in trees.items()}
    aliases = {m: _aliases(t) for m, t in trees.items()}
    audits: set[tuple[str, str]] = set()

    def is_audit(module, call) -> bool:
        owner, name = call
        target = aliases[module].get(owner) if owner else None
        return ((target, name) in AUDIT_CALLS or (owner is None and module == "core.audit" and name == "record")
                or (owner is None and (module, name) in audits) or (target in funcs and (target, name) in audits))

    grew = True
    while grew:  # a helper that audits makes its callers audit too
        grew = False
        for m, fns in funcs.items():
            for name, node in fns.items():
                if (m, name) not in audits and any(is_audit(m, c) for c in _calls(node)):
                    audits.add((m, name))
                    grew = True
    blocks = set()
    for m, fns in funcs.items():
        for name, fn in fns.items():
            for w in ast.walk(fn):
                if isinstance(w, ast.With) and any(
                        isinstance(i.context_expr, ast.Call) and getattr(i.context_expr.func, "id", "") == "transaction"
                        for i in w.items):
                    blocks.add((m, name, w.lineno, any(is_audit(m, c) for b in w.body for c in _calls(b))))
    return funcs, blocks


def test_every_transaction_in_the_services_writes_an_audit_row():
    _, blocks = _audit_graph()
    assert len(blocks) > 50  # the walk found the services' writes
    assert len({m for m, *_ in blocks}) >= MIN_WRITING_MODULES  # no module dropped out of the walk
    unaudited = {(m, f) for m, f, _, audited in blocks if not audited}
    assert unaudited == set(UNAUDITED), f"writes without an audit row: {sorted(unaudited - set(UNAUDITED))}"


def test_pages_and_app_never_write_themselves():
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        source = path.read_text()
        assert "transaction(" not in source and "get_engine(" not in source, path.name


def test_the_static_walk_would_notice_an_unaudited_write(tmp_path):
    """The check above can fail: a module with a silent write is reported."""
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def bump(x):\n    with transaction() as s:\n        s.add(x)\n")
    _, blocks = _audit_graph({**service_module_files(), "sneaky": sneaky})
    assert ("sneaky", "bump") in {(m, f) for m, f, _, audited in blocks if not audited}


# -- dynamic -----------------------------------------------------------------------------------------

def _last_id() -> int:
    with read_session() as s:
        return max(s.exec(select(AuditEvent.id)).all() or [0])


def _new_rows(since: int) -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.id > since).order_by(AuditEvent.id)))


def expect(call, who: str, action: str, entity: str, entity_id: int | None = None) -> AuditEvent:
    """Run `call`; exactly the expected row (who, action, record type, record) must appear."""
    since = _last_id()
    call()
    rows = [r for r in _new_rows(since) if (r.username, r.action, r.entity) == (who, action, entity)]
    assert rows, f"no audit row {who} {action} {entity}: got {[(r.username, r.action, r.entity) for r in _new_rows(since)]}"
    if entity_id is not None:
        assert rows[-1].entity_id == entity_id
    assert abs(rows[-1].at - datetime.now(UTC)) < timedelta(minutes=1)
    return rows[-1]


def _nb(s) -> int:
    return s.exec(select(Partnership.id).where(Partnership.code == "NB")).one()


def test_views_and_exports_are_audited(demo_db):
    chair, admin, manager = (accounts.actor_for(u) for u in ("chair", "admin", "manager"))
    with read_session() as s:
        nb = _nb(s)
        referral = s.exec(select(Referral).where(Referral.partnership_id == nb)).first()
        review = s.exec(select(Review).join(Referral, Referral.id == Review.referral_id)
                        .where(Referral.partnership_id == nb)).first()
    expect(lambda: referrals.get_referral(chair, referral.reference, TODAY), "chair", "view", "referral", referral.id)
    expect(lambda: reviews.get_review(chair, review.reference, TODAY), "chair", "view", "review", review.id)
    expect(lambda: referrals.export_queue(chair, referrals.QueueFilter(), TODAY, "csv"), "chair", "export", "referral")
    expect(lambda: actions.export_register(manager, actions.RegisterFilter(), TODAY), "manager", "export", "action")
    expect(lambda: reports.timeliness_xlsx(manager, TODAY), "manager", "export", "timeliness_report")
    expect(lambda: decision_log.export_decision_log(chair, decision_log.LogFilter()), "chair", "export", "decision")
    expect(lambda: audit_log.export_csv(admin, audit_log.AuditFilter()), "admin", "export", "audit")
    expect(lambda: audit_log.search(admin, audit_log.AuditFilter()), "admin", "audit_search", "audit")
    # opening a review's document, like opening a case (docs/domain.md §11)
    doc = documents.upload(chair, documents.Target(review=review.reference), kind="other", title="Audited",
                           agency_id=None, visibility="panel", filename="a.pdf", data=b"%PDF-1.4\n%%EOF\n",
                           today=TODAY)
    expect(lambda: documents.download(manager, doc), "manager", "view", "document", doc)
    since = _last_id()
    with pytest.raises(NotFound):
        referrals.get_referral(accounts.actor_for("chair.em"), referral.reference, TODAY)
    assert [(r.username, r.action) for r in _new_rows(since)] == [("chair.em", "not_found")]  # attempt kept


def test_sign_ins_and_sign_outs_are_audited(demo_db, monkeypatch):
    member_id = accounts.actor_for("member").user_id
    expect(lambda: accounts.authenticate("member", "panel-demo-2025"), "member", "login", "user", member_id)
    row = expect(lambda: accounts.authenticate("member", "wrong-password-xx"), "member", "login_failed", "user")
    assert row.detail.startswith("wrong password")
    row = expect(lambda: accounts.authenticate("no.such.person", "x"), "(unknown account)", "login_failed", "user")
    assert "no.such.person" not in row.detail
    expect(lambda: accounts.record_logout("member", everywhere=True), "member", "logout", "user", member_id)
    issued = datetime.now(UTC) + timedelta(seconds=1)
    later = datetime.now(UTC) + timedelta(minutes=45)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    expect(lambda: accounts.check_session("member", issued), "member", "logout", "user", member_id)


def test_account_writes_are_audited(demo_db):
    admin = accounts.actor_for("admin")
    with read_session() as s:
        nb = _nb(s)
    new_id = expect(lambda: accounts.create_user(admin, username="j.smith", name="J Smith", email="j@example.org",
                                                 password="a-long-new-passphrase", memberships=[("NB", "member")]),
                    "admin", "create", "user").entity_id
    expect(lambda: users.set_role(admin, "j.smith", nb, "chair", True), "admin", "role_grant", "user", new_id)
    expect(lambda: users.set_role(admin, "j.smith", nb, "chair", False), "admin", "role_remove", "user", new_id)
    expect(lambda: users.set_active(admin, "j.smith", False), "admin", "disable", "user", new_id)
    expect(lambda: users.set_active(admin, "j.smith", True), "admin", "enable", "user", new_id)
    expect(lambda: accounts.unlock_user(admin, "j.smith"), "admin", "unlock", "user", new_id)
    expect(lambda: accounts.set_password(admin, "j.smith", "another-long-passphrase"),
           "admin", "password_reset", "user", new_id)
    expect(lambda: users.sign_out_everywhere(admin, "j.smith"), "admin", "sign_out_everywhere", "user", new_id)
    expect(lambda: accounts.set_presentation_mode(accounts.actor_for("j.smith"), True),
           "j.smith", "presentation_mode", "user", new_id)
    expect(lambda: partnerships.create_partnership(SYSTEM, "ZZ", "Zedshire Safeguarding Children Partnership"),
           "system", "create", "partnership")


def test_a_case_write_is_audited_with_its_partnership(demo_db):
    chair = accounts.actor_for("chair")
    with read_session() as s:
        nb = _nb(s)
        referral = s.exec(select(Referral).where(Referral.partnership_id == nb, Referral.status == "new")).first()
    row = expect(lambda: referrals.triage(chair, referral.reference, "request_information", "Please send the chronology.",
                                          referral.version), "chair", "triage", "referral", referral.id)
    assert row.partnership_id == nb


def test_agency_review_type_and_partnership_writes_are_audited(demo_db):
    from panel.agencies import service as agency_service
    from panel.reviews import types_service as review_types

    admin = accounts.actor_for("admin")
    with read_session() as s:
        nb = _nb(s)
    added = expect(lambda: agency_service.add_agency(admin, "Family hubs", "local_authority"),
                   "admin", "create", "agency").entity_id
    expect(lambda: agency_service.update_agency(admin, added, name="Family hubs service", kind="local_authority",
                                                statutory=False), "admin", "update", "agency", added)
    expect(lambda: agency_service.set_active(admin, added, False), "admin", "retire", "agency", added)
    expect(lambda: agency_service.set_active(admin, added, True), "admin", "restore", "agency", added)
    other = agency_service.add_agency(admin, "Family centres", "local_authority")
    expect(lambda: agency_service.merge_agencies(admin, added, other), "admin", "merge", "agency", added)
    expect(lambda: agency_service.import_agencies(admin, b"name,kind\nDentists,health\n", "a.csv"),
           "admin", "create", "agency")
    type_id = expect(lambda: review_types.add_type(
        admin, nb, name="Thematic review", regime="WT2018", statutory=False, routes=["no_review"],
        creates_review=False, description="", milestones=[]), "admin", "create", "review_type").entity_id
    expect(lambda: review_types.delete_type(admin, type_id), "admin", "delete", "review_type", type_id)
    expect(lambda: partnerships.update_partnership(admin, nb, "Northbrook SCP", "Northbrook"),
           "admin", "update", "partnership", nb)


def test_the_notification_ready_to_send_is_audited_on_the_childs_referral(db):
    """It shows the child's details: a view, as opening the referral is; each download is an
    export; recording it sent is a notification on every child's referral it covered."""
    from panel.notifications import service as notifications
    from tests.factories import accepted, empty_nb

    empty_nb()
    chair = accounts.actor_for("chair")
    ref = accepted()
    with read_session() as s:
        rid = s.exec(select(Referral.id).where(Referral.reference == ref)).one()
    expect(lambda: notifications.prepare(chair, ref, TODAY), "chair", "view", "referral", rid)
    expect(lambda: notifications.download(chair, ref, "national_panel", "docx", TODAY), "chair", "export", "referral", rid)
    expect(lambda: notifications.record_sent(chair, ref, "national_panel", TODAY, "CINS-5", TODAY),
           "chair", "notification", "referral", rid)


def test_a_partners_sign_off_of_the_final_report_is_audited_on_the_report(db):
    """Recording who signed the final report off for a partner (docs/domain.md §11) is a write on
    the report's document, in its partnership, naming the partner and the version signed."""
    from panel.documents import signoffs
    from panel.screening import decisions
    from tests.document_files import docx_bytes
    from tests.factories import accepted, decision_form, empty_nb

    nb = empty_nb()
    chair = accounts.actor_for("chair")
    did = decisions.record_decision(accounts.actor_for("member"), accepted(), decision_form("lcspr"), TODAY)
    ref = decisions.sign_decision(chair, did, TODAY, attendance_confirmed=True)
    doc = documents.upload(chair, documents.Target(review=ref), kind="final_report", title="Final report",
                           agency_id=None, visibility="panel", filename="f.docx", data=docx_bytes(["Child X."]),
                           today=TODAY)
    row = expect(lambda: signoffs.record_final_report_sign_off(chair, ref, "health", "Dr Lee, Designated Nurse",
                                                               TODAY, 1, TODAY),
                 "chair", "final_report_sign_off", "document", doc)
    assert row.partnership_id == nb and '"partner": "health"' in row.after and '"version": 1' in row.after
