"""Access is checked on every call: every service call x every role x own/other partnership,
against PERMISSIONS.

The call table below names every public function whose first parameter is `actor` in the
modules `tests.architecture.service_modules` lists; `test_every_service_function_is_in_the_call_table`
fails when one is added without a row here, so the matrix cannot silently fall behind the services.

Each row says which permission the call needs (any of several, where the service accepts any)
and how to call it for a record of one partnership. "Own" is Northbrook (NB); "other" is Westvale
(WV), where no tested account holds a role: in this module's copy of the demo the administrator
loses its WV membership (it keeps NB and EM), so that every account has a partnership that is not
theirs. The regional account holds no role anywhere (it reads anonymised learning only).
Expected outcome comes from PERMISSIONS and the roles each demo account holds (written out below,
not read back through `Actor.can`).

Kinds of row:
  record  the call names one record: allowed -> it succeeds; refused -> PermissionDenied or
          NotFound (or the row's documented refusal), and a refused write leaves every table
          but the audit trail unchanged (the audit trail gains only "not_found" rows).
  scope   the call takes a partnership filter: allowed -> it returns that partnership's data;
          refused -> PermissionDenied or nothing from that partnership.
  listing the call has no partnership argument and lists what the actor may see: "own" -> NB's
          references are visible iff allowed there; "other" -> WV's never are.
  global  the call is not about a partnership (administration, the theme taxonomy, regional
          learning): one cell per role, allowed iff the role holds the permission anywhere.
  own     the call changes only the actor's own account (a preference): one cell per role,
          allowed for every signed-in user, and no other user's row changes.

Regenerate docs/access.md with `.venv/bin/python -m tests.test_access_matrix`.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlmodel import select

from panel.accounts import audit_log, partnerships, setup, users
from panel.accounts import own as own_account
from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.core import audit as audit_svc
from panel.core import mail
from panel.core.access import PERMISSIONS, ROLES, SYSTEM, Actor
from panel.core.db import dispose_engine, get_engine, read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, ValidationFailed
from panel.demo.small import DEMO_PASSWORD
from panel.documents import checks as document_checks
from panel.documents import service as documents
from panel.documents import signoffs as document_signoffs
from panel.documents.store import get_store
from panel.drafting import rules as drafting_rules
from panel.drafting import service as drafting
from panel.learning import actions, briefings, carry, library
from panel.learning import dissemination as learning_events
from panel.learning import explore as learning_explore
from panel.learning import findings as learning_findings
from panel.learning import follow_up as learning_follow_up
from panel.learning import overview as learning_overview
from panel.learning import reach as learning_reach
from panel.learning import recommendations as learning_recs
from panel.learning import regional as learning_regional
from panel.learning import search as learning_search
from panel.learning import service as learning
from panel.learning import sources as learning_sources
from panel.meetings import attendance as meeting_attendance
from panel.meetings import cases as meeting_cases
from panel.meetings import items as meeting_items
from panel.meetings import mail as meeting_mail
from panel.meetings import minutes_service as meeting_minutes
from panel.meetings import service as meetings
from panel.models import (
    Action,
    Agency,
    AgencyRequest,
    AgendaItem,
    Decision,
    Document,
    Finding,
    Meeting,
    MeetingMember,
    Membership,
    Recommendation,
    Referral,
    Review,
    ReviewMilestone,
    ReviewType,
    Theme,
    User,
)
from panel.notifications import service as notifications
from panel.referrals import service as referrals
from panel.referrals import visits as referral_visits
from panel.reports import service as reports
from panel.retention import service as retention
from panel.reviews import closing as review_closing
from panel.reviews import context as review_context
from panel.reviews import record as review_record
from panel.reviews import service as reviews
from panel.reviews import tracker
from panel.reviews import types_service as review_types
from panel.screening import decision_log, decisions
from panel.screening import service as screening
from panel.screening.rules import LCSPR_CONSIDERATIONS
from panel.themes import recurrence as theme_recurrence
from panel.themes import service as themes
from panel.themes import tags as theme_tags
from panel.tracker_io import service as imports
from tests.architecture import MIN_SERVICE_MODULES, service_modules
from tests.conftest import ON_PG, TODAY, TestDatabase, build_template, drop_database, new_database

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "access.md"
NB, EM, WV = 1, 2, 3  # ids in the demo (asserted in the template fixture)
OWN, OTHER = "own", "other"

# The roles each tested account holds in this module's copy of the demo (DEMO_USERS, less the
# WV membership of admin). "none" is an account with no membership at all; "regional" holds none
# either, and is regional.
ACCOUNTS: dict[str, tuple[str, dict[int, set[str]], bool]] = {
    "admin": ("admin", {NB: {"admin"}, EM: {"admin"}}, False),
    "chair": ("chair", {NB: {"chair"}}, False),
    "member": ("member", {NB: {"member"}}, False),
    "manager": ("manager", {NB: {"manager"}}, False),
    "referrer": ("referrer", {NB: {"referrer"}}, False),
    "regional": ("regional", {}, True),
    "none": ("nobody", {}, False),
}


# ------------------------------------------------------------------------------ the records


@dataclass
class Side:
    """The records of one partnership that the calls use (the same ids in every copy)."""

    pid: int
    code: str
    read_ref: str  # a referral (NB: one the referrer submitted)
    new_ref: str
    new_ref2: str
    accepted_ref: str
    notify_ref: str  # accepted; the criteria call for notifying the national panel; not yet done
    notify_aware: date
    draft_decision: int
    review_type_id: int  # rapid review type
    lcspr_ref: str
    lcspr_version: int
    pending_key: str
    pending_date: date
    request_id: int
    rapid_ref: str
    rapid_version: int
    action_id: int
    action_version: int
    finding_id: int
    recommendation_id: int
    meeting_id: int
    item_id: int
    member_id: int
    referral_version: dict[str, int] = field(default_factory=dict)
    dup_of: dict = field(default_factory=dict)
    brief: dict = field(default_factory=dict)  # the LCSPR's briefing versions by status: published, approved, draft
    document_id: int = 0  # on the LCSPR, shared with every partner user
    hit_id: int = 0  # the LCSPR's final report: a scan the check could not read, open


@dataclass
class World:
    sides: dict[str, Side]
    theme_a: int
    theme_b: int
    national: int
    police: int
    template: TestDatabase


def _one(s, stmt):
    row = s.exec(stmt).first()
    assert row is not None, stmt
    return row


def _prepare(today: date) -> None:
    """With the system actor: what the demo lacks for every call to have a valid target."""
    with read_session() as s:
        codes = {p: c for c, p in [("NB", NB), ("EM", EM), ("WV", WV)]}
        assert {u.username for u in s.exec(select(User))} >= {a[0] for a in ACCOUNTS.values() if a[0] != "nobody"}
        del codes
        accepted = {pid: [r.reference for r in s.exec(select(Referral).where(
            Referral.partnership_id == pid, Referral.status == "accepted").order_by(Referral.reference))]
            for pid in (NB, WV)}
        rr_type = {pid: _one(s, select(ReviewType).where(ReviewType.partnership_id == pid,
                                                          ReviewType.key == "rapid_review")).id for pid in (NB, WV)}
        chair_id = _one(s, select(User).where(User.username == "chair")).id
    # an open rapid review in NB (the demo has them only elsewhere), and a draft decision in WV
    form = decisions.DecisionForm(review_type_id=rr_type[NB], rationale="Serious harm, abuse suspected: rapid review.",
                                  present=[chair_id], apologies=[], conflicts=[], decided_on=today)
    did = decisions.record_decision(SYSTEM, accepted[NB][-1], form, today)
    decisions.sign_decision(SYSTEM, did, today, attendance_confirmed=True)
    form = decisions.DecisionForm(review_type_id=rr_type[WV], rationale="Serious harm, abuse suspected: rapid review.",
                                  present=list(decisions.panel_members(SYSTEM, WV))[:1], apologies=[], conflicts=[],
                                  decided_on=today)
    decisions.record_decision(SYSTEM, accepted[WV][-1], form, today)
    for pid, lcspr in ((NB, "NB-2026-005-R2"), (WV, "WV-2026-002-R2")):
        review_record.add_agency_request(SYSTEM, lcspr, agency_id=3, kind="chronology", requested_on=today,
                                         due_on=today + timedelta(days=14), contact_email="", today=today)
        mid = meetings.create_meeting(SYSTEM, pid, today + timedelta(days=7),
                                      list(decisions.panel_members(SYSTEM, pid)), today)
        first = meetings.get_meeting(SYSTEM, mid).members[0]
        meeting_attendance.set_attendance(SYSTEM, mid, first.id, "present")
        meeting_attendance.add_guest(SYSTEM, mid, "Dr Guest", 4)
        meeting_items.add_item(SYSTEM, mid, "Referral for decision", "referral", accepted[pid][0])
        # the LCSPR's briefing: version 1 published, 2 approved, 3 a draft
        for no, steps in ((1, (library.approve, library.publish)), (2, (library.approve,)), (3, ())):
            library.save_draft(SYSTEM, lcspr, "Matrix briefing", {**SECTIONS, "background": f"Version {no}."}, no - 1)
            for step in steps:
                step(SYSTEM, library.history(SYSTEM, lcspr).latest.id)
        # the LCSPR's documents (docs/domain.md §11): one every partner user may open, and a final
        # report the anonymisation check could not read (one open finding)
        for kind, data, visibility in (("agency_report", MATRIX_DOC, "partners"), ("final_report", MATRIX_SCAN, "panel")):
            documents.upload(SYSTEM, documents.Target(review=lcspr), kind=kind, title=f"Matrix {kind}", agency_id=4,
                             visibility=visibility, filename=f"{kind}.pdf", data=data, today=today)
    with transaction() as s:
        demo_hash = _one(s, select(User).where(User.username == "admin")).password_hash  # the demo password
        s.add(User(username="nobody", name="No Membership", email="nobody@example.org", password_hash=demo_hash))
        uid = _one(s, select(User).where(User.username == "admin")).id
        for m in s.exec(select(Membership).where(Membership.user_id == uid, Membership.partnership_id == WV)):
            s.delete(m)


def _side(s, pid: int, code: str, today: date) -> Side:
    refs = lambda status: [r for r in s.exec(select(Referral).where(  # noqa: E731
        Referral.partnership_id == pid, Referral.status == status).order_by(Referral.reference))]
    new, accepted = refs("new"), refs("accepted")
    referrer_id = _one(s, select(User).where(User.username == "referrer")).id
    own = [r for r in new if r.submitted_by_id == referrer_id]
    read = own[0] if own else new[0]
    notify = None
    for r in accepted:
        sc = screening.screen(SYSTEM, r.reference, today)
        if any(n.body == "national_panel" and n.sent_on is None for n in sc.notifications):
            notify = r
            break
    assert notify is not None, f"no accepted referral in {code} to notify"
    draft = _one(s, select(Decision).join(Referral, Referral.id == Decision.referral_id).where(
        Referral.partnership_id == pid, Decision.status == "draft").order_by(Decision.id))
    lcspr = _one(s, select(Review).join(ReviewType, ReviewType.id == Review.review_type_id).where(
        Review.partnership_id == pid, Review.status == "open", ReviewType.key == "lcspr"))
    rapid = _one(s, select(Review).join(ReviewType, ReviewType.id == Review.review_type_id).where(
        Review.partnership_id == pid, Review.status == "open", ReviewType.key == "rapid_review"))
    ms = list(s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == lcspr.id)
                     .order_by(ReviewMilestone.planned_on, ReviewMilestone.id)))
    done = [m.actual_on for m in ms if m.actual_on]
    pending = next(m for m in ms if m.actual_on is None)
    meeting = _one(s, select(Meeting).where(Meeting.partnership_id == pid))
    item = _one(s, select(AgendaItem).where(AgendaItem.meeting_id == meeting.id, AgendaItem.kind == "referral"))
    member = _one(s, select(MeetingMember).where(MeetingMember.meeting_id == meeting.id))
    act = _one(s, select(Action).where(Action.partnership_id == pid, Action.status == "open").order_by(Action.id))
    rec = _one(s, select(Recommendation).where(Recommendation.partnership_id == pid).order_by(Recommendation.id))
    return Side(
        pid=pid, code=code, read_ref=read.reference, new_ref=new[0].reference, new_ref2=new[1].reference,
        accepted_ref=accepted[0].reference, notify_ref=notify.reference, notify_aware=notify.aware_on,
        draft_decision=draft.id,
        review_type_id=_one(s, select(ReviewType).where(ReviewType.partnership_id == pid,
                                                         ReviewType.key == "rapid_review")).id,
        lcspr_ref=lcspr.reference, lcspr_version=lcspr.version, pending_key=pending.key,
        pending_date=max(done + [lcspr.started_on]),
        request_id=_one(s, select(AgencyRequest).where(AgencyRequest.review_id == lcspr.id)).id,
        rapid_ref=rapid.reference, rapid_version=rapid.version, action_id=act.id, action_version=act.version,
        finding_id=_one(s, select(Finding).where(Finding.partnership_id == pid).order_by(Finding.id)).id,
        recommendation_id=rec.id, meeting_id=meeting.id, item_id=item.id, member_id=member.id,
        referral_version={r.reference: r.version for r in new + accepted},
        brief={v.status: v.id for v in library.history(SYSTEM, lcspr.reference).versions},
        document_id=_one(s, select(Document).where(Document.review_id == lcspr.id, Document.kind == "agency_report")).id,
        hit_id=document_checks.final_report_check(SYSTEM, lcspr.reference)[0].id,
        dup_of={"child_initials": new[0].child_initials, "child_age_years": new[0].child_age_years,
                "child_dob": new[0].child_dob, "incident_date": new[0].incident_date,
                "aware_on": max(new[0].incident_date, TODAY - timedelta(days=3)), "received_on": TODAY},
    )


@pytest.fixture(scope="module")
def world(demo_template, tmp_path_factory) -> World:
    sides: dict[str, Side] = {}
    themes_: list[int] = []

    def fill():
        with read_session() as s:
            assert dict(s.exec(text("select id, code from partnership")).all()) == {NB: "NB", EM: "EM", WV: "WV"}
        _prepare(TODAY)
        TRACKER_FILE[:] = [imports.export_tracker(SYSTEM, [NB])]
        with read_session() as s:
            sides.update({OWN: _side(s, NB, "NB", TODAY), OTHER: _side(s, WV, "WV", TODAY)})
            themes_.extend(t.id for t in s.exec(select(Theme).where(Theme.kind == "local", Theme.active == True)  # noqa: E712
                                                .order_by(Theme.id)))
            themes_.append(_one(s, select(Theme).where(Theme.kind == "national").order_by(Theme.id)).id)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PANEL_TODAY", TODAY.isoformat())
        database = build_template(tmp_path_factory.mktemp("access-matrix"), fill, template=demo_template)
    yield World(sides=sides, theme_a=themes_[0], theme_b=themes_[1], national=themes_[-1], police=3,
                template=database)
    drop_database(database)


@pytest.fixture(scope="module")
def shared(world, tmp_path_factory) -> TestDatabase:
    """One copy for the cells that only read (reads add audit rows, which no check depends on)."""
    database = new_database(tmp_path_factory.mktemp("access-reads"), world.template)
    yield database
    dispose_engine(database.url)
    drop_database(database)


@pytest.fixture
def cell_db(request, world, shared, tmp_path, monkeypatch):
    """The shared copy for a read; a private copy of the prepared demo for a write."""
    monkeypatch.setenv("PANEL_TODAY", TODAY.isoformat())
    if not CALLS[request.node.callspec.params["name"]].write:
        shared.use(monkeypatch)
        yield world
        return
    database = new_database(tmp_path, world.template)
    database.use(monkeypatch)
    yield world
    dispose_engine(database.url)
    drop_database(database)


# ------------------------------------------------------------------------------ the call table


@dataclass
class Spec:
    perm: str | tuple[str, ...]  # allowed if the role holds any of these in the partnership
    call: Callable[[Side, World], Any]
    kind: str = "record"  # record, scope, listing, global, own
    write: bool = False
    refusal: tuple[type[Exception], ...] = (PermissionDenied, NotFound)
    audited: bool = False  # a refused "other" lookup leaves a not_found audit row
    regional: bool = False  # is_regional alone also allows it
    size: Callable[[Any], int] | None = None  # scope rows: how much data came back
    refusal_keys: frozenset[str] = frozenset()  # a ValidationFailed refusal names only these fields
    setup: Callable[[Side], None] | None = None  # system-actor preparation, before the fingerprint


def _n(result) -> int:
    """How much data a result holds (0 for an empty listing or all-zero counts)."""
    if isinstance(result, pd.DataFrame):
        return len(result)
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], int):
        return result[1]
    if isinstance(result, dict):  # counts by name, or records by id
        nums = [v for v in result.values() if isinstance(v, int | float) and not isinstance(v, bool)]
        return int(sum(nums)) if nums else len(result)
    if isinstance(result, list | set | frozenset):
        return len(result)
    if hasattr(result, "__dataclass_fields__"):
        return sum(v for v in vars(result).values() if isinstance(v, int))
    if isinstance(result, bytes):
        return len(_text(result).split())
    raise TypeError(type(result))


def _text(result) -> str:
    """Everything a result would show, as text (spreadsheets and Word files unzipped)."""
    if isinstance(result, bytes):
        if result[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(result)) as z:
                return " ".join(re.sub(r"<[^>]+>", " ", z.read(n).decode("utf-8", "replace"))
                                for n in z.namelist() if n.endswith(".xml") and ("sheet" in n or "shared" in n
                                                                                 or "document" in n))
        return result.decode("utf-8-sig", "replace")
    if isinstance(result, pd.DataFrame):
        return result.to_csv()
    if isinstance(result, tuple):
        return " ".join(_text(x) for x in result)
    return json.dumps(result, default=lambda o: repr(o))


def _timeliness_size(report: dict) -> int:
    """A report covers nothing when it names no partnership and no review type."""
    return len(report["partnerships"]) + len(report["review_types"])


def _partnership_mentions(data) -> int:
    """How often a partnership's code or name appears (a workbook of figures names its scope)."""
    return len(re.findall(r"\b(?:NB|EM|WV)\b|Northbrook|Eastmere|Westvale", _text(data)))


def _xlsx_rows(data: bytes) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return sum(max(ws.max_row - 1, 0) for ws in wb.worksheets)


def _decision_form(x: Side, w: World) -> decisions.DecisionForm:
    return decisions.DecisionForm(review_type_id=x.review_type_id, rationale="Serious harm and abuse suspected.",
                                  present=list(decisions.panel_members(SYSTEM, x.pid))[:1], apologies=[], conflicts=[], decided_on=TODAY)


def _referral_form(x: Side) -> dict:
    """Valid, and a possible duplicate of one of the partnership's referrals."""
    return {**_base_form(), **x.dup_of}


def _base_form() -> dict:
    return {
        "received_on": TODAY, "aware_on": date(2026, 11, 20), "incident_date": date(2026, 11, 19),
        "referrer_name": "Named nurse", "referrer_agency_id": 5, "identified_by": "staff_partner_community",
        "child_initials": "QZ", "child_age_years": 1, "child_sex": "male", "child_ethnicity": "mixed",
        "incident_summary": "Baby admitted with bruising to the face and an unexplained fracture.",
        "harm": "serious_harm", "abuse_or_neglect": "suspected", "location": "in_area", "agencies_involved": [3],
    }


def _milestones(type_id: int) -> list[dict]:
    with read_session() as s:
        return json.loads(s.get(ReviewType, type_id).milestones)


def _agency_id(name: str) -> int:
    with read_session() as s:
        return _one(s, select(Agency).where(Agency.name == name)).id


def _version(model, record_id: int) -> int:
    """A record's version as a form opened now would carry it."""
    with read_session() as s:
        return s.get(model, record_id).version


def _draft(recommendation_id: int) -> None:
    """The recommendation as a draft, for accepting it (the demo's may have been accepted)."""
    with transaction() as s:
        rec = s.get(Recommendation, recommendation_id)
        rec.status, rec.accepted_on = "draft", None
        s.add(rec)


def _spare_agency() -> None:
    """An agency no record names yet (so merging it loses no link)."""
    with read_session() as s:
        if s.exec(select(Agency).where(Agency.name == "Spare agency")).first() is not None:
            return
    agency_service.add_agency(SYSTEM, "Spare agency", "other")


def _spare_type(pid: int) -> int:
    """A review type no decision or review uses (so deleting it is allowed to its administrator)."""
    with read_session() as s:
        found = s.exec(select(ReviewType).where(ReviewType.partnership_id == pid,
                                                ReviewType.name == "Spare outcome")).first()
    if found is not None:
        return found.id
    return review_types.add_type(SYSTEM, pid, name="Spare outcome", regime="WT2018", statutory=False,
                                 routes=["no_review"], creates_review=False, description="", milestones=[])


def _source_form(title: str = "Matrix audit"):
    return learning_sources.SourceForm(kind="case_file_audit", title=title, topic="Neglect", cases_sampled=10,
                                       completed_on=TODAY, agencies={3: "good"})


def _source(x: Side) -> int:
    """A learning source of the partnership (the demo has none), made once by the system actor."""
    with read_session() as s:
        found = s.exec(text("select id from learningsource where partnership_id = :p and title = 'Matrix audit'"),
                       params={"p": x.pid}).first()
    return found[0] if found else learning_sources.create_source(SYSTEM, x.pid, _source_form(), TODAY)


def _source_version(x: Side) -> int:
    with read_session() as s:
        return s.exec(text("select version from learningsource where id = :i"), params={"i": _source(x)}).one()[0]


def _event(x: Side) -> int:
    """A learning event of the partnership (the demo has none), recorded once by the system actor."""
    with read_session() as s:
        found = s.exec(text("select id from learningevent where partnership_id = :p order by id"),
                       params={"p": x.pid}).first()
    return found[0] if found else learning_events.record_event(
        SYSTEM, x.pid, TODAY, "bitesize", "Matrix session", None, [("recommendation", x.recommendation_id)],
        [{"agency_id": 3, "role": "Officers", "attended": 5}], today=TODAY)


def _event_version(x: Side) -> int:
    with read_session() as s:
        return s.exec(text("select version from learningevent where id = :i"), params={"i": _event(x)}).one()[0]


def _followed(x: Side) -> int:
    """A closed action of the partnership whose impact follow-up is due (not `x.action_id`, which
    other rows keep open), closed once by the system actor."""
    with read_session() as s:
        found = s.exec(text("select id from action where partnership_id = :p and follow_up_on is not null "
                            "and follow_up_done_on is null order by id"), params={"p": x.pid}).first()
        if found:
            return found[0]
        a = _one(s, select(Action).where(Action.partnership_id == x.pid, Action.status == "open",
                                         Action.id != x.action_id).order_by(Action.id.desc()))
    actions.close_action(SYSTEM, a.id, "A re-audit of 40 cases found information shared within a day.", a.version,
                         TODAY, follow_up_on=TODAY + timedelta(days=7))
    return a.id


def _action_version(action_id: int) -> int:
    with read_session() as s:
        return s.get(Action, action_id).version


def _type_version(type_id: int) -> int:
    with read_session() as s:
        return s.get(ReviewType, type_id).version


# A review's documents in the matrix: a PDF with text, and a scan (a page with no text).
MATRIX_DOC = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] "
              b"/Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
MATRIX_SCAN = MATRIX_DOC + b"% a scan\n"


def _stored(x: Side) -> None:
    """The cell's copy of the database has its own data folder: the files go into its store."""
    get_store().put(MATRIX_DOC)


def _review_version(reference: str) -> int:
    with read_session() as s:
        return _one(s, select(Review).where(Review.reference == reference)).version


def _closable(x: Side) -> None:
    """The LCSPR ready to close: its closure milestone recorded and every action on it carried."""
    with read_session() as s:
        rv = _one(s, select(Review).where(Review.reference == x.lcspr_ref))
        done = _one(s, select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id,
                                                     ReviewMilestone.key == "closure")).actual_on
    if done is None:
        review_record.record_milestone(SYSTEM, x.lcspr_ref, "closure", TODAY, rv.version, TODAY)
    for a in review_closing.closure(SYSTEM, x.lcspr_ref).actions:
        if not a["settled"]:
            with read_session() as s:
                version = s.get(Action, a["id"]).version
            carry.carry_action(SYSTEM, a["id"], "Learning sub-group", "It outlives the review's closure.", version)


def _summary_request(x: Side) -> int:
    """The rapid review's agency summary request (made once by the system actor)."""
    with read_session() as s:
        rv = _one(s, select(Review).where(Review.reference == x.rapid_ref))
        found = s.exec(select(AgencyRequest).where(AgencyRequest.review_id == rv.id,
                                                   AgencyRequest.kind == "agency_summary")).first()
    if found is not None:
        return found.id
    review_record.add_agency_request(SYSTEM, x.rapid_ref, agency_id=3, kind="agency_summary", requested_on=TODAY,
                                     due_on=TODAY + timedelta(days=10), contact_email="", today=TODAY)
    return _summary_request(x)


def _rr_draft(x: Side) -> int:
    """The rapid review's drafted report (made once by the system actor); its version."""
    view = drafting.draft(SYSTEM, x.rapid_ref, "rapid_review", record_view=False)
    if not view.exists:
        drafting.create_draft(SYSTEM, x.rapid_ref, "rapid_review")
        view = drafting.draft(SYSTEM, x.rapid_ref, "rapid_review", record_view=False)
    return view.version


def _rr_signed(x: Side) -> None:
    """The rapid review's report signed off by the three partners (once, by the system actor)."""
    _rr_draft(x)
    for partner in drafting_rules.PARTNERS:
        view = drafting.draft(SYSTEM, x.rapid_ref, "rapid_review", record_view=False)
        if partner not in view.sign_offs:
            drafting.record_sign_off(SYSTEM, x.rapid_ref, "rapid_review", partner, "A Person, Director", TODAY,
                                     view.version, TODAY)


P = PERMISSIONS
# review_record's documented refusal for a reader who does not keep the record (chair, manager):
# a message on the page's "review" field (tests/test_review_record.py); others get NotFound.
READER_REFUSAL = frozenset({"review"})
LF = learning_explore.LearningFilter
ANON = "safe text about practice"
SECTIONS = {"background": "A review of practice.", "learning": "Share information early."}

CALLS: dict[str, Spec] = {
    # --- accounts and partnerships: administration, not about one partnership's records
    "accounts.service.create_user": Spec("user.manage", lambda x, w: accounts.create_user(
        ACTOR, username="new.user", name="New User", email="new.user@example.org", password="a-long-passphrase-1",
        memberships=[("NB", "member")]), kind="global", write=True),
    "accounts.service.set_password": Spec("user.manage", lambda x, w: accounts.set_password(
        ACTOR, "member", "a-long-passphrase-2"), kind="global", write=True),
    "accounts.service.partnerships": Spec("referral.read", lambda x, w: accounts.partnerships(ACTOR, "referral.read"),
                                  kind="listing"),
    "accounts.service.set_presentation_mode": Spec((), lambda x, w: accounts.set_presentation_mode(ACTOR, True), kind="own",
                                           write=True),
    # --- agencies: shared by every partnership; listing is open to everyone signed in
    "agencies.service.list_agencies": Spec((), lambda x, w: agency_service.list_agencies(ACTOR), kind="own"),
    "agencies.service.names": Spec((), lambda x, w: agency_service.names(ACTOR), kind="own"),
    "agencies.service.add_agency": Spec("agency.manage", lambda x, w: agency_service.add_agency(
        ACTOR, "Youth offending team", "local_authority"), kind="global", write=True),
    "agencies.service.update_agency": Spec("agency.manage", lambda x, w: agency_service.update_agency(
        ACTOR, w.police, name="Constabulary", kind="police", statutory=True), kind="global", write=True),
    "agencies.service.set_active": Spec("agency.manage", lambda x, w: agency_service.set_active(
        ACTOR, w.police, False), kind="global", write=True),
    "agencies.service.merge_agencies": Spec("agency.manage", lambda x, w: agency_service.merge_agencies(
        ACTOR, _agency_id("Spare agency"), w.police), kind="global", write=True,
        setup=lambda x: _spare_agency()),
    "agencies.service.import_agencies": Spec("agency.manage", lambda x, w: agency_service.import_agencies(
        ACTOR, b"name,kind,statutory\nDental practice,health,no\n", "agencies.csv"), kind="global", write=True),
    "accounts.own.my_account": Spec((), lambda x, w: own_account.my_account(ACTOR), kind="own"),
    "accounts.own.recent_sign_ins": Spec((), lambda x, w: own_account.recent_sign_ins(ACTOR), kind="own"),
    "accounts.own.change_own_password": Spec((), lambda x, w: own_account.change_own_password(
        ACTOR, DEMO_PASSWORD, "heron-lantern-quarry", "heron-lantern-quarry"), kind="own", write=True),
    "core.mail.send_test_message": Spec("user.manage", lambda x, w: mail.send_test_message(
        ACTOR, "someone@example.org", smtp_factory=_FakeSMTP), kind="global", write=True),
    # --- set-up of a new installation: the demo has users and partnerships, so refused to everyone
    "accounts.setup.create_first_admin": Spec((), lambda x, w: setup.create_first_admin(
        ACTOR, username="first.admin", name="First Admin", email="first@example.org",
        password="a-long-passphrase-6"), kind="global", write=True),
    "accounts.setup.may_create_first_partnership": Spec((), lambda x, w: setup.may_create_first_partnership(
        ACTOR) or _refuse(), kind="global"),
    "accounts.setup.create_first_partnership": Spec((), lambda x, w: setup.create_first_partnership(
        ACTOR, "ZY", "Zedshire Safeguarding Children Partnership", "Zedshire"), kind="global", write=True),
    "accounts.setup.checklist": Spec("user.manage", lambda x, w: setup.checklist(ACTOR), kind="global"),
    "accounts.partnerships.update_partnership": Spec("user.manage", lambda x, w: partnerships.update_partnership(
        ACTOR, x.pid, "Renamed Safeguarding Children Partnership", "Somewhere"), write=True),
    "accounts.partnerships.create_partnership": Spec("user.manage", lambda x, w: partnerships.create_partnership(
        ACTOR, "ZZ", "Zedland Safeguarding Children Partnership"), kind="global", write=True),
    "core.audit.not_found": Spec((), None, kind="exempt"),  # records a failed lookup; no access of its own
    "core.audit.purge_before": Spec((), lambda x, w: audit_svc.purge_before(ACTOR, datetime.now(UTC)), kind="global",
                               write=True),  # the command line (SYSTEM) only: refused to every role
    "accounts.service.managed_user_id": Spec("user.manage", lambda x, w: accounts.managed_user_id(ACTOR, "member"),
                                     kind="global"),
    "accounts.service.unlock_user": Spec("user.manage", lambda x, w: accounts.unlock_user(ACTOR, "member"), kind="global",
                                 write=True),
    "accounts.users.list_users": Spec("user.manage", lambda x, w: users.list_users(ACTOR), kind="global"),
    "accounts.users.set_role": Spec("user.manage", lambda x, w: users.set_role(ACTOR, "member", x.pid, "chair", True),
                           write=True),
    "accounts.users.set_active": Spec("user.manage", lambda x, w: users.set_active(ACTOR, "member", False), kind="global",
                             write=True),
    "accounts.users.sign_out_everywhere": Spec("user.manage", lambda x, w: users.sign_out_everywhere(ACTOR, "member"),
                                      kind="global", write=True),
    "accounts.audit_log.search": Spec("audit.read", lambda x, w: audit_log.search(ACTOR, audit_log.AuditFilter()),
                             kind="global"),
    "accounts.audit_log.export_csv": Spec("audit.read", lambda x, w: audit_log.export_csv(ACTOR, audit_log.AuditFilter()),
                                 kind="global"),
    "accounts.audit_log.choices": Spec("audit.read", lambda x, w: audit_log.choices(ACTOR), kind="global"),
    "retention.service.due": Spec("retention.view", lambda x, w: retention.due(ACTOR, TODAY), kind="global"),
    "retention.service.apply": Spec("retention.apply", lambda x, w: retention.apply(ACTOR, TODAY), kind="global",
                            write=True),
    # --- referrals
    "referrals.service.queue": Spec("referral.read", lambda x, w: referrals.queue(
        ACTOR, referrals.QueueFilter(partnership_ids=[x.pid]), TODAY), kind="scope"),
    "referrals.service.export_queue": Spec("referral.export", lambda x, w: referrals.export_queue(
        ACTOR, referrals.QueueFilter(partnership_ids=[x.pid]), TODAY, "csv"), kind="scope"),
    "referrals.service.my_referrals": Spec("referral.read_own", lambda x, w: referrals.my_referrals(ACTOR, TODAY),
                                   kind="listing"),
    "referrals.visits.visit_queue": Spec((), lambda x, w: referral_visits.visit_queue(ACTOR), kind="own"),
    "referrals.visits.new_since": Spec("referral.read", lambda x, w: referral_visits.new_since(
        ACTOR, [x.read_ref, x.new_ref], datetime(2000, 1, 1, tzinfo=UTC)), kind="listing"),
    "referrals.service.get_referral": Spec(("referral.read", "referral.read_own"), lambda x, w: referrals.get_referral(
        ACTOR, x.read_ref, TODAY), audited=True),
    "referrals.service.possible_duplicates": Spec("referral.read", lambda x, w: referrals.possible_duplicates(
        ACTOR, x.pid, _referral_form(x), TODAY), kind="scope", refusal=(ValidationFailed,), refusal_keys=frozenset({"partnership_id"})),
    "referrals.service.submit": Spec("referral.submit", lambda x, w: referrals.submit(ACTOR, x.pid, _referral_form(x), TODAY),
                             write=True, refusal=(ValidationFailed,),
                             refusal_keys=frozenset({"partnership_id"})),
    "referrals.service.triage": Spec("referral.triage", lambda x, w: referrals.triage(
        ACTOR, x.new_ref, "accept", "", x.referral_version[x.new_ref]), write=True, audited=True),
    "referrals.service.link": Spec("referral.link", lambda x, w: referrals.link(ACTOR, x.new_ref, x.new_ref2, "sibling"),
                           write=True, audited=True),
    # --- screening, notifications, the director's route
    "screening.service.screen": Spec("referral.read", lambda x, w: screening.screen(ACTOR, x.accepted_ref, TODAY),
                             audited=True),
    "screening.service.save_facts": Spec("screening.edit", lambda x, w: screening.save_facts(
        ACTOR, x.accepted_ref, {"interagency_concerns": "yes"}, x.referral_version[x.accepted_ref]),
        write=True, audited=True),
    "screening.service.record_notification": Spec("notification.record", lambda x, w: screening.record_notification(
        ACTOR, x.notify_ref, "national_panel", TODAY, "CINS-1", TODAY), write=True, audited=True),
    # the incident notification, ready to send: shown, downloaded and recorded by those who notify
    "notifications.service.prepare": Spec("notification.record", lambda x, w: notifications.prepare(
        ACTOR, x.notify_ref, TODAY), audited=True),
    "notifications.service.download": Spec("notification.record", lambda x, w: notifications.download(
        ACTOR, x.notify_ref, "national_panel", "docx", TODAY), audited=True),
    "notifications.service.record_sent": Spec("notification.record", lambda x, w: notifications.record_sent(
        ACTOR, x.notify_ref, "national_panel", TODAY, "CINS-2", TODAY), write=True, audited=True),
    "screening.service.record_director_route": Spec("screening.edit", lambda x, w: screening.record_director_route(
        ACTOR, x.accepted_ref, "notify", TODAY, TODAY), write=True, audited=True),
    # --- decisions
    "screening.decisions.panel_members": Spec("referral.read", lambda x, w: decisions.panel_members(ACTOR, x.pid),
                                    kind="scope"),
    "screening.decisions.decisions_for": Spec("referral.read", lambda x, w: decisions.decisions_for(ACTOR, x.accepted_ref),
                                    audited=True),
    "screening.decisions.record_decision": Spec("decision.record", lambda x, w: decisions.record_decision(
        ACTOR, x.accepted_ref, _decision_form(x, w), TODAY), write=True, audited=True),
    "screening.decisions.sign_decision": Spec("decision.sign", lambda x, w: decisions.sign_decision(
        ACTOR, x.draft_decision, TODAY, attendance_confirmed=True), write=True),
    # --- reviews and their record
    "reviews.service.for_referral": Spec("review.read", lambda x, w: reviews.for_referral(ACTOR, x.accepted_ref),
                                 audited=True),
    "reviews.service.get_review": Spec("review.read", lambda x, w: reviews.get_review(ACTOR, x.lcspr_ref, TODAY),
                               audited=True),
    "reviews.service.record_rapid_review_outcome": Spec(("review.edit", "screening.edit"),
                                                lambda x, w: reviews.record_rapid_review_outcome(
        ACTOR, x.rapid_ref, considerations={k: "no" for k, _ in LCSPR_CONSIDERATIONS}, lcspr_decision="no_lcspr",
        sent_on=TODAY, response=None, response_note="",
        expected_version=x.rapid_version, today=TODAY, decided_on=TODAY), write=True, audited=True),
    "reviews.record.record_details": Spec("review.read", lambda x, w: review_record.record_details(
        ACTOR, x.lcspr_ref), audited=True),
    "reviews.record.record_milestone": Spec("review.edit", lambda x, w: review_record.record_milestone(
        ACTOR, x.lcspr_ref, x.pending_key, x.pending_date, x.lcspr_version, TODAY), write=True, audited=True,
        refusal=(PermissionDenied, NotFound, ValidationFailed), refusal_keys=READER_REFUSAL),
    "reviews.record.record_delay": Spec("review.edit", lambda x, w: review_record.record_delay(
        ACTOR, x.lcspr_ref, TODAY, 10, "Parallel criminal proceedings", x.lcspr_version), write=True, audited=True,
        refusal=(PermissionDenied, NotFound, ValidationFailed), refusal_keys=READER_REFUSAL),
    "reviews.record.update_details": Spec("review.edit", lambda x, w: review_record.update_details(
        ACTOR, x.lcspr_ref, lead_reviewer="Lee Reviewer", lead_reviewer_email="lee@example.org",
        publication_status="planned", publication_reason="", expected_version=x.lcspr_version), write=True, audited=True,
        refusal=(PermissionDenied, NotFound, ValidationFailed), refusal_keys=READER_REFUSAL),
    "reviews.record.add_agency_request": Spec("review.edit", lambda x, w: review_record.add_agency_request(
        ACTOR, x.lcspr_ref, agency_id=4, kind="agency_report", requested_on=TODAY, due_on=TODAY + timedelta(days=20),
        contact_email="", today=TODAY), write=True, audited=True,
        refusal=(PermissionDenied, NotFound, ValidationFailed), refusal_keys=READER_REFUSAL),
    "reviews.record.mark_received": Spec("review.edit", lambda x, w: review_record.mark_received(
        ACTOR, x.lcspr_ref, x.request_id, TODAY, TODAY), write=True, audited=True,
        refusal=(PermissionDenied, NotFound, ValidationFailed), refusal_keys=READER_REFUSAL),
    "reviews.context.processes": Spec("review.read", lambda x, w: review_context.processes(ACTOR, x.lcspr_ref),
                                      audited=True),
    "reviews.context.record_process": Spec("review.edit", lambda x, w: review_context.record_process(
        ACTOR, x.lcspr_ref, review_context.ProcessForm(kind="inquest", status="ongoing", next_event="Hearing",
                                                       next_on=TODAY + timedelta(days=30)), TODAY),
        write=True, audited=True),
    "reviews.context.family_log": Spec("family.read", lambda x, w: review_context.family_log(ACTOR, x.lcspr_ref),
                                       audited=True),
    "reviews.context.record_family_step": Spec("family.record", lambda x, w: review_context.record_family_step(
        ACTOR, x.lcspr_ref, family_member="Mother", event="invited", happened_on=TODAY, note="", today=TODAY),
        write=True, audited=True),
    "reviews.closing.closure": Spec("review.read", lambda x, w: review_closing.closure(ACTOR, x.lcspr_ref),
                                    audited=True),
    "reviews.closing.close_review": Spec("review.edit", lambda x, w: review_closing.close_review(
        ACTOR, x.lcspr_ref, TODAY, _review_version(x.lcspr_ref), TODAY), write=True, audited=True,
        setup=_closable),
    # --- a review's documents (docs/domain.md §11)
    "documents.service.listing": Spec("review.read", lambda x, w: documents.listing(
        ACTOR, documents.Target(review=x.lcspr_ref)), audited=True),
    "documents.service.shared": Spec("document.read", lambda x, w: documents.shared(ACTOR), kind="listing"),
    "documents.service.download": Spec("document.read", lambda x, w: documents.download(ACTOR, x.document_id),
                                       audited=True, setup=_stored),
    "documents.service.versions": Spec("document.read", lambda x, w: documents.versions(ACTOR, x.document_id),
                                       audited=True),
    "documents.service.upload": Spec("document.upload", lambda x, w: documents.upload(
        ACTOR, documents.Target(review=x.lcspr_ref), kind="chronology", title="Police chronology", agency_id=3,
        visibility="panel", filename="chronology.pdf", data=MATRIX_DOC, today=TODAY), write=True, audited=True),
    "documents.service.replace": Spec("document.upload", lambda x, w: documents.replace(
        ACTOR, x.document_id, filename="report.pdf", data=MATRIX_DOC + b"\n", expected_version=1, today=TODAY),
        write=True, audited=True),
    "documents.service.set_visibility": Spec("document.manage", lambda x, w: documents.set_visibility(
        ACTOR, x.document_id, "panel", 1), write=True, audited=True),
    "documents.checks.final_report_check": Spec("review.read", lambda x, w: document_checks.final_report_check(
        ACTOR, x.lcspr_ref), audited=True),
    "documents.checks.accept_hit": Spec("document.manage", lambda x, w: document_checks.accept_hit(
        ACTOR, x.lcspr_ref, x.hit_id, "Checked by hand: no detail of the case."), write=True, audited=True),
    "documents.signoffs.final_report_sign_offs": Spec("review.read", lambda x, w: document_signoffs.final_report_sign_offs(
        ACTOR, x.lcspr_ref, TODAY), audited=True),
    "documents.signoffs.record_final_report_sign_off": Spec("review.edit", lambda x, w: (
        document_signoffs.record_final_report_sign_off(ACTOR, x.lcspr_ref, "police", "Pat Smith, Superintendent",
                                                       TODAY, 1, TODAY)), write=True, audited=True),
    # --- the documents Panel drafts (docs/domain.md §11)
    "drafting.service.template": Spec("review_type.manage", lambda x, w: drafting.template(
        ACTOR, x.pid, "rapid_review")),
    "drafting.service.save_template": Spec("review_type.manage", lambda x, w: drafting.save_template(
        ACTOR, x.pid, "terms_of_reference", [{"heading": "Scope"}, {"heading": "Timescale"}], 0), write=True),
    "drafting.service.agency_summaries": Spec("review.read", lambda x, w: drafting.agency_summaries(
        ACTOR, x.rapid_ref), audited=True, setup=_summary_request),
    "drafting.service.save_agency_summary": Spec(("review.edit", "screening.edit"),
                                                 lambda x, w: drafting.save_agency_summary(
        ACTOR, x.rapid_ref, _summary_request(x), "Police attended twice.", TODAY, _review_version(x.rapid_ref), TODAY),
        write=True, audited=True, setup=_summary_request),
    "drafting.service.draft": Spec("review.read", lambda x, w: drafting.draft(ACTOR, x.rapid_ref, "rapid_review"),
                                   audited=True, setup=_rr_draft),
    "drafting.service.create_draft": Spec(("review.edit", "screening.edit"), lambda x, w: drafting.create_draft(
        ACTOR, x.rapid_ref, "rapid_review"), write=True, audited=True),
    "drafting.service.save_draft": Spec(("review.edit", "screening.edit"), lambda x, w: drafting.save_draft(
        ACTOR, x.rapid_ref, "rapid_review", {"immediate_action": "Siblings seen."}, _rr_draft(x)),
        write=True, audited=True, setup=_rr_draft),
    "drafting.service.refill_draft": Spec(("review.edit", "screening.edit"), lambda x, w: drafting.refill_draft(
        ACTOR, x.rapid_ref, "rapid_review", True, _rr_draft(x)), write=True, audited=True, setup=_rr_draft),
    "drafting.service.download_draft": Spec("review.read", lambda x, w: drafting.download_draft(
        ACTOR, x.rapid_ref, "rapid_review"), audited=True, setup=_rr_draft),
    "drafting.service.record_sign_off": Spec(("review.edit", "screening.edit"), lambda x, w: drafting.record_sign_off(
        ACTOR, x.rapid_ref, "rapid_review", "police", "DCI Jo Bloggs, Head of PPU", TODAY, _rr_draft(x), TODAY),
        write=True, audited=True, setup=_rr_draft),
    "drafting.service.record_sent": Spec(("review.edit", "screening.edit"), lambda x, w: drafting.record_sent(
        ACTOR, x.rapid_ref, TODAY, _rr_draft(x), TODAY), write=True, audited=True, setup=_rr_signed),
    "reviews.types_service.list_types": Spec(("referral.read", "review_type.manage"), lambda x, w: review_types.list_types(
        ACTOR, x.pid), kind="scope"),
    "reviews.types_service.add_type": Spec("review_type.manage", lambda x, w: review_types.add_type(
        ACTOR, x.pid, name="Thematic review", regime="WT2018", statutory=False, routes=["consider_local_review"],
        creates_review=False, description="", milestones=[]), write=True),
    "reviews.types_service.delete_type": Spec("review_type.manage", lambda x, w: review_types.delete_type(
        ACTOR, _spare_type(x.pid)), write=True, setup=lambda x: _spare_type(x.pid)),
    "reviews.types_service.update_type": Spec("review_type.manage", lambda x, w: review_types.update_type(
        ACTOR, x.review_type_id, name="Rapid review (edited)", description="", milestones=_milestones(x.review_type_id),
        active=True, expected_version=_type_version(x.review_type_id)), write=True),
    "reviews.tracker.reviews": Spec("review.read", lambda x, w: tracker.reviews(
        ACTOR, tracker.TrackerFilter(partnership_ids=[x.pid]), TODAY), kind="scope"),
    "reviews.tracker.timeline": Spec("review.read", lambda x, w: tracker.timeline(
        ACTOR, tracker.TrackerFilter(partnership_ids=[x.pid]), TODAY, [x.lcspr_ref]), kind="scope"),
    "reviews.tracker.type_names": Spec("review.read", lambda x, w: tracker.type_names(ACTOR) or _refuse(), kind="global"),
    # --- reports and imports
    "reports.service.allowed_partnerships": Spec("report.timeliness", lambda x, w: reports.allowed_partnerships(ACTOR),
                                         kind="listing"),
    "reports.service.timeliness": Spec("report.timeliness", lambda x, w: reports.timeliness(ACTOR, TODAY, [x.pid]),
                               kind="scope", size=_timeliness_size),
    "reports.service.timeliness_xlsx": Spec("report.timeliness", lambda x, w: reports.timeliness_xlsx(ACTOR, TODAY, [x.pid]),
                                    kind="scope", size=_partnership_mentions),
    "tracker_io.service.can_import": Spec("data.import", lambda x, w: imports.can_import(ACTOR) or _refuse(), kind="global"),
    "tracker_io.service.importable": Spec("data.import", lambda x, w: sorted(imports.importable(ACTOR) or _refuse()),
                               kind="listing"),
    "tracker_io.service.template": Spec("data.import", lambda x, w: imports.template(ACTOR), kind="global"),
    "tracker_io.service.check_file": Spec("data.import", lambda x, w: imports.check_file(
        ACTOR, _tracker_file(), "tracker.xlsx", TODAY), kind="global"),
    "tracker_io.service.import_tracker": Spec("data.import", lambda x, w: imports.import_tracker(
        ACTOR, _tracker_file(), "tracker.xlsx", TODAY), kind="global", write=True),
    "tracker_io.service.export_scope": Spec("referral.read", lambda x, w: imports.export_scope(ACTOR, [x.pid]),
                                 kind="scope"),
    "tracker_io.service.export_tracker": Spec("referral.read", lambda x, w: imports.export_tracker(
        ACTOR, [x.pid]), kind="scope"),
    # --- learning
    "learning.service.recommendation_detail": Spec("learning.read", lambda x, w: learning.recommendation_detail(
        ACTOR, x.recommendation_id)),
    "learning.findings.add_finding": Spec("learning.edit", lambda x, w: learning_findings.add_finding(
        ACTOR, "Information was not shared between agencies.", TODAY, review_reference=x.lcspr_ref, agency_ids=[3],
        today=TODAY), write=True),
    "learning.findings.edit_finding": Spec("learning.edit", lambda x, w: learning_findings.edit_finding(
        ACTOR, x.finding_id, expected_version=_version(Finding, x.finding_id),
        text="Information was not shared early enough.", today=TODAY), write=True),
    "learning.recommendations.add_recommendation": Spec("learning.edit", lambda x, w: learning_recs.add_recommendation(
        ACTOR, "Agencies should share information early.", TODAY, [3], finding_id=x.finding_id, today=TODAY),
        write=True),
    "learning.recommendations.edit_recommendation": Spec("learning.edit", lambda x, w: learning_recs.edit_recommendation(
        ACTOR, x.recommendation_id, expected_version=_version(Recommendation, x.recommendation_id),
        text="Agencies should share information earlier.", reason="Agreed at the panel's meeting.", today=TODAY),
        write=True),
    "learning.recommendations.accept_recommendation": Spec("learning.accept", lambda x, w: learning_recs.accept_recommendation(
        ACTOR, x.recommendation_id, TODAY, expected_version=_version(Recommendation, x.recommendation_id),
        today=TODAY), write=True, setup=lambda x: _draft(x.recommendation_id)),
    "learning.overview.learning_of": Spec("learning.read", lambda x, w: learning_overview.learning_of(
        ACTOR, review_reference=x.lcspr_ref)),
    "learning.explore.theme_by_year": Spec("learning.read", lambda x, w: learning_explore.theme_by_year(
        ACTOR, LF(partnership_ids=[x.pid])), kind="scope"),
    "learning.explore.theme_by_review_type": Spec("learning.read", lambda x, w: learning_explore.theme_by_review_type(
        ACTOR, LF(partnership_ids=[x.pid])), kind="scope"),
    "learning.explore.theme_by_agency": Spec("learning.read", lambda x, w: learning_explore.theme_by_agency(
        ACTOR, LF(partnership_ids=[x.pid])), kind="scope"),
    "learning.explore.cooccurrence": Spec("learning.read", lambda x, w: learning_explore.cooccurrence(
        ACTOR, LF(partnership_ids=[x.pid])), kind="scope"),
    "learning.explore.totals": Spec("learning.read", lambda x, w: learning_explore.totals(
        ACTOR, LF(partnership_ids=[x.pid]), TODAY), kind="scope"),
    "learning.explore.years": Spec("learning.read", lambda x, w: learning_explore.years(ACTOR, [x.pid]),
                                   kind="scope"),
    "learning.search.learning_list": Spec("learning.read", lambda x, w: learning_search.learning_list(
        ACTOR, LF(partnership_ids=[x.pid])), kind="scope"),
    "learning.search.search": Spec("learning.read", lambda x, w: learning_search.search(
        ACTOR, "information", [x.pid]), kind="scope"),
    "learning.regional.regional_learning": Spec((), lambda x, w: learning_regional.regional_learning(ACTOR),
                                                kind="global", regional=True),
    "learning.regional.regional_theme_counts": Spec((), lambda x, w: learning_regional.regional_theme_counts(ACTOR),
                                                    kind="global", regional=True),
    # --- learning sources beside reviews (audits, inspections, child death review learning...)
    "learning.sources.list_sources": Spec("learning.read", lambda x, w: learning_sources.list_sources(
        ACTOR, learning_sources.SourceFilter(partnership_ids=[x.pid])), kind="scope", setup=_source),
    "learning.sources.source_years": Spec("learning.read", lambda x, w: learning_sources.source_years(
        ACTOR, [x.pid]), kind="scope", setup=_source),
    "learning.sources.get_source": Spec("learning.read", lambda x, w: learning_sources.get_source(
        ACTOR, _source(x)), audited=True, setup=_source),
    "learning.sources.create_source": Spec("learning.edit", lambda x, w: learning_sources.create_source(
        ACTOR, x.pid, _source_form("Matrix inspection"), TODAY), write=True),
    "learning.sources.update_source": Spec("learning.edit", lambda x, w: learning_sources.update_source(
        ACTOR, _source(x), _source_form("Matrix audit, renamed"), _source_version(x), TODAY), write=True,
        audited=True, setup=_source),
    # --- actions
    "learning.actions.register": Spec("learning.read", lambda x, w: actions.register(
        ACTOR, actions.RegisterFilter(partnership_ids=[x.pid]), TODAY), kind="scope"),
    "learning.actions.summary": Spec("learning.read", lambda x, w: actions.summary(
        ACTOR, actions.RegisterFilter(partnership_ids=[x.pid]), TODAY), kind="scope"),
    "learning.actions.export_register": Spec("learning.read", lambda x, w: actions.export_register(
        ACTOR, actions.RegisterFilter(partnership_ids=[x.pid]), TODAY), kind="scope"),
    "learning.actions.get_action": Spec("learning.read", lambda x, w: actions.get_action(ACTOR, x.action_id, TODAY)),
    "learning.actions.recommendations_for": Spec("learning.read", lambda x, w: actions.recommendations_for(
        ACTOR, x.lcspr_ref)),
    "learning.actions.add_action": Spec("learning.edit", lambda x, w: actions.add_action(
        ACTOR, x.recommendation_id, 3, "Dana Owner", "dana@example.org", "Audit the information-sharing protocol.",
        TODAY + timedelta(days=30)), write=True),
    "learning.actions.record_progress": Spec("learning.edit", lambda x, w: actions.record_progress(
        ACTOR, x.action_id, "Audit tool agreed with the police lead.", "in_progress", x.action_version), write=True),
    "learning.actions.close_action": Spec("action.close", lambda x, w: actions.close_action(
        ACTOR, x.action_id, "A re-audit of 40 cases found information shared within a day in 38 of them.",
        x.action_version, TODAY), write=True),
    "learning.carry.carry_action": Spec("action.close", lambda x, w: carry.carry_action(
        ACTOR, x.action_id, "Learning and improvement sub-group", "The work runs on past the review's closure.",
        x.action_version), write=True),
    # --- learning shared at events, and impact follow-up (docs/domain.md §7.1)
    "learning.dissemination.record_event": Spec("learning.edit", lambda x, w: learning_events.record_event(
        ACTOR, x.pid, TODAY, "learning_event", "Matrix event", None, [("recommendation", x.recommendation_id)],
        [{"agency_id": 3, "role": "Officers", "attended": 5}], today=TODAY), write=True),
    "learning.dissemination.update_event": Spec("learning.edit", lambda x, w: learning_events.update_event(
        ACTOR, _event(x), held_on=TODAY, kind="bitesize", topic="Matrix session, corrected", audience=None, links=[],
        attendance=[{"agency_id": 3, "role": "Officers", "attended": 6}], expected_version=_event_version(x),
        today=TODAY), write=True, audited=True, setup=_event),
    "learning.dissemination.list_events": Spec("learning.read", lambda x, w: learning_events.list_events(
        ACTOR, [x.pid]), kind="scope", setup=_event),
    "learning.dissemination.get_event": Spec("learning.read", lambda x, w: learning_events.get_event(
        ACTOR, _event(x)), audited=True, setup=_event),
    "learning.dissemination.shared_for": Spec("learning.read", lambda x, w: learning_events.shared_for(
        ACTOR, x.recommendation_id), setup=_event),
    "learning.dissemination.link_choices": Spec("learning.read", lambda x, w: learning_events.link_choices(
        ACTOR, x.pid)),
    "learning.reach.theme_reach": Spec("learning.read", lambda x, w: learning_reach.theme_reach(
        ACTOR, LF(partnership_ids=[x.pid])), kind="scope", setup=_event),
    "learning.follow_up.schedule_follow_up": Spec("action.close", lambda x, w: learning_follow_up.schedule_follow_up(
        ACTOR, _followed(x), TODAY + timedelta(days=30), _action_version(_followed(x)), today=TODAY), write=True,
        audited=True, setup=_followed),
    "learning.follow_up.record_follow_up": Spec("action.close", lambda x, w: learning_follow_up.record_follow_up(
        ACTOR, _followed(x), TODAY, "A re-audit of 40 cases found the change held in 39 of them.",
        expected_version=_action_version(_followed(x)), today=TODAY), write=True, audited=True, setup=_followed),
    "learning.follow_up.follow_ups_due": Spec("learning.read", lambda x, w: learning_follow_up.follow_ups_due(
        ACTOR, actions.RegisterFilter(partnership_ids=[x.pid]), TODAY), kind="scope", setup=_followed),
    "learning.follow_up.source_choices": Spec("learning.read", lambda x, w: learning_follow_up.source_choices(
        ACTOR, x.pid)),
    # --- 7-minute briefings
    "learning.briefings.choices": Spec("learning.read", lambda x, w: briefings.choices(ACTOR), kind="listing"),
    "learning.briefings.identifiers_for_review": Spec("learning.read", lambda x, w: briefings.identifiers_for_review(
        ACTOR, x.lcspr_ref), audited=True),
    "learning.briefings.draft": Spec("learning.read", lambda x, w: briefings.draft(ACTOR, x.lcspr_ref), audited=True),
    "learning.briefings.build": Spec("learning.read", lambda x, w: briefings.build(ACTOR, x.lcspr_ref, SECTIONS),
                            audited=True),
    # --- the briefing library: published briefings for every partner user, referrers included
    "learning.library.history": Spec("learning.edit", lambda x, w: library.history(ACTOR, x.lcspr_ref), audited=True),
    "learning.library.save_draft": Spec("learning.edit", lambda x, w: library.save_draft(
        ACTOR, x.lcspr_ref, "Matrix briefing", {**SECTIONS, "background": "Version 4."}, 3), write=True, audited=True),
    "learning.library.approve": Spec("briefing.approve", lambda x, w: library.approve(ACTOR, x.brief["draft"]),
                                     write=True, audited=True),
    "learning.library.publish": Spec("briefing.approve", lambda x, w: library.publish(ACTOR, x.brief["approved"]),
                                     write=True, audited=True),
    "learning.library.withdraw": Spec("briefing.approve", lambda x, w: library.withdraw(ACTOR, x.brief["published"]),
                                      write=True, audited=True),
    "learning.library.download": Spec("briefing.read", lambda x, w: library.download(ACTOR, x.brief["published"]),
                                      audited=True),
    "learning.library.list_library": Spec("briefing.read", lambda x, w: library.list_library(ACTOR), kind="listing"),
    "learning.library.published_for_review": Spec("learning.read", lambda x, w: library.published_for_review(
        ACTOR, x.lcspr_ref), audited=True),
    # the explorer's published briefings: of the learning shown, so both learning.read and briefing.read
    # (every role reading learning reads briefings)
    "learning.library.published_for_learning": Spec("learning.read", lambda x, w: library.published_for_learning(
        ACTOR, learning.LearningFilter(partnership_ids=[x.pid])), kind="scope"),
    # --- themes: one national taxonomy, administered; tags live on a partnership's records
    "themes.service.seed_defaults": Spec("review_type.manage", lambda x, w: themes.seed_defaults(ACTOR), kind="global",
                                 write=True),
    "themes.service.list_themes": Spec(("learning.read", "referral.read", "review_type.manage"),
                               lambda x, w: themes.list_themes(ACTOR), kind="global", regional=True),
    "themes.service.theme_names": Spec(("learning.read", "referral.read", "review_type.manage"),
                               lambda x, w: themes.theme_names(ACTOR), kind="global", regional=True),
    "themes.service.add_theme": Spec("review_type.manage", lambda x, w: themes.add_theme(
        ACTOR, "a brand new local theme", "local", w.national), kind="global", write=True),
    "themes.service.rename_theme": Spec("review_type.manage", lambda x, w: themes.rename_theme(
        ACTOR, w.theme_a, "a renamed local theme"), kind="global", write=True),
    "themes.service.merge_themes": Spec("review_type.manage", lambda x, w: themes.merge_themes(ACTOR, FRESH[0], w.theme_b),
                                setup=lambda x: _fresh_theme(),
                                kind="global", write=True, refusal=(PermissionDenied,)),
    "themes.tags.set_tags": Spec("learning.edit", lambda x, w: theme_tags.set_tags(ACTOR, "finding", x.finding_id,
                                                                          [w.theme_a]), write=True),
    "themes.tags.tag": Spec("learning.edit", lambda x, w: theme_tags.tag(ACTOR, "finding", x.finding_id, w.theme_b),
                       write=True),
    "themes.tags.untag": Spec("learning.edit", lambda x, w: theme_tags.untag(ACTOR, "finding", x.finding_id, _tag_of(x)),
                         write=True),
    "themes.tags.tags_of": Spec("learning.read", lambda x, w: theme_tags.tags_of(ACTOR, "finding", x.finding_id)),
    "themes.tags.referral_id_for": Spec("referral.read", lambda x, w: theme_tags.referral_id_for(ACTOR, x.accepted_ref)),
    "themes.recurrence.recurring_themes": Spec(("learning.read", "referral.read"), lambda x, w: theme_recurrence.recurring_themes(
        ACTOR, x.pid, TODAY) or True),
    "themes.recurrence.referral_recurring_themes": Spec("referral.read", lambda x, w: theme_recurrence.referral_recurring_themes(
        ACTOR, x.accepted_ref, TODAY) or True),
    # --- meetings
    "meetings.service.agenda_preview": Spec("referral.read", lambda x, w: meetings.agenda_preview(ACTOR, x.pid, TODAY),
                                    kind="scope"),
    "meetings.service.create_meeting": Spec("meeting.run", lambda x, w: meetings.create_meeting(
        ACTOR, x.pid, TODAY + timedelta(days=14), [], TODAY), write=True),
    "meetings.service.list_meetings": Spec("referral.read", lambda x, w: meetings.list_meetings(ACTOR), kind="listing"),
    "meetings.service.get_meeting": Spec("referral.read", lambda x, w: meetings.get_meeting(ACTOR, x.meeting_id)),
    "meetings.cases.item_cases": Spec("referral.read", lambda x, w: meeting_cases.item_cases(ACTOR, x.meeting_id, TODAY)),
    "meetings.service.partnership_names": Spec("referral.read", lambda x, w: meetings.partnership_names(ACTOR),
                                       kind="listing"),
    "screening.decision_log.outcome_names": Spec("referral.read", lambda x, w: decision_log.outcome_names(ACTOR) or _refuse(),
                                       kind="global"),
    "screening.decision_log.decision_log": Spec("referral.read", lambda x, w: decision_log.decision_log(
        ACTOR, decision_log.LogFilter(partnership_ids=[x.pid])), kind="scope"),
    "screening.decision_log.export_decision_log": Spec("referral.read", lambda x, w: decision_log.export_decision_log(
        ACTOR, decision_log.LogFilter(partnership_ids=[x.pid])), kind="scope", size=_xlsx_rows),
    "meetings.attendance.add_guest": Spec("meeting.run", lambda x, w: meeting_attendance.add_guest(ACTOR, x.meeting_id, "DI Pat Police", 3),
                                         write=True),
    "meetings.attendance.invite": Spec("meeting.run", lambda x, w: meeting_attendance.invite(ACTOR, x.meeting_id, _panel_user(x)),
                                      write=True),
    "meetings.attendance.set_attendance": Spec("meeting.run", lambda x, w: meeting_attendance.set_attendance(
        ACTOR, x.meeting_id, x.member_id, "present"), write=True),
    "meetings.items.add_item": Spec("meeting.run", lambda x, w: meeting_items.add_item(ACTOR, x.meeting_id, "Annual report"),
                                   write=True),
    "meetings.items.move_item": Spec("meeting.run", lambda x, w: meeting_items.move_item(ACTOR, x.item_id, 1), write=True),
    "meetings.items.remove_item": Spec("meeting.run", lambda x, w: meeting_items.remove_item(ACTOR, x.item_id), write=True),
    "meetings.attendance.declare_conflict": Spec("meeting.run", lambda x, w: meeting_attendance.declare_conflict(
        ACTOR, x.item_id, x.member_id), write=True),
    "meetings.items.decide_item": Spec("meeting.run", lambda x, w: meeting_items.decide_item(
        ACTOR, x.item_id, x.review_type_id, "The panel agreed the criteria are met.", TODAY), write=True,
        setup=lambda x: _quorate(x)),
    "meetings.items.record_summary": Spec("meeting.run", lambda x, w: meeting_items.record_summary(
        ACTOR, x.item_id, "Discussed; more information needed.", "carried"), write=True),
    "meetings.items.add_action": Spec("meeting.run", lambda x, w: meeting_items.add_action(
        ACTOR, x.item_id, "Send the chronology.", 3, "DI Pat Police", TODAY + timedelta(days=7), TODAY), write=True),
    "meetings.service.close_meeting": Spec("meeting.run", lambda x, w: meetings.close_meeting(ACTOR, x.meeting_id, TODAY),
                                   write=True),
    "meetings.minutes_service.minutes_docx": Spec("referral.read", lambda x, w: meeting_minutes.minutes_docx(ACTOR, x.meeting_id)),
    "meetings.mail.recipients": Spec("referral.read", lambda x, w: meeting_mail.recipients(ACTOR, x.meeting_id)),
    "meetings.mail.email_minutes": Spec("meeting.run", lambda x, w: meeting_mail.email_minutes(
        ACTOR, x.meeting_id, smtp_factory=_FakeSMTP)),
}

ACTOR: Actor  # set per cell by `_as`; the lambdas above read it


def _refuse():
    raise PermissionDenied("(the call returned nothing: refused)")


def _tag_of(x: Side) -> int:
    t = theme_tags.tags_of(SYSTEM, "finding", x.finding_id)
    assert t, "the demo finding carries no theme"
    return next(iter(t))


def _panel_user(x: Side) -> int:
    return next(iter(decisions.panel_members(SYSTEM, x.pid) or {0: ""}))


def _tracker_file() -> bytes:
    return TRACKER_FILE[0]


TRACKER_FILE: list[bytes] = []  # NB's tracker, exported once when the module's copy is made


class _FakeSMTP:
    def __init__(self, *a, **k):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def send_message(self, *a, **k):
        return {}

    def starttls(self, *a, **k):
        pass

    def login(self, *a, **k):
        pass

    def quit(self):
        pass

    def close(self):
        pass


def _quorate(x: Side) -> None:
    """Make the meeting quorate (the three statutory partners present, everyone invited present),
    by the system actor, so that only the actor's right to run the meeting decides the outcome."""
    for name, agency in (("Sam Social Care", 1), ("DI Pat Police", 3), ("Dr Hana Health", 4)):
        meeting_attendance.add_guest(SYSTEM, x.meeting_id, name, agency)
    for mm in meetings.get_meeting(SYSTEM, x.meeting_id).members:
        meeting_attendance.set_attendance(SYSTEM, x.meeting_id, mm.id, "present")


FRESH: list[int] = [0]


def _fresh_theme() -> None:
    """An untagged local theme to merge (a merge that would lose tags is refused as invalid)."""
    with read_session() as s:
        national = _one(s, select(Theme).where(Theme.kind == "national").order_by(Theme.id)).id
    FRESH[0] = themes.add_theme(SYSTEM, "matrix theme to merge", "local", national)


# ------------------------------------------------------------------------------ the matrix


def _service_functions() -> dict[str, Callable]:
    """Every public function taking the actor first, in every module of the feature packages,
    keyed 'package.module.function' (e.g. 'referrals.service.create_referral')."""
    found = {}
    for name in service_modules():
        mod = importlib.import_module(f"panel.{name}")
        for fname, f in inspect.getmembers(mod, inspect.isfunction):
            if f.__module__ != mod.__name__ or fname.startswith("_"):
                continue
            params = list(inspect.signature(f).parameters)
            if params and params[0] == "actor":
                found[f"{name}.{fname}"] = f
    return found


def test_every_service_function_is_in_the_call_table():
    found = set(_service_functions())
    missing, stale = sorted(found - set(CALLS)), sorted(set(CALLS) - found)
    assert not missing, f"service functions with no row in tests/test_access_matrix.py CALLS: {missing}"
    assert not stale, f"rows for functions that no longer exist: {stale}"
    assert len(found) >= 100
    # A module moved out of the walk would drop its functions silently: count the modules too.
    assert len({key.rsplit(".", 1)[0] for key in found}) >= MIN_SERVICE_MODULES


def _expected(spec: Spec, role: str, side: str) -> bool:
    _, roles, regional = ACCOUNTS[role]
    if spec.kind == "own":
        return True
    perms = (spec.perm,) if isinstance(spec.perm, str) else spec.perm
    if spec.kind == "global":
        held = set().union(*roles.values()) if roles else set()
    else:
        held = roles.get(NB if side == OWN else WV, set())
    return any(PERMISSIONS.get(p, frozenset()) & held for p in perms) or (spec.regional and regional)


def _cells():
    for name, spec in CALLS.items():
        if spec.kind == "exempt":
            continue
        for role in ACCOUNTS:
            for side in ((OWN,) if spec.kind in ("global", "own") else (OWN, OTHER)):
                yield pytest.param(name, role, side, id=f"{name}-{role}-{side}")


CELLS = list(_cells())
_checked: list[str] = []

FINGERPRINT_SKIP = {"auditevent", "alembic_version"}


_COLUMNS: dict[str, list[str]] = {}  # the schema's tables and columns, read once


def _fingerprint() -> dict[str, str]:
    """A hash of every table's rows (audit aside): equal before and after means nothing changed.
    On SQLite each table is folded to one string in SQL (reading rows into Python is ~10x slower)."""
    if not _COLUMNS:
        insp = sa_inspect(get_engine())
        _COLUMNS.update({t: [c["name"] for c in insp.get_columns(t)] for t in sorted(insp.get_table_names())
                         if t not in FINGERPRINT_SKIP and "fts" not in t})
    out = {}
    with read_session() as s:
        for t, names in _COLUMNS.items():
            if ON_PG:
                rows = repr(s.exec(text(f'select * from "{t}" order by 1')).all())  # noqa: S608 (schema names)
            else:
                cols = "||','||".join(f'quote("{c}")' for c in names)
                rows = s.exec(text(f'select group_concat(x, char(10)) from '  # noqa: S608 (schema names)
                                   f'(select {cols} as x from "{t}" order by rowid)')).one()[0] or ""
            out[t] = hashlib.sha256(rows.encode()).hexdigest()
    return out


def _other_users(user_id: int) -> list[tuple]:
    """Every account but this one, in full: an "own" call must leave them as they were."""
    with read_session() as s:
        return [tuple(u.model_dump().items()) for u in s.exec(select(User).where(User.id != user_id).order_by(User.id))]


def _audit_since(last_id: int) -> list[str]:
    with read_session() as s:
        return [r[0] for r in s.exec(text("select action from auditevent where id > :i"), params={"i": last_id}).all()]


def _last_audit() -> int:
    with read_session() as s:
        return s.exec(text("select coalesce(max(id), 0) from auditevent")).one()[0]


def _visible(result, code: str) -> bool:
    name = {"NB": "Northbrook", "EM": "Eastmere", "WV": "Westvale"}[code]
    pid = {"NB": NB, "EM": EM, "WV": WV}[code]
    if isinstance(result, list) and result and all(isinstance(v, int) for v in result):
        return pid in result
    if isinstance(result, list) and result and hasattr(result[0], "code"):
        return any(p.code == code for p in result)
    if isinstance(result, dict) and all(isinstance(k, int) for k in result):
        return pid in result
    t = _text(result)
    return bool(re.search(rf"\b{code}-\d{{4}}-\d{{3}}", t)) or name in t or f'"{code}"' in t or f",{code}," in t


@pytest.mark.parametrize(("name", "role", "side"), CELLS)
def test_cell(name, role, side, cell_db):
    global ACTOR
    w = cell_db
    spec = CALLS[name]
    username, _, _ = ACCOUNTS[role]
    actor = accounts.actor_for(username)
    assert actor is not None, username
    ACTOR = actor
    x = w.sides[side]
    allowed = _expected(spec, role, side)
    if spec.setup is not None:
        spec.setup(x)
    before = _fingerprint() if spec.write and not allowed else None
    last = _last_audit()
    _checked.append(f"{name}-{role}-{side}")

    if spec.kind == "own":
        others = _other_users(actor.user_id)
        spec.call(x, w)
        assert _other_users(actor.user_id) == others, "another user's account changed"
    elif spec.kind in ("record", "global"):
        if allowed:
            spec.call(x, w)
        else:
            with pytest.raises(spec.refusal) as e:
                spec.call(x, w)
            if isinstance(e.value, ValidationFailed):
                assert set(e.value.errors) <= spec.refusal_keys, e.value.errors
            if spec.audited and side == OTHER:
                assert "not_found" in _audit_since(last), "another partnership's reference was not audited"
    elif spec.kind == "scope":
        size = spec.size or _n
        if allowed:
            assert size(spec.call(x, w)) > 0, "allowed, but nothing came back"
        else:
            try:
                result = spec.call(x, w)
            except spec.refusal:
                pass
            else:
                assert size(result) == 0, f"refused, yet data for {x.code} came back"
    elif spec.kind == "listing":
        try:
            result = spec.call(x, w)
        except PermissionDenied:
            assert not allowed, "allowed, but refused"
        else:
            assert _visible(result, x.code) == allowed, \
                f"{x.code} {'missing from' if allowed else 'visible in'} the result"
    else:
        raise AssertionError(spec.kind)

    if before is not None:
        assert _fingerprint() == before, "a refused write changed the database"
        assert set(_audit_since(last)) <= {"not_found"}, "a refused write left an audit row"


# ------------------------------------------------------------------------------ whose account

# Every call that manages another person's account, aimed at `target`. Managing an account is
# acting as it (a temporary password, then sign in), so an administrator may do it only if they
# administer every partnership the account can act in.
MANAGE: dict[str, Callable[[Actor, str], Any]] = {
    "accounts.service.managed_user_id": lambda a, t: accounts.managed_user_id(a, t),
    "accounts.service.set_password": lambda a, t: accounts.set_password(a, t, "a-long-passphrase-3"),
    "accounts.service.unlock_user": lambda a, t: accounts.unlock_user(a, t),
    "users.set_role grant": lambda a, t: users.set_role(a, t, NB, "chair", True),
    "users.set_role remove": lambda a, t: users.set_role(a, t, NB, "referrer", False),
    "users.set_active disable": lambda a, t: users.set_active(a, t, False),
    "users.set_active enable": lambda a, t: users.set_active(a, t, True),
    "accounts.users.sign_out_everywhere": lambda a, t: users.sign_out_everywhere(a, t),
}
# (actor, target, allowed). In this module's copy: "admin.nb" administers NB only; "span" is a
# referrer in NB and WV; "admin" administers NB and EM; "regional" reaches every partnership;
# "nobody" holds no role.
TARGETS = [
    ("admin.nb", "span", False),  # holds a role in WV too
    ("admin.nb", "admin", False),  # the all-partnership administrator
    ("admin.nb", "regional", False),
    ("admin", "span", False),  # administers NB and EM, not WV
    ("admin", "regional", False),
    ("admin.nb", "referrer", True),  # wholly in NB
    ("admin.nb", "nobody", True),  # no role: reaches nothing
]


@pytest.fixture
def account_db(world, tmp_path, monkeypatch):
    database = new_database(tmp_path, world.template)
    database.use(monkeypatch)
    accounts.create_user(SYSTEM, username="admin.nb", name="Northbrook Admin", email="admin.nb@example.org",
                         password="a-long-passphrase-4", memberships=[("NB", "admin")])
    accounts.create_user(SYSTEM, username="span", name="Two Partnerships", email="span@example.org",
                         password="a-long-passphrase-5", memberships=[("NB", "referrer"), ("WV", "referrer")])
    yield
    dispose_engine(database.url)
    drop_database(database)


@pytest.mark.parametrize(("actor_name", "target", "allowed"), TARGETS,
                         ids=[f"{a}-on-{t}" for a, t, _ in TARGETS])
@pytest.mark.parametrize("call", list(MANAGE))
def test_account_management_needs_every_partnership_of_the_account(call, actor_name, target, allowed, account_db):
    actor = accounts.actor_for(actor_name)
    before, last = _fingerprint(), _last_audit()
    if allowed:
        MANAGE[call](actor, target)
        return
    with pytest.raises(NotFound):
        MANAGE[call](actor, target)
    assert _fingerprint() == before, "a refused account change was written"
    assert _audit_since(last) == ["not_found"], "the refusal was not audited"
    rows = {r.username: r for r in users.list_users(actor)}
    assert target not in rows or not rows[target].manageable, "the list offers what the service refuses"


def test_zz_report_cells_checked():
    """Prints how many cells ran (pytest -s shows it; the count is also asserted)."""
    print(f"\naccess matrix: {len(_checked)} cells checked of {len(CELLS)} "
          f"({len([c for c in CALLS.values() if c.kind != 'exempt'])} service functions, {len(ACCOUNTS)} roles)")
    assert len(CELLS) > 1000


# ------------------------------------------------------------------------------ docs/access.md


def render_doc() -> str:
    roles = list(ROLES)
    lines = [
        "# Who may do what",
        "",
        "Generated from `PERMISSIONS` in `src/panel/core/access.py` by",
        "`.venv/bin/python -m tests.test_access_matrix`; `tests/test_access_matrix.py` fails when this",
        "file is out of date. Roles are held per partnership: a permission applies only in the",
        "partnerships where the user holds the role. Another partnership's record is \"not found\"",
        "(a reference looked up from another partnership is also audited). Regional users",
        "(`is_regional`) may also read anonymised learning across partnerships; the command line",
        "acts as the system, which may do everything.",
        "",
        "| permission | " + " | ".join(roles) + " |",
        "| --- | " + " | ".join("---" for _ in roles) + " |",
    ]
    for perm, allowed in PERMISSIONS.items():
        lines.append(f"| `{perm}` | " + " | ".join("yes" if r in allowed else "" for r in roles) + " |")
    uses: dict[str, list[str]] = {}
    for name, spec in CALLS.items():
        if spec.kind == "exempt":
            continue
        perms = (spec.perm,) if isinstance(spec.perm, str) else spec.perm
        key = " or ".join(f"`{p}`" for p in perms) + (" (or regional)" if spec.regional else "")
        if spec.kind == "own":
            key = "any signed-in user, for their own account"
        uses.setdefault(key or "regional users only", []).append(f"`{name}`")
    lines += ["", "## Which service call needs which permission", "",
              "Checked for every role, in the user's own partnership and in another, by",
              "`tests/test_access_matrix.py`.", "", "| needs | service calls |", "| --- | --- |"]
    for key in sorted(uses):
        lines.append(f"| {key} | {', '.join(sorted(uses[key]))} |")
    return "\n".join(lines) + "\n"


def test_access_doc_is_current():
    assert DOC.exists() and DOC.read_text() == render_doc(), \
        "docs/access.md is out of date: run .venv/bin/python -m tests.test_access_matrix"


if __name__ == "__main__":
    DOC.write_text(render_doc())
    print(f"wrote {DOC}")
