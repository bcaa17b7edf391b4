"""A process that writes through the services until it is killed, logging each write only after
its commit returned (and the log is fsync'ed): whatever the log names must be in the database.

Two kinds of unit, alternating: a referral (row, agency involved, audit row) and an action's
progress (version bump, note, audit row)."""

from __future__ import annotations

import os
from datetime import date

from sqlmodel import func, select

from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.learning import actions
from panel.models import Action, ActionNote, AuditEvent, Referral, ReferralAgency
from panel.referrals import service as referrals

MARKER = "Crash test write"
TODAY = date(2026, 11, 23)


def referral_form(n: int, agencies: dict[str, int]) -> dict:
    return {
        "received_on": TODAY, "aware_on": date(2026, 11, 20), "incident_date": date(2026, 11, 19),
        "referrer_name": "Named nurse", "referrer_agency_id": agencies["Acute hospital trust"],
        "identified_by": "staff_partner_community", "child_initials": "QX", "child_age_years": 2,
        "child_sex": "female", "child_ethnicity": "white",
        "incident_summary": f"{MARKER} {n}: admitted with an unexplained fracture.",
        "harm": "serious_harm", "abuse_or_neglect": "suspected", "location": "in_area",
        "agencies_involved": [agencies["Police"]],
    }


def setup() -> dict:
    """Who writes, where: resolved before forking, so a child starts writing at once."""
    chair = accounts.actor_for("chair")
    pid = chair.partnerships_with("referral.submit")[0]
    agencies = {a.name: a.id for a in agency_service.list_agencies(SYSTEM)}
    with read_session() as s:
        action_id = s.exec(select(Action.id).where(Action.partnership_id == pid, Action.status != "closed")
                           .order_by(Action.id)).first()
    return {"actor": chair, "partnership_id": pid, "agencies": agencies, "action_id": action_id}


def write_forever(ctx: dict, log_path: str, start: int, committed=None) -> None:
    """Write until killed. `committed` (a multiprocessing Event), if given, is set once one unit
    of each kind is committed and logged, so the caller can wait for real work, not for time."""
    with open(log_path, "a") as log:
        n = start
        while True:
            n += 1
            if n % 2:
                result = referrals.submit(ctx["actor"], ctx["partnership_id"], referral_form(n, ctx["agencies"]), TODAY)
                line = f"r {result.referral_id}\n"
            else:
                with read_session() as s:
                    version = s.get(Action, ctx["action_id"]).version
                actions.record_progress(ctx["actor"], ctx["action_id"], f"{MARKER} {n}", "in_progress", version)
                line = f"a {version + 1}\n"
            log.write(line)  # only after the commit returned
            log.flush()
            os.fsync(log.fileno())
            if committed is not None and n == start + 2:  # once: a kill must not find it in the Event
                committed.set()
                committed = None


def logged(log_path: str) -> tuple[list[int], int]:
    """Referral ids and the highest action version the writer saw committed."""
    ids, top = [], 0
    if os.path.exists(log_path):
        for line in open(log_path).read().splitlines():
            kind, _, value = line.partition(" ")
            if kind == "r":
                ids.append(int(value))
            elif kind == "a":
                top = max(top, int(value))
    return ids, top


def check_units(action_id: int, action_version_before: int) -> dict:
    """Every written unit whole: each marked referral has its agency row and its audit row (and
    no audit row names a referral that is not there), and the action's version, notes and audit
    rows moved together."""
    with read_session() as s:
        marked = set(s.exec(select(Referral.id).where(Referral.incident_summary.startswith(MARKER))).all())
        with_agency = set(s.exec(select(ReferralAgency.referral_id)
                                 .where(ReferralAgency.referral_id.in_(marked))).all()) if marked else set()
        audited = set(s.exec(select(AuditEvent.entity_id).where(
            AuditEvent.entity == "referral", AuditEvent.action == "create",
            AuditEvent.entity_id.in_(marked))).all()) if marked else set()
        created = set(s.exec(select(AuditEvent.entity_id).where(  # audit rows of the writer's referrals
            AuditEvent.entity == "referral", AuditEvent.action == "create",
            AuditEvent.after.contains(MARKER))).all())
        version = s.get(Action, action_id).version
        notes = s.exec(select(func.count()).select_from(ActionNote).where(
            ActionNote.action_id == action_id, ActionNote.text.startswith(MARKER))).one()
        progress_audits = s.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity == "action", AuditEvent.entity_id == action_id,
            AuditEvent.action == "action_progress", AuditEvent.detail.startswith(MARKER))).one()
    half = len(marked - with_agency) + len(marked - audited) + len(created - marked)
    half += abs((version - action_version_before) - notes) + abs(notes - progress_audits)
    return {"referrals": marked, "created": created, "action_version": version, "notes": notes,
            "half_writes": half}
