"""Hostile input to every form's service. Whatever the input, the service either
succeeds or raises a PanelError (ValidationFailed messages keyed by the form's field names, which
the page shows beside each field); nothing else escapes, and a refused write changes no row and
writes no audit row. One demo copy for the module: refused writes must leave it as it was, and
accepted ones are real writes the next example builds on.

`pytest -s` prints the number of generated cases; `max_examples` keeps the module under ~30 s.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.core.db import dispose_engine, get_engine, read_session
from panel.core.errors import PanelError, ValidationFailed
from panel.learning import actions, briefings
from panel.meetings import attendance as meeting_attendance
from panel.meetings import items as meeting_items
from panel.meetings import minutes_service as meeting_minutes
from panel.meetings import service as meetings
from panel.models import Action, Referral, Review, ReviewType, Theme
from panel.notifications import service as notifications
from panel.referrals import service as referrals
from panel.reviews import record as review_record
from panel.reviews import service as reviews
from panel.reviews import types_service as review_types
from panel.screening import decisions
from panel.screening import service as screening
from panel.screening.rules import LCSPR_CONSIDERATIONS
from panel.themes import service as themes
from tests.conftest import TODAY, new_database

CASES = {"n": 0}


def whole_module_here(request) -> bool:
    """Every test of this module ran in this process (no -k, no xdist), so the count is whole."""
    mine = [i for i in request.session.items if i.module is request.module]
    return not os.environ.get("PYTEST_XDIST_WORKER") and len(mine) == len(
        [n for n in dir(request.module) if n.startswith("test_")])
MILESTONE_KEY = re.compile(r"milestones\[\d+\]\.\w+")  # the review types page lists these per row
FAST = settings(max_examples=150, suppress_health_check=list(HealthCheck), deadline=None)
MANY = settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)

# hostile scalars: huge and control-laden text, NULs, formulas, wrong types
# any Unicode a browser can send (lone surrogates cannot travel as UTF-8, so none here)
texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
    st.sampled_from(["", " ", "\x00", "=cmd|' /C calc'!A0", "<script>alert(1)</script>", "a" * 20_000,
                     "Robert'); DROP TABLE referral;--", "\u202e\u0000\ufeff", "NB-2026-001", "   x   "]),
)
junk = st.one_of(texts, st.none(), st.integers(), st.floats(allow_nan=True), st.booleans(),
                 st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)), st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
dates = st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
                  st.dates(min_value=TODAY - timedelta(days=60), max_value=TODAY + timedelta(days=5)))


@pytest.fixture(scope="module")
def fuzz_db(demo_template, tmp_path_factory):
    database = new_database(tmp_path_factory.mktemp("fuzz-forms"), demo_template)
    with pytest.MonkeyPatch.context() as mp:
        database.use(mp)
        mp.setenv("PANEL_TODAY", TODAY.isoformat())
        with read_session() as s:
            ctx = {
                "new": [r.reference for r in s.exec(select(Referral).where(Referral.status == "new",
                                                                             Referral.partnership_id == 1))],
                "accepted": [r.reference for r in s.exec(select(Referral).where(Referral.status == "accepted",
                                                                                  Referral.partnership_id == 1))],
                "lcspr": s.exec(select(Review).join(ReviewType, ReviewType.id == Review.review_type_id)
                                .where(Review.status == "open", ReviewType.key == "lcspr", Review.partnership_id == 1))
                                .first().reference,
                "rapid": s.exec(select(Review).join(ReviewType, ReviewType.id == Review.review_type_id)
                                .where(Review.status == "open", ReviewType.key == "rapid_review")).first().reference,
                "types": [t.id for t in s.exec(select(ReviewType).where(ReviewType.partnership_id == 1))],
                "actions": [a.id for a in s.exec(select(Action).where(Action.status == "open").limit(5))],
                "themes": [t.id for t in s.exec(select(Theme))],
            }
        ctx["meeting"] = meetings.create_meeting(SYSTEM, 1, TODAY + timedelta(days=7),
                                                 list(decisions.panel_members(SYSTEM, 1)), TODAY)
        yield ctx
        dispose_engine(get_engine().url.render_as_string(hide_password=False))


def _counts() -> tuple:
    """Rows per table (audit included, less not_found rows which a refused lookup adds)."""
    names = [t for t in sa_inspect(get_engine()).get_table_names() if "fts" not in t]
    q = " union all ".join(f"select '{t}', count(*) from \"{t}\"" for t in sorted(names))  # noqa: S608
    with read_session() as s:
        rows = dict(s.exec(text(q)).all())
        rows["auditevent"] -= s.exec(text("select count(*) from auditevent where action = 'not_found'")).one()[0]
    return tuple(sorted(rows.items()))


def attempt(fields: set[str], call) -> bool:
    """Run one hostile call: True if it was accepted. Refusals must be PanelErrors, ValidationFailed
    keyed by the form's fields with a message for each, and leave every table as it was."""
    CASES["n"] += 1
    before = _counts()
    try:
        call()
    except ValidationFailed as e:
        assert e.errors, "a ValidationFailed with no field"
        unknown = {k for k in e.errors if k not in fields and not MILESTONE_KEY.fullmatch(k)}
        assert not unknown, f"message keyed by fields the form does not show: {unknown}"
        assert all(isinstance(m, str) and m.strip() for m in e.errors.values())
    except PanelError as e:
        assert str(e).strip()
    else:
        return True
    assert _counts() == before, "a refused write changed the database"
    return False


REFERRAL_FIELDS = {"received_on", "aware_on", "incident_date", "referrer_name", "referrer_agency_id", "identified_by",
                   "child_initials", "child_age_years", "child_dob", "child_sex", "child_ethnicity",
                   "incident_summary", "harm", "abuse_or_neglect", "location", "agencies_involved", "partnership_id",
                   "referrer_email", "referrer_phone", "identified_by_other", "location_other", "link_to"}


@FAST
@given(data=st.dictionaries(st.sampled_from(sorted(REFERRAL_FIELDS)), junk, max_size=12),
       good=st.booleans())
def test_make_referral(fuzz_db, data, good):
    base = {"received_on": TODAY, "aware_on": TODAY, "incident_date": TODAY, "referrer_name": "Nurse",
            "referrer_agency_id": 5, "identified_by": "staff_partner_community", "child_initials": "QZ",
            "child_age_years": 1, "child_sex": "male", "child_ethnicity": "mixed",
            "incident_summary": "Baby admitted with bruising.", "harm": "serious_harm", "abuse_or_neglect": "suspected",
            "location": "in_area", "agencies_involved": [3]} if good else {}
    attempt(REFERRAL_FIELDS, lambda: referrals.submit(accounts.actor_for("referrer"), 1, {**base, **data}, TODAY))


@FAST
@given(action=st.one_of(st.sampled_from(["accept", "request_information", "close"]), texts), note=texts,
       version=st.one_of(st.integers(-5, 5), st.just(1)), which=st.integers(0, 3))
def test_triage(fuzz_db, action, note, version, which):
    ref = fuzz_db["new"][which % len(fuzz_db["new"])]
    attempt({"action", "note", "status"}, lambda: referrals.triage(accounts.actor_for("chair"), ref, action, note,
                                                                     version))


SCREENING_KEYS = sorted(screening.FACT_FIELDS)


@MANY
@given(answers=st.dictionaries(st.one_of(st.sampled_from(SCREENING_KEYS), texts), junk, max_size=6),
       which=st.integers(0, 3))
def test_screening_answers(fuzz_db, answers, which):
    ref = fuzz_db["accepted"][which % len(fuzz_db["accepted"])]
    with read_session() as s:
        version = s.exec(select(Referral).where(Referral.reference == ref)).one().version
    attempt(set(map(str, answers)) | {"facts", "screening", "status"},
            lambda: screening.save_facts(accounts.actor_for("chair"), ref, answers, version))


@FAST
@given(body=st.one_of(st.sampled_from(["national_panel", "ofsted", "safeguarding_partners"]), texts),
       sent_on=dates, sent_ref=texts, which=st.integers(0, 3))
def test_notification_sent(fuzz_db, body, sent_on, sent_ref, which):
    ref = fuzz_db["accepted"][which % len(fuzz_db["accepted"])]
    attempt({"body", "sent_on", "sent_reference"}, lambda: screening.record_notification(
        accounts.actor_for("chair"), ref, body, sent_on, sent_ref, TODAY))


@FAST
@given(body=st.one_of(st.sampled_from(["national_panel", "safeguarding_partners", "secretary_of_state"]), junk),
       sent_on=st.one_of(dates, junk), sent_ref=st.one_of(texts, junk), which=st.integers(0, 3))
def test_incident_notification_sent(fuzz_db, body, sent_on, sent_ref, which):
    """The notification ready to send, recorded for the referral and its siblings at once."""
    ref = fuzz_db["accepted"][which % len(fuzz_db["accepted"])]
    attempt({"body", "sent_on", "sent_reference"}, lambda: notifications.record_sent(
        accounts.actor_for("manager"), ref, body, sent_on, sent_ref, TODAY))


@FAST
@given(decision=st.one_of(st.none(), st.sampled_from(["notify", "refer_to_panel", "internal_review"]), texts),
       informed=dates, which=st.integers(0, 3))
def test_director_route(fuzz_db, decision, informed, which):
    ref = fuzz_db["accepted"][which % len(fuzz_db["accepted"])]
    attempt({"director_decision", "dcs_informed_on"}, lambda: screening.record_director_route(
        accounts.actor_for("chair"), ref, decision, informed, TODAY))


DECISION_FIELDS = {"review_type_id", "rationale", "present", "apologies", "conflicts", "decided_on",
                   "departure_rationale", "amends", "amendment_reason", "status", "sign"}


@FAST
@given(type_id=st.one_of(st.none(), st.integers(-3, 40)), rationale=texts, present=st.lists(st.integers(-2, 12),
       max_size=4), apologies=st.lists(st.integers(-2, 12), max_size=3), conflicts=st.lists(st.integers(-2, 12),
       max_size=2), decided_on=dates, departure=texts, amends=st.one_of(st.none(), st.integers(-1, 200)),
       reason=texts, sign=st.booleans(), which=st.integers(0, 3))
def test_decision_record_and_sign(fuzz_db, type_id, rationale, present, apologies, conflicts, decided_on, departure,
                                  amends, reason, sign, which):
    ref = fuzz_db["accepted"][which % len(fuzz_db["accepted"])]
    form = decisions.DecisionForm(type_id, rationale, present, apologies, conflicts, decided_on, departure, amends,
                                  reason)
    out = {}
    ok = attempt(DECISION_FIELDS, lambda: out.setdefault("id", decisions.record_decision(
        accounts.actor_for("member"), ref, form, TODAY)))
    if ok and sign:
        attempt(DECISION_FIELDS, lambda: decisions.sign_decision(accounts.actor_for("chair"), out["id"], TODAY, attendance_confirmed=True))


def _version(ref: str) -> int:
    with read_session() as s:
        return s.exec(select(Review).where(Review.reference == ref)).one().version


REVIEW_FIELDS = {"actual_on", "key", "starts_on", "working_days", "reason", "lead_reviewer", "lead_reviewer_email",
                 "publication_status", "publication_reason", "agency_id", "kind", "requested_on", "due_on",
                 "contact_email", "received_on", "review"}


@MANY
@given(op=st.sampled_from(["milestone", "delay", "details", "request"]), key=st.one_of(
    st.sampled_from(["publication", "panel_sign_off", "draft_report", "chronologies_received", "closure"]), texts),
    d1=dates, d2=dates, n=st.one_of(st.none(), st.integers(-5, 400)), t1=texts, t2=texts,
    status=st.one_of(st.sampled_from(["planned", "delayed", "withheld"]), texts), stale=st.booleans())
def test_review_record_dates_delay_publication(fuzz_db, op, key, d1, d2, n, t1, t2, status, stale):
    ref, chair = fuzz_db["lcspr"], accounts.actor_for("manager")
    v = _version(ref) - (1 if stale else 0)
    call = {
        "milestone": lambda: review_record.record_milestone(chair, ref, key, d1, v, TODAY),
        "delay": lambda: review_record.record_delay(chair, ref, d1, n, t1, v),
        "details": lambda: review_record.update_details(chair, ref, lead_reviewer=t1, lead_reviewer_email=t2,
                                                       publication_status=status, publication_reason=t1,
                                                       expected_version=v),
        "request": lambda: review_record.add_agency_request(chair, ref, agency_id=n, kind=key, requested_on=d1,
                                                           due_on=d2, contact_email=t2, today=TODAY),
    }[op]
    attempt(REVIEW_FIELDS, call)


@FAST
@given(cons=st.dictionaries(texts, st.one_of(st.sampled_from(["yes", "no", "unknown"]), texts), max_size=4),
       decision=st.one_of(st.none(), st.sampled_from(["lcspr", "no_lcspr"]), texts), sent=dates,
       response=st.one_of(st.none(), texts), note=texts, decided=dates)
def test_rapid_review_outcome(fuzz_db, cons, decision, sent, response, note, decided):
    ref = fuzz_db["rapid"]
    attempt(REVIEW_FIELDS | {"considerations", "lcspr_decision", "decided_on", "sent_on", "response", "response_note"}
            | {f"consideration_{k}" for k, _ in LCSPR_CONSIDERATIONS}, lambda: reviews.record_rapid_review_outcome(
                SYSTEM, ref, considerations=cons, lcspr_decision=decision, sent_on=sent, response=response,
                response_note=note, expected_version=_version(ref), today=TODAY, decided_on=decided))


ACTION_FIELDS = {"owner_agency_id", "owner_name", "owner_email", "text", "due_on", "note", "status",
                 "evidence_of_impact", "recommendation_id"}


@MANY
@given(op=st.sampled_from(["add", "progress", "close"]), n=st.one_of(st.none(), st.integers(-3, 20)), t1=texts,
       t2=texts, t3=texts, due=dates, status=st.one_of(st.sampled_from(["open", "in_progress", "completed", "closed"]),
                                                     texts), which=st.integers(0, 4))
def test_actions_progress_evidence(fuzz_db, op, n, t1, t2, t3, due, status, which):
    aid = fuzz_db["actions"][which % len(fuzz_db["actions"])]
    who = accounts.actor_for("manager")
    with read_session() as s:
        a = s.get(Action, aid)
    call = {
        "add": lambda: actions.add_action(who, a.recommendation_id or 1, n, t1, t2, t3, due),
        "progress": lambda: actions.record_progress(who, aid, t1, status, a.version),
        "close": lambda: actions.close_action(who, aid, t1, a.version, TODAY),
    }[op]
    attempt(ACTION_FIELDS, call)


@MANY
@given(op=st.sampled_from(["add", "rename", "merge"]), name=texts, kind=st.one_of(
    st.sampled_from(["local", "national"]), texts), a=st.integers(-1, 50), b=st.integers(-1, 50), desc=texts)
def test_themes_add_rename_merge(fuzz_db, op, name, kind, a, b, desc):
    admin = accounts.actor_for("admin")
    call = {
        "add": lambda: themes.add_theme(admin, name, kind, a if a % 3 else None, desc),
        "rename": lambda: themes.rename_theme(admin, a, name, desc),
        "merge": lambda: themes.merge_themes(admin, a, b),
    }[op]
    attempt({"name", "kind", "national_id", "description", "source", "target"}, call)


@FAST
@given(name=texts, desc=texts, milestones=st.lists(st.dictionaries(
    st.sampled_from(["key", "name", "offset", "unit", "anchor", "junk"]), junk, max_size=5), max_size=4),
    active=st.booleans(), which=st.integers(0, 10))
def test_review_types_edit(fuzz_db, name, desc, milestones, active, which):
    tid = fuzz_db["types"][which % len(fuzz_db["types"])]
    with read_session() as s:
        v = s.get(ReviewType, tid).version
    attempt({"name", "description", "milestones", "active"}, lambda: review_types.update_type(
        accounts.actor_for("admin"), tid, name=name, description=desc, milestones=milestones, active=active,
        expected_version=v))


@FAST
@given(op=st.sampled_from(["item", "guest", "attendance", "summary", "action", "create"]), t1=texts, t2=texts,
       n=st.one_of(st.none(), st.integers(-2, 20)), kind=st.one_of(st.sampled_from(["referral", "other"]), texts),
       due=dates, status=st.one_of(st.none(), st.sampled_from(["discussed", "carried", "pending"]), texts))
def test_meetings(fuzz_db, op, t1, t2, n, kind, due, status):
    chair, mid = accounts.actor_for("chair"), fuzz_db["meeting"]
    v = meetings.get_meeting(chair, mid)
    item = v.items[0].id if v.items else -1
    member = v.members[0].id if v.members else -1
    call = {
        "item": lambda: meeting_items.add_item(chair, mid, t1, kind, t2),
        "guest": lambda: meeting_attendance.add_guest(chair, mid, t1, n),
        "attendance": lambda: meeting_attendance.set_attendance(chair, mid, member, t1),
        "summary": lambda: meeting_items.record_summary(chair, item, t1, status),
        "action": lambda: meeting_items.add_action(chair, item, t1, n, t2, due, TODAY),
        "create": lambda: meetings.create_meeting(chair, 1, due, [n] if n else [], TODAY),
    }[op]
    attempt({"title", "kind", "reference", "name", "agency_id", "attendance", "status", "summary", "text",
             "owner_name", "owner_agency_id", "due_on", "held_on", "invite", "item", "meeting"}, call)
    if op == "summary":  # whatever text was kept, the minutes still build
        CASES["n"] += 1
        assert meeting_minutes.minutes_docx(chair, mid)[:2] == b"PK"


@settings(FAST, max_examples=40)  # each builds a Word file
@given(sections=st.dictionaries(st.one_of(st.sampled_from(["background", "learning", "what_next"]), texts), texts,
                                max_size=5))
def test_briefing_text(fuzz_db, sections):
    CASES["n"] += 1
    data, hits = briefings.build(accounts.actor_for("chair"), fuzz_db["lcspr"], sections)
    assert data[:2] == b"PK" and isinstance(hits, list)


def test_zz_fuzz_cases_printed(request):
    print(f"\nfuzz (forms): {CASES['n']} hostile cases run")
    if whole_module_here(request):  # under -k or xdist the count is partial
        assert CASES["n"] >= 2000
