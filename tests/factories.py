"""Builders shared by several test modules: one place, so no test module imports another.

Fixtures live in tests/conftest.py; these are plain functions and constants.
"""

from __future__ import annotations

import argparse
import copy
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import SQLModel, select

from panel import tracker_io
from panel.accounts import service as accounts
from panel.accounts.partnerships import create_partnership
from panel.cli import imports as cli_import
from panel.core.access import SYSTEM, Actor
from panel.core.clock import add_working_days
from panel.core.db import read_session, transaction
from panel.demo import small as demo
from panel.meetings import service as meetings
from panel.models import (
    Action,
    Agency,
    AgendaItem,
    AuditEvent,
    Decision,
    Finding,
    Meeting,
    Notification,
    Partnership,
    Recommendation,
    RecommendationAgency,
    Referral,
    ReferralAgency,
    Review,
    ReviewMilestone,
    ReviewType,
    Theme,
    ThemeTag,
)
from panel.referrals import service as referrals
from panel.reviews import types_service as review_types
from panel.reviews.types_service import seed_defaults
from panel.screening import decisions
from panel.themes import service as theme_service
from panel.tracker_io import service as imports
from tests.conftest import TODAY


def row_counts() -> dict[str, int]:
    """Rows in every table, by table name: compare before and after to see what a call wrote."""
    with read_session() as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


# -- the action register: learning planted on top of the demo's reviews ---------------------------

NB_REVIEW = "NB-2026-005-R1"
EM_REVIEW = "EM-2026-009-R1"
OWNER = "Quinn Testowner"  # no demo action has this owner
EVIDENCE = ("A re-audit of 20 strategy meetings in October found police attended all of them, "
            "up from 9 of 20 before the review.")


@dataclass
class Planted:
    nb_rec: int
    em_rec: int
    overdue: int  # NB, Police, due 5 days ago
    amber: int  # NB, Children's social care, due in 3 working days
    green: int  # NB, Police, due in 60 days
    closed: int  # NB, closed with evidence
    em_overdue: int  # EM: another partnership's action


def agency_id(name: str) -> int:
    with read_session() as s:
        return s.exec(select(Agency.id).where(Agency.name == name)).one()


def plant_learning(owner: str = OWNER) -> Planted:
    """A finding, recommendation and actions on one NB review and one EM review."""
    police, csc = agency_id("Police"), agency_id("Children's social care")
    with transaction() as s:
        out = {}
        for key, ref in (("nb", NB_REVIEW), ("em", EM_REVIEW)):
            rv = s.exec(select(Review).where(Review.reference == ref)).one()
            f = Finding(partnership_id=rv.partnership_id, review_id=rv.id, recorded_on=date(2026, 9, 1),
                        text=f"Strategy meetings in {ref} were held without police.")
            s.add(f)
            s.flush()
            r = Recommendation(partnership_id=rv.partnership_id, finding_id=f.id, review_id=rv.id,
                               recorded_on=date(2026, 9, 1),
                               text="Police attend every strategy meeting about a child under one.")
            s.add(r)
            s.flush()
            s.add(RecommendationAgency(recommendation_id=r.id, agency_id=police))
            out[key] = (rv, r)

        def add(key, agency, due, text, **kw):
            rv, r = out[key]
            a = Action(partnership_id=rv.partnership_id, recommendation_id=r.id, owner_agency_id=agency,
                       owner_name=kw.pop("owner_name", owner), owner_email=kw.pop("owner_email", "quinn@example.org"),
                       text=text, due_on=due, **kw)
            s.add(a)
            s.flush()
            return a.id

        ids = Planted(
            nb_rec=out["nb"][1].id, em_rec=out["em"][1].id,
            green=add("nb", police, TODAY + timedelta(days=60), "Publish the revised strategy meeting guidance."),
            amber=add("nb", csc, add_working_days(TODAY, 3), "Brief every team manager on the guidance."),
            overdue=add("nb", police, TODAY - timedelta(days=5), "Audit strategy meeting attendance."),
            closed=add("nb", police, TODAY - timedelta(days=30), "Train call handlers.", status="closed",
                       evidence_of_impact=EVIDENCE, closed_on=TODAY - timedelta(days=2)),
            em_overdue=add("em", police, TODAY - timedelta(days=40), "Eastmere: audit attendance."),
        )
    return ids


MEETING_DAY = date(2026, 11, 2)  # a closed NB meeting the tests plant
MEETING_OWNER = "Morgan Meetingowner"  # no demo action has this owner


def plant_meeting_action(agency: str | None = "Police", due_on: date = TODAY - timedelta(days=3),
                         text: str = "Ask the school for its attendance records.",
                         owner_email: str | None = "morgan.owner@example.org") -> int:
    """An action agreed at a closed NB meeting (no recommendation), as its capture stores it; with
    `agency` None, one moved from an older meeting record that named no agency. Its id."""
    with transaction() as s:
        pid = s.exec(select(Partnership.id).where(Partnership.code == "NB")).one()
        m = Meeting(partnership_id=pid, held_on=MEETING_DAY, status="closed")
        s.add(m)
        s.flush()
        item = AgendaItem(meeting_id=m.id, kind="other", title="Attendance at school", status="discussed")
        s.add(item)
        s.flush()
        a = Action(partnership_id=pid, meeting_item_id=item.id, owner_name=MEETING_OWNER, owner_email=owner_email,
                   owner_agency_id=s.exec(select(Agency.id).where(Agency.name == agency)).one() if agency else None,
                   text=text, due_on=due_on)
        s.add(a)
        s.flush()
        return a.id


# -- referrals, screening and the panel's decision, built through the services -------------------

AWARE = date(2026, 11, 20)  # a Friday: notify by Friday 27 November


def actor(name):
    return accounts.actor_for(name)


def ensure_review_types() -> None:
    """Every partnership's default outcomes (idempotent: the demo may already have them)."""
    with transaction() as s:
        for p in s.exec(select(Partnership)).all():
            review_types.seed_defaults(s, p.id)


def nb_id() -> int:
    return actor("chair").partnerships_with("decision.sign")[0]


def type_id(key: str, partnership_id: int | None = None) -> int:
    pid = partnership_id or nb_id()
    return next(t.id for t in review_types.list_types(actor("chair"), pid) if t.key == key)


def user_id(username: str) -> int:
    return actor(username).user_id


def referral(reference: str) -> Referral:
    with read_session() as s:
        return s.exec(select(Referral).where(Referral.reference == reference)).one()


def referral_form(**overrides) -> dict:
    """A valid referral form for NB: a baby seriously harmed by known abuse, aware on a Friday."""
    data = {
        "received_on": TODAY, "aware_on": AWARE, "incident_date": date(2026, 11, 19),
        "referrer_name": "Named nurse", "referrer_agency_id": agency_id("Acute hospital trust"),
        "identified_by": "staff_partner_community", "child_initials": "DQ", "child_age_years": 1,
        "child_sex": "male", "child_ethnicity": "mixed",
        "incident_summary": "Baby admitted with bruising to the face and an unexplained fracture.",
        "harm": "serious_harm", "abuse_or_neglect": "known", "location": "in_area",
        "agencies_involved": [agency_id("Police")],
    }
    data.update(overrides)
    return data


def accepted(**overrides) -> str:
    """A new NB referral, submitted and accepted for screening by the chair; its reference."""
    ensure_review_types()
    chair = actor("chair")
    ref = referrals.submit(chair, nb_id(), referral_form(**overrides), TODAY).reference
    referrals.triage(chair, ref, "accept", "", referral(ref).version)
    return ref


def empty_nb() -> int:
    """One partnership, Northbrook, with nothing in it yet: its default review types, the demo's
    agencies, and a chair, member and manager under the demo's usernames (so `actor("chair")`,
    `accepted()` and `decision_form()` work as on the demo). Returns its id."""
    pid = create_partnership(SYSTEM, "NB", "Northbrook Safeguarding Children Partnership")
    with transaction() as s:
        s.add_all([Agency(name=n, kind=k) for n, k in demo.AGENCIES])
    for role in ("chair", "member", "manager"):
        accounts.create_user(SYSTEM, username=role, name=f"Northbrook {role}", email=f"{role}@example.org",
                             password="a long test password", memberships=[("NB", role)])
    return pid


@dataclass
class AgendaCases:
    meeting_id: int
    referral: str  # awaiting screening
    rapid_review: str  # awaiting its LCSPR decision
    lcspr: str  # its draft report done (and everything before), panel sign-off next


def meeting_with_cases() -> AgendaCases:
    """On an empty NB (`empty_nb` first): a referral awaiting screening, a rapid review awaiting
    its LCSPR decision and an LCSPR whose report awaits panel sign-off, each decided and signed
    through the services; then a meeting today, whose agenda the record builds with the three."""
    owed = accepted()
    reviews = {}
    for outcome in ("rapid_review", "lcspr"):
        did = decisions.record_decision(actor("member"), accepted(), decision_form(outcome), TODAY)
        reviews[outcome] = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    with transaction() as s:
        rv = s.exec(select(Review).where(Review.reference == reviews["lcspr"])).one()
        ms = list(s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id)))
        sign_off = next(m for m in ms if m.key == "panel_sign_off")
        for m in ms:
            if m.position < sign_off.position:
                m.actual_on = TODAY
                s.add(m)
    chair = actor("chair")
    mid = meetings.create_meeting(chair, nb_id(), TODAY, [chair.user_id], TODAY)
    return AgendaCases(mid, owed, reviews["rapid_review"], reviews["lcspr"])


def decision_form(outcome: str = "rapid_review", **kw) -> decisions.DecisionForm:
    values = {
        "review_type_id": type_id(outcome), "rationale": "A serious child safeguarding case: known abuse, serious harm.",
        "present": [user_id("chair"), user_id("member")], "apologies": [user_id("manager")], "conflicts": [],
        "decided_on": TODAY,
    }
    values.update(kw)
    return decisions.DecisionForm(**values)


def review_row(reference: str) -> Review:
    with read_session() as s:
        return s.exec(select(Review).where(Review.reference == reference)).one()


def decision_rows(ref: str) -> list[Decision]:
    return decisions.decisions_for(actor("chair"), ref)


def type_row(key: str, partnership_id: int | None = None):
    pid = partnership_id or nb_id()
    return next(t for t in review_types.list_types(actor("chair"), pid) if t.key == key)


# -- the tracker import: an installation to import into, the example file, the CLI ------------------

TRACKER_TABLES = (Referral, ReferralAgency, Notification, Decision, Review, ReviewMilestone, AuditEvent)
CSC = "Children's social care"


def tracker_counts() -> dict[str, int]:
    with read_session() as s:
        return {m.__name__: s.exec(select(func.count()).select_from(m)).one() for m in TRACKER_TABLES}


def setup_installation() -> dict[str, int]:
    """The demo's partnerships (with default review types) and agencies, and nothing else."""
    for code, name in demo.PARTNERSHIPS:
        create_partnership(SYSTEM, code, name)
    with transaction() as s:
        s.add_all([Agency(name=n, kind=k) for n, k in demo.AGENCIES])
    with read_session() as s:
        return dict(s.exec(select(Partnership.code, Partnership.id)).all())


def example(learning: bool = False) -> dict[str, list[dict]]:
    """The template's example rows; the learning sheets only when asked (tests of the case sheets
    edit references the learning would then also need)."""
    rows = copy.deepcopy(tracker_io.example_rows("NB", CSC))
    return rows if learning else {k: v for k, v in rows.items() if k not in tracker_io.LEARNING_SHEETS}


def book(rows: dict[str, list[dict]]) -> bytes:
    return tracker_io.write_workbook(rows)


def do_import(data: bytes, actor: Actor = SYSTEM, name: str = "tracker.xlsx", dry_run: bool = False):
    return imports.import_tracker(actor, data, name, TODAY, dry_run=dry_run)


def set_cell(rows, sheet, index, **values):
    rows[sheet][index].update(values)
    return rows


def cli(capsys, *argv):
    parser = argparse.ArgumentParser(prog="panel")
    cli_import.add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    code = args.fn(args)
    out, err = capsys.readouterr()
    return code, out, err


# -- learning: a small dataset whose every count can be worked out by hand ------------------------

REVIEWS_P = {  # key: (reference, started_on, review type key)
    "R1": ("TT-2023-001-R1", date(2023, 11, 23), "rapid_review"),  # first day of the 3-year window
    "R2": ("TT-2024-001-R1", date(2024, 6, 1), "rapid_review"),
    "R3": ("TT-2026-001-R1", date(2026, 11, 23), "lcspr"),
    "R4": ("TT-2023-002-R1", date(2023, 11, 22), "rapid_review"),  # one day before the window
}
REVIEWS_Q = {"Q1": ("QQ-2024-001-R1", date(2024, 1, 10), "rapid_review"),
             "Q2": ("QQ-2025-001-R1", date(2025, 1, 10), "rapid_review"),
             "Q3": ("QQ-2026-001-R1", date(2026, 1, 10), "rapid_review")}
TEXTS = {
    "F1": "Domestic abuse was seen as an adult issue; the child's experience was not considered.",
    "F2": "Online bullying moved from school to social media (col:val) and NEAR the end nobody asked.",
    "F3": 'Neglect built up over years: "start again" syndrome.',
    "F4": "Safer sleep advice was not repeated when circumstances changed.",
    "QF1": "Domestic abuse in another partnership: police call-outs were not shared.",
    "Rec1": "Police should share domestic abuse incidents with schools.",
    "Rec2": "Agencies should use a neglect tool -x.",
    "A1": "Deliver Operation Encompass briefing to every school.",
    "A2": "Train social workers to use the neglect tool.",
    "A3": "Refresh the schools' safeguarding policy.",
}


def names_of(found) -> set[str]:
    return {t.name for t in found}


def _review(s, pid: int, agency_id: int, types: dict[str, int], reference: str, started: date, key: str) -> int:
    r = Referral(reference=reference.rsplit("-", 1)[0], partnership_id=pid, status="decided", received_on=started,
                 aware_on=started, referrer_name="Designated safeguarding lead", referrer_agency_id=agency_id,
                 identified_by="partner_agency", child_initials="AB", child_age_years=3, child_sex="female",
                 child_ethnicity="not_recorded", incident_date=started, incident_summary="Test case.",
                 harm="serious_harm", abuse_or_neglect="suspected")
    s.add(r)
    s.flush()
    d = Decision(referral_id=r.id, status="signed", review_type_id=types[key], engine_regime="WT2018",
                 engine_route="rapid_review", rationale="Test.", decided_on=started)
    s.add(d)
    s.flush()
    rv = Review(reference=reference, partnership_id=pid, referral_id=r.id, decision_id=d.id,
                review_type_id=types[key], status="closed", started_on=started)
    s.add(rv)
    s.flush()
    return rv.id


def build() -> dict:
    """Two partnerships (P "TT", Q "QQ") with reviews, findings, recommendations, actions and
    tags laid out so every count in these tests can be worked out by hand (see the comments)."""
    out: dict = {}
    with transaction() as s:
        theme_service.seed_taxonomy(s)
        p, q = Partnership(code="TT", name="Testshire Partnership"), Partnership(code="QQ", name="Quayside Partnership")
        s.add_all([p, q])
        police, csc = Agency(name="Police", kind="police"), Agency(name="Children's social care", kind="local_authority")
        s.add_all([police, csc])
        s.flush()
        seed_defaults(s, p.id)
        seed_defaults(s, q.id)
        s.flush()
        out.update(P=p.id, Q=q.id, police=police.id, csc=csc.id)
        theme = {t.name: t.id for t in s.exec(select(Theme))}
        out["theme"] = theme
        for pid, reviews in ((p.id, REVIEWS_P), (q.id, REVIEWS_Q)):
            types = {t.key: t.id for t in s.exec(select(ReviewType).where(ReviewType.partnership_id == pid))}
            out["type_names"] = out.get("type_names", {}) | {t.key: t.name for t in
                                                             s.exec(select(ReviewType).where(ReviewType.partnership_id == pid))}
            for key, (ref, started, tkey) in reviews.items():
                out[key] = _review(s, pid, police.id, types, ref, started, tkey)

        def finding(key, pid, review, day, names, kind="review", title=None):
            f = Finding(partnership_id=pid, review_id=out.get(review), source_kind=kind, source_title=title,
                        recorded_on=day, text=TEXTS[key])
            s.add(f)
            s.flush()
            out[key] = f.id
            s.add_all(ThemeTag(theme_id=theme[n], entity="finding", entity_id=f.id) for n in names)

        def rec(key, f_key, day, names, agencies):
            f = s.get(Finding, out[f_key])
            r = Recommendation(partnership_id=f.partnership_id, finding_id=f.id, review_id=f.review_id,
                               text=TEXTS[key], recorded_on=day)
            s.add(r)
            s.flush()
            out[key] = r.id
            s.add_all(ThemeTag(theme_id=theme[n], entity="recommendation", entity_id=r.id) for n in names)
            s.add_all(RecommendationAgency(recommendation_id=r.id, agency_id=a) for a in agencies)

        finding("F1", p.id, "R2", date(2024, 6, 20), ["domestic abuse", "neglect"])
        finding("F2", p.id, "R4", date(2024, 2, 1), ["online harm"])
        finding("F3", p.id, "R3", date(2026, 11, 23), ["neglect"])
        finding("F4", p.id, None, date(2025, 5, 1), ["sudden unexpected death in infancy"],
                kind="child_death_review", title="CDOP learning 2025")
        finding("QF1", q.id, "Q1", date(2024, 2, 1), ["domestic abuse"])
        rec("Rec1", "F1", date(2024, 7, 1), ["domestic abuse"], [police.id, csc.id])
        rec("Rec2", "F3", date(2026, 11, 23), ["domestic abuse", "neglect"], [police.id])
        for key, rkey, agency, due, status in (("A1", "Rec1", police.id, date(2025, 3, 1), "closed"),
                                               ("A2", "Rec2", csc.id, date(2027, 3, 1), "open"),
                                               ("A3", "Rec1", csc.id, date(2026, 1, 1), "open")):
            a = Action(partnership_id=p.id, recommendation_id=out[rkey], owner_agency_id=agency,
                       owner_name="Named nurse for safeguarding", text=TEXTS[key], due_on=due, status=status,
                       evidence_of_impact="Audit in May 2025 found 90% of notifications shared." if status == "closed"
                       else None, closed_on=date(2025, 6, 1) if status == "closed" else None)
            s.add(a)
            s.flush()
            out[key] = a.id
        review_tags = {"R1": ["domestic abuse"], "R4": ["online harm", "neglect"], "R2": ["online harm"],
                       "R3": ["online harm"], "Q1": ["neglect"], "Q2": ["neglect"], "Q3": ["neglect"]}
        for rkey, names in review_tags.items():
            s.add_all(ThemeTag(theme_id=theme[n], entity="review", entity_id=out[rkey]) for n in names)
        live = Referral(reference="TT-2026-002", partnership_id=p.id, status="accepted", received_on=TODAY,
                        aware_on=TODAY, referrer_name="Team manager", referrer_agency_id=police.id,
                        identified_by="partner_agency", child_initials="CD", child_age_years=5, child_sex="male",
                        child_ethnicity="not_recorded", incident_date=TODAY, incident_summary="Live case.",
                        harm="serious_harm", abuse_or_neglect="known")
        s.add(live)
        s.flush()
        out.update(referral=live.id, referral_ref=live.reference)
    out["chair"] = Actor(user_id=None, username="tt-chair", name="TT chair", roles={out["P"]: frozenset({"chair"})})
    out["referrer"] = Actor(user_id=None, username="tt-ref", name="TT referrer", roles={out["P"]: frozenset({"referrer"})})
    out["other_chair"] = Actor(user_id=None, username="qq-chair", name="QQ chair", roles={out["Q"]: frozenset({"chair"})})
    out["regional"] = Actor(user_id=None, username="region", name="Regional", is_regional=True,
                            roles={out["P"]: frozenset({"manager"})})
    return out
