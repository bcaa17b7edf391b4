"""Demo data at scale (docs/scale-data.md): `panel demo-data --scale region|nation`.

docs/domain.md §9 says a regional installation (10 partnerships, 15 years of history) holds thousands of
referrals, hundreds of reviews and tens of thousands of actions and theme tags, and a national one
(about 150 partnerships) ten times that. `region` builds about 20,000 referrals, 2,000 reviews,
50,000 actions and 100,000 theme tags; `nation` ten times each, over 150 partnerships.

Shaped like the small demo (`panel.demo`), with the same rules: the screening engine decides each
referral's regime and route (so referrals aware before 29 June 2018 run under WT2015, later ones
under WT2018), `panel.reviews.lifecycle` plans the milestones, most history is complete, some late, and a
live tail near `today` has clocks spread from red to green. Everything is fictional: partnership
names are invented, children are initials and an age, people are role titles.

Fast on purpose: rows are built as plain dicts with their ids assigned here and bulk-inserted
partnership by partnership in one transaction, all or nothing (`panel.demo.scale_rows`: driver
executemany on SQLite, Core `insert()` elsewhere; full-text index rebuilt once at the end). The
demo password is hashed once. Docs: docs/scale-data.md.
Deterministic: the same seed, scale, factor and `today` give an identical database.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import bcrypt
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from panel.accounts.service import password_problem
from panel.core import clock
from panel.core.db import get_engine
from panel.demo import scale_history as demo_scale_history
from panel.demo import scale_learning as demo_scale_learning
from panel.demo.scale_rows import Ids, Rows, advance_sequences, at, drop_fts_triggers, restore_fts
from panel.demo.small import (
    AGENCIES,
    DEMO_PASSWORD,
    DEMO_USERS,
    INCIDENTS,
    PARTNERSHIPS,
    REFERRER_NAMES,
)
from panel.models import (
    Agency,
    AuditEvent,
    Membership,
    Partnership,
    Referral,
    ReferralAgency,
    ReferralLink,
    ReviewType,
    Theme,
    User,
)
from panel.referrals.rules import ETHNICITY, IDENTIFIED_BY, format_reference
from panel.reviews.lifecycle import subtract_working_days
from panel.reviews.types import DEFAULT_REVIEW_TYPES
from panel.reviews.types_service import row_from_spec
from panel.screening.rules import REGIME_CUTOVER
from panel.themes.rules import DEFAULT_THEMES


@dataclass(frozen=True)
class Scale:
    partnerships: int
    referrals_per_year: float  # per partnership, before the factor
    years: int = 15


SCALES = {
    "region": Scale(partnerships=10, referrals_per_year=133.0),
    "nation": Scale(partnerships=150, referrals_per_year=88.7),  # ten times region's volumes
}
DECIDED_RATE = 0.135  # historic referrals screened and decided; the rest closed at triage
SIBLING_RATE = 0.01
# Decided cases by kind (docs/domain.md §9: 2–6 rapid reviews a year, several below-threshold reviews).
SERIOUS_SHARE, SERIOUS_SHARE_2015, BELOW_SHARE = 0.30, 0.20, 0.55
SERIOUS = [x for x in INCIDENTS if x[1] != "no" and x[0] != "other"]
NO_ABUSE = [x for x in INCIDENTS if x[1] == "no"]
BELOW_THRESHOLD = [  # abuse or neglect, harm not serious: a local review to consider
    ("other", "suspected", "Child exposed to domestic abuse at home over several years; the school's concerns were not shared with other agencies."),
    ("other", "known", "Young person at risk of criminal exploitation and repeatedly missing from home; agencies' responses were not joined up."),
    ("other", "suspected", "Toddler with repeated minor bruising; the non-accidental injury pathway was not followed at the first presentation."),
    ("other", "known", "Children living in neglectful home conditions, malnourished and missing health appointments; drift across several agencies."),
    ("other", "suspected", "Young person self-harming after online bullying; concerns about suicide risk were not shared between school and health."),
]
ALL_INCIDENTS = INCIDENTS + BELOW_THRESHOLD
KINDS = {"serious": SERIOUS, "below": BELOW_THRESHOLD}

# Invented place names for partnerships beyond the demo's three: prefix + suffix, never real.
_PREFIXES = ["Amber", "Bramble", "Cinder", "Dapple", "Elder", "Fern", "Gorse", "Heather", "Ivy",
             "Juniper", "Kestrel", "Larch", "Marram", "Nettle", "Osier", "Plover", "Quill"]
_SUFFIXES = ["vale", "mere", "brook", "holm", "ford", "wick", "stow", "combe", "ley", "thorpe"]
_BCRYPT64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
LIVE_PATTERN = [(7, "new"), (5, "accepted"), (4, "new"), (3, "awaiting_information"), (2, "accepted"),
                (1, "new"), (0, "new"), (9, "accepted"), (12, "accepted")]  # (working days ago, status)
# Recently decided, whatever the factor, so every partnership has reviews under way (red to green).
LIVE_DECIDED = [(8, "serious"), (16, "serious"), (30, "below"), (60, "serious"), (90, "below"),
                (150, "below"), (220, "serious")]  # (working days ago, kind of case)


def partnership_list(n: int) -> list[tuple[str, str]]:
    """The demo's three first (so demo accounts keep their partnerships), then invented ones."""
    out = list(PARTNERSHIPS[:n])
    codes = {c for c, _ in out}
    for i in range(len(_PREFIXES) * len(_SUFFIXES)):
        if len(out) >= n:
            break
        prefix, suffix = _PREFIXES[i % len(_PREFIXES)], _SUFFIXES[i % len(_SUFFIXES)]  # 17 × 10, coprime
        place = prefix + suffix
        code = (prefix[0] + suffix[0]).upper()
        extra = iter(prefix[1:].upper() + suffix[1:].upper())
        while code in codes:
            code += next(extra)
        codes.add(code)
        out.append((code, f"{place} Safeguarding Children Partnership"))
    if len(out) < n:
        raise ValueError(f"at most {len(out)} partnerships")
    return out


@lru_cache(maxsize=4)
def password_hash(seed: int) -> str:
    """The demo password's bcrypt hash (cost 12, as `accounts.hash_password`) with a salt drawn
    from the seed, so the same seed gives the same database, byte for byte."""
    salt_rng = random.Random(f"salt-{seed}")
    chars = "".join(salt_rng.choice(_BCRYPT64) for _ in range(21)) + salt_rng.choice(".Oeu")  # last: 2 bits
    assert password_problem(DEMO_PASSWORD) is None
    return bcrypt.hashpw(DEMO_PASSWORD.encode(), f"$2b$12${chars}".encode()).decode()


class Setup:
    """Partnerships, agencies, users, memberships, review types and themes: what every row needs."""

    def __init__(self, conn: Connection, ids: Ids, rows: Rows, today: date, n_partnerships: int, seed: int):
        self.today = today
        stamp = at(today - timedelta(days=365 * 16), 9)
        self.parts = []  # (id, code)
        for code, name in partnership_list(n_partnerships):
            pid = ids.take(Partnership)
            rows.add(Partnership, {"id": pid, "code": code, "name": name, "created_at": stamp})
            self.parts.append((pid, code))
        self.agencies: dict[str, int] = {}
        for name, kind in AGENCIES:
            self.agencies[name] = ids.take(Agency)
            rows.add(Agency, {"id": self.agencies[name], "name": name, "kind": kind})
        self.agency_ids = list(self.agencies.values())
        rows.flush(conn)
        pw = password_hash(seed)  # once: bcrypt is slow on purpose
        code_id = {code: pid for pid, code in self.parts}
        self.users: dict[str, int] = {}
        roles: list[tuple[str, str, str]] = []  # (username, code, role)
        people: list[tuple[str, str, str | None, bool]] = []
        for username, name, memberships, agency, regional in DEMO_USERS:
            people.append((username, name, agency, regional))
            if username == "admin":  # administers every partnership; `regional` holds no role
                role = memberships[0][1]
                roles += [(username, code, role) for _, code in self.parts]
            else:
                roles += [(username, code, role) for code, role in memberships if code in code_id]
        have = {(c, r) for u, c, r in roles if u != "admin"}
        for _, code in self.parts:
            for role, title, agency in (("chair", "Chair", "Children's social care"),
                                        ("member", "Member", "Police"), ("manager", "Manager", None)):
                if (code, role) not in have:
                    username = f"{role}.{code.lower()}"
                    people.append((username, f"{title} {code}", agency, False))
                    roles.append((username, code, role))
        for username, name, agency, regional in people:
            uid = ids.take(User)
            self.users[username] = uid
            rows.add(User, {
                "id": uid, "username": username, "name": name, "email": f"{username}@example.org",
                "password_hash": pw, "agency_id": self.agencies[agency] if agency else None, "is_active": True,
                "is_regional": regional, "failed_logins": 0, "locked_until": None,
                "sessions_valid_after": stamp, "created_at": stamp})
        self.by_role: dict[int, dict[str, list[int]]] = {pid: {} for pid, _ in self.parts}
        for username, code, role in roles:
            pid, uid = code_id[code], self.users[username]
            rows.add(Membership, {"id": ids.take(Membership), "user_id": uid, "partnership_id": pid, "role": role})
            if username != "admin":
                self.by_role[pid].setdefault(role, []).append(uid)
        self.referrers = {code_id["NB"]: self.users.get("referrer"), code_id.get("EM"): self.users.get("referrer.em")}
        self.types: dict[int, dict[str, dict]] = {}
        for pid, _ in self.parts:
            self.types[pid] = {}
            for spec in DEFAULT_REVIEW_TYPES:
                row = row_from_spec(spec, pid).model_dump()
                row["id"] = ids.take(ReviewType)
                rows.add(ReviewType, row)
                self.types[pid][spec.key] = row
        rows.flush(conn)
        self.themes(conn, ids, rows, stamp)
        self.theme_ids = {n: i for i, n in conn.execute(select(Theme.id, Theme.name).where(Theme.active == True))}  # noqa: E712

    @staticmethod
    def themes(conn: Connection, ids: Ids, rows: Rows, stamp: datetime) -> None:
        """The default taxonomy, as `panel.themes.service.seed_taxonomy` leaves it in an empty database
        (national themes first, so locals find theirs), with its audit row at a fixed time."""
        by_name: dict[str, int] = {}
        for spec in DEFAULT_THEMES:
            by_name[spec.name.lower()] = tid = ids.take(Theme)
            rows.add(Theme, {"id": tid, "name": spec.name, "kind": spec.kind, "merged_into_id": None,
                             "national_id": by_name.get(spec.national.lower()) if spec.national else None,
                             "active": True, "description": spec.description})
        rows.add(AuditEvent, {"id": ids.take(AuditEvent), "at": stamp, "user_id": None, "username": "system",
                              "action": "theme_seed", "entity": "theme", "entity_id": None, "partnership_id": None,
                              "before": None, "after": None, "detail": f"{len(by_name)} default themes added"})
        rows.flush(conn)

    def chair(self, pid: int) -> int | None:
        return (self.by_role[pid].get("chair") or [None])[0]

    def panel(self, pid: int) -> list[int]:
        r = self.by_role[pid]
        return sorted(set(r.get("chair", []) + r.get("member", []) + r.get("manager", [])))


def _incidents(rng: random.Random, aware: date) -> list[tuple[str, str, str]]:
    """Which kind of case a decided referral is: serious cases are the few (SCRs were rarer under
    WT2015), below-threshold learning the many, and some with no abuse or neglect at all."""
    draw = rng.random()
    serious = SERIOUS_SHARE_2015 if aware < REGIME_CUTOVER else SERIOUS_SHARE
    if draw < serious:
        return SERIOUS
    return BELOW_THRESHOLD if draw < serious + BELOW_SHARE else NO_ABUSE


def _referral_row(rng: random.Random, setup: Setup, pid: int, aware: date, status: str, today: date,
                  decided: bool, twin: dict | None = None, kind: str = "") -> dict:
    if twin is not None:
        harm, abuse, summary = twin["harm"], twin["abuse_or_neglect"], twin["incident_summary"]
        incident = twin["incident_date"]
    else:
        pool = KINDS.get(kind) or (_incidents(rng, aware) if decided else ALL_INCIDENTS)
        harm, abuse, summary = rng.choice(pool)
        incident = aware - timedelta(days=rng.randint(0, 6))
    received = min(today, aware + timedelta(days=rng.randint(0, 2)))
    age = rng.choice([0, 0, 1, 2, 4, 7, 11, 14, 15, 16])
    use_dob = rng.random() < 0.4
    dob = incident - timedelta(days=int(age * 365.25) + rng.randint(30, 300)) if use_dob else None
    referrer = setup.referrers.get(pid)
    version = {"new": 1, "decided": 3}.get(status, 2)
    note = {"closed": "Closed: single-agency learning only.",
            "awaiting_information": "Please send the health chronology."}.get(status)
    return {
        "partnership_id": pid, "status": status, "status_note": note, "version": version,
        "received_on": received, "aware_on": aware, "referrer_name": rng.choice(REFERRER_NAMES),
        "referrer_agency_id": rng.choice(setup.agency_ids),
        "submitted_by_id": referrer if referrer and rng.random() < 0.3 else None,
        "identified_by": rng.choice(list(IDENTIFIED_BY)),
        "referrer_view": "The referrer believes the criteria for a rapid review may be met." if abuse != "no" else None,
        "child_initials": (twin["child_initials"][0] if twin else rng.choice("ABCDEFGHJKLMNPRSTW"))
        + rng.choice("ABCDEFGHJKLMNPRSTW"),
        "child_dob": dob, "child_age_years": None if use_dob else age,
        "child_sex": rng.choice(["female", "male"]), "child_ethnicity": rng.choice(list(ETHNICITY)),
        "looked_after": rng.random() < 0.12, "child_protection_plan": rng.random() < 0.3,
        "known_to_csc": rng.random() < 0.6, "incident_date": incident, "incident_summary": summary,
        "harm": harm, "abuse_or_neglect": abuse,
        "location": rng.choice(["in_area"] * 8 + ["elsewhere", "resident_outside_england"]),
        "interagency_concerns": rng.choice(["yes", "unclear", "no"]), "custody_death": False, "care_leaver": False,
        "media_interest": rng.random() < 0.05, "practice_concerns": rng.random() < 0.2,
        "director_decision": None, "dcs_informed_on": None,
        "created_at": at(received, 10), "updated_at": at(min(today, received + timedelta(days=10)), 16),
    }


def _cases(rng: random.Random, today: date, scale: Scale, factor: float,
           weight: float) -> list[tuple[date, str, str]]:
    """(aware on, status, kind of case or "") for one partnership: history over `years`, recent
    decided cases whose reviews are under way, and the live queue."""
    start = today - timedelta(days=365 * scale.years)
    span = (today - timedelta(days=14) - start).days
    n = max(2, round(scale.referrals_per_year * scale.years * factor * weight))
    cases = [(start + timedelta(days=rng.randrange(span)),
              "decided" if rng.random() < DECIDED_RATE else "closed", "") for _ in range(n)]
    cases += [(subtract_working_days(today, wd), status, "") for wd, status in LIVE_PATTERN]
    cases += [(subtract_working_days(today, wd), "decided", kind) for wd, kind in LIVE_DECIDED]
    for _ in range(max(3, round(6 * factor))):  # a few fresh ones at any size, more at full scale
        cases.append((subtract_working_days(today, rng.randint(0, 14)), rng.choice(["new", "accepted"]), ""))
    cases.sort()
    return cases


def referrals(ids: Ids, rows: Rows, rng: random.Random, setup: Setup, pid: int, code: str,
              cases: list[tuple[date, str, str]]) -> list[dict]:
    today = setup.today
    seqs: Counter[int] = Counter()
    out: list[dict] = []
    for aware, status, kind in cases:
        first = None
        for _ in range(2 if rng.random() < SIBLING_RATE else 1):  # siblings: one incident, two children
            r = _referral_row(rng, setup, pid, aware, status, today, status == "decided", first, kind)
            seqs[r["received_on"].year] += 1
            r["id"] = ids.take(Referral)
            r["reference"] = format_reference(code, r["received_on"].year, seqs[r["received_on"].year])
            rows.add(Referral, r)
            out.append(r)
            for agency_id in rng.sample(setup.agency_ids, rng.randint(2, 5)):
                rows.add(ReferralAgency, {"referral_id": r["id"], "agency_id": agency_id})
            if first is not None:
                rows.add(ReferralLink, {"id": ids.take(ReferralLink), "referral_id": r["id"],
                                        "linked_id": first["id"], "kind": "sibling", "created_at": r["created_at"]})
            first = first or r
    return out


def _audit(rows: Rows, ids: Ids, setup: Setup, referrals_: list[dict], decisions: list[dict]) -> None:
    """The trail the services would have left: created, triaged, decision signed."""
    names = {uid: name for name, uid in setup.users.items()}
    for r in referrals_:
        by = r["submitted_by_id"]
        rows.add(AuditEvent, _event(ids, r["created_at"], by, names.get(by, "system"), "create", r,
                                    _json({"reference": r["reference"]}), None))
        if r["status"] != "new":
            chair = setup.chair(r["partnership_id"])
            when = min(r["created_at"] + timedelta(days=1), at(setup.today, 11))  # never in the future
            rows.add(AuditEvent, _event(ids, when, chair, names.get(chair, "system"),
                                        "triage", r, _json({"status": r["status"]}),
                                        {"closed": "close", "awaiting_information": "request_information"}
                                        .get(r["status"], "accept")))
    by_id = {r["id"]: r for r in referrals_}
    for d in decisions:
        if d["status"] == "signed":
            r = by_id[d["referral_id"]]
            rows.add(AuditEvent, _event(ids, d["signed_at"], d["signed_by_id"], names.get(d["signed_by_id"], "system"),
                                        "decision_signed", r, _json({"decision": d["id"], "version": 1}), None))


def _json(value: dict) -> str:
    return json.dumps(value, sort_keys=True)  # as panel.core.audit writes it


def _event(ids, when, user_id, username, action, r, after, detail) -> dict:
    return {"id": ids.take(AuditEvent), "at": when, "user_id": user_id, "username": username, "action": action,
            "entity": "referral", "entity_id": r["id"], "partnership_id": r["partnership_id"], "before": None,
            "after": after, "detail": detail}


def load(scale: str = "region", today: date | None = None, seed: int = 2025, factor: float = 1.0) -> dict[str, int]:
    """Load `scale` demo data into an empty database; returns rows added per table.

    `factor` shrinks (or grows) the volumes per partnership (tests use 1/20 of region); the live
    tail (queue, recent reviews) is the same at every factor.
    """
    spec = SCALES[scale]
    today = today or clock.today()
    rng = random.Random(seed)
    with get_engine().begin() as conn:
        if conn.execute(select(func.count()).select_from(Partnership)).scalar():
            raise RuntimeError("The database already has data; demo data loads only into an empty one.")
        triggers = drop_fts_triggers(conn)
        ids, rows = Ids(conn), Rows()
        setup = Setup(conn, ids, rows, today, spec.partnerships, seed)
        rows.flush(conn)
        weights = [rng.uniform(0.6, 1.4) for _ in setup.parts]
        mean = sum(weights) / len(weights)
        learning = demo_scale_learning.Learning(ids, rows, rng, setup, factor)
        for (pid, code), weight in zip(setup.parts, weights, strict=True):
            cases = _cases(rng, today, spec, factor, weight / mean)
            refs = referrals(ids, rows, rng, setup, pid, code, cases)
            history = demo_scale_history.History(ids, rows, rng, setup, pid)
            history.run(refs)
            learning.partnership(pid, code, refs, history.reviews)
            _audit(rows, ids, setup, refs, history.decisions)
            rows.flush(conn)
        restore_fts(conn, triggers)
        counts = dict(sorted(rows.counts.items()))
        rows.add(AuditEvent, {"id": ids.take(AuditEvent), "at": at(today, 6), "user_id": None, "username": "system",
                              "action": "demo_load", "entity": "database", "entity_id": None, "partnership_id": None,
                              "before": None, "after": None,
                              "detail": f"scale={scale}; factor={factor}; seed={seed}; today={today}; "
                              + "; ".join(f"{v} {k}" for k, v in counts.items())})
        rows.flush(conn)
        advance_sequences(conn, ids.next)
    return counts
