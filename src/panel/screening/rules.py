"""Screening criteria engine (docs/domain.md §4–5).

Kept free of UI and storage so the statutory rules can be tested on their own and the
screening page, exports and API all give the same answer with the same reasons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from panel.core.clock import (
    add_working_days,
    late_by_working_days,
    rag,
    working_days_left,
)

REGIME_CUTOVER = date(2018, 6, 29)
# The facts each regime's criteria turn on (docs/domain.md §4.2, §4.3): screening asks only these.
# WT2015 alone asks how agencies worked together and its extra Ofsted grounds; WT2018 alone asks
# where the child was harmed.
REGIME_FACTS = {
    "WT2015": frozenset({"abuse_or_neglect", "harm", "interagency_concerns", "looked_after", "custody_death",
                         "media_interest", "practice_concerns"}),
    "WT2018": frozenset({"abuse_or_neglect", "harm", "location", "looked_after", "custody_death"}),
}
# Working Together 2023 took effect on 15 December 2023; from then the death of a care leaver up
# to and including age 24 is notified to the Secretary of State and Ofsted (docs/domain.md §4.3).
CARE_LEAVER_FROM = date(2023, 12, 15)
CARE_LEAVER_AGES = range(18, 25)
NOTIFY_WITHIN = 5  # working days after aware_on
RAPID_REVIEW_WITHIN = 15  # working days after the notification

ROUTES = ("scr", "rapid_review", "consider_local_review", "no_review")
BODIES = ("ofsted", "national_panel", "safeguarding_partners", "secretary_of_state")
# Each body's name as the pages and the tracker show it, in the order they list them.
BODY_NAMES = {
    "national_panel": "National Child Safeguarding Practice Review Panel",
    "safeguarding_partners": "Safeguarding partners",
    "ofsted": "Ofsted",
    "secretary_of_state": "Secretary of State (DfE)",
}
# Each route as the pages show it.
ROUTE_NAMES = {"scr": "Serious Case Review", "rapid_review": "Rapid review",
               "consider_local_review": "Consider a local review", "no_review": "No statutory review"}
# A panel decision's state: a member records it, the chair signs it; an amendment withdraws a draft.
DECISION_STATUSES = {"draft": "Recorded, not yet signed", "signed": "Signed", "withdrawn": "Withdrawn"}
# The director's route for a case before (or instead of) the panel.
DIRECTOR_DECISIONS = {
    "notify": "Notify (serious incident notification)",
    "refer_to_panel": "Refer to the panel for a decision on a review",
    "internal_review": "Internal (single-agency) review",
}

CHOICES: dict[str, list[tuple[str, str]]] = {
    "regime": [
        ("WT2015", "Working Together 2015 (aware before 29 June 2018)"),
        ("WT2018", "Working Together 2018 / 2023 (aware on or after 29 June 2018)"),
    ],
    "abuse_or_neglect": [
        ("known", "Known"),
        ("suspected", "Suspected"),
        ("no", "Not known or suspected"),
    ],
    "harm": [
        ("died", "The child died"),
        ("serious_harm", "The child was seriously harmed"),
        ("other", "Other or less serious harm"),
    ],
    "interagency_concerns": [
        ("yes", "Yes, there is cause for concern"),
        ("unclear", "Not yet clear"),
        ("no", "No, it is clear there are no such concerns"),
    ],
    "location": [
        ("in_area", "In this authority's area"),
        ("resident_outside_england", "Normally resident here, harmed outside England"),
        ("elsewhere", "In another English authority's area"),
    ],
}

CRITERIA_HELP: dict[str, str] = {
    "aware_on": (
        "The day the local authority first became aware of the incident. It picks the rules "
        "(before 29 June 2018: Working Together 2015; from then: Working Together 2018) and "
        "starts the 5-working-day notification clock."
    ),
    "regime": (
        "Which guidance to apply. Leave it to be chosen from the date of awareness unless the "
        "panel has a reason to apply the other set of rules."
    ),
    "abuse_or_neglect": (
        "Whether abuse or neglect of the child is known or suspected. A suspicion is enough; it "
        "does not need to be proven."
    ),
    "harm": (
        "Serious harm includes serious and/or long-term impairment of mental health or of "
        "intellectual, emotional, social or behavioural development, and impairment of physical "
        "health. A child may have been seriously harmed even if they recover. Death includes "
        "death by suicide."
    ),
    "interagency_concerns": (
        "Is there cause for concern about how the local authority, its partners or others "
        "worked together to safeguard the child? Under Working Together 2015 a seriously harmed "
        "child needs a Serious Case Review unless it is clear there are no such concerns, so "
        "'not yet clear' counts as a concern."
    ),
    "custody_death": (
        "The child died in custody, in police custody, on remand or after sentencing; in a Young "
        "Offender Institution, secure training centre or secure children's home; while detained "
        "under the Mental Health Act 1983; or, aged 16 or 17, while deprived of liberty under the "
        "Mental Capacity Act 2005."
    ),
    "looked_after": (
        "The child was looked after by a local authority. If a looked-after child died, Ofsted "
        "must be told (and, from 2018, the Secretary of State too), whether or not abuse or "
        "neglect is known or suspected."
    ),
    "location": (
        "Where the harm happened. The duty to notify lies with the authority in whose area it "
        "happened, or with the home authority when a child normally resident here was harmed "
        "outside England. If it happened in another English authority's area, they notify."
    ),
    "media_interest": (
        "Working Together 2015 only: the case has attracted, or is likely to attract, media "
        "attention. An extra ground for notifying Ofsted."
    ),
    "practice_concerns": (
        "Working Together 2015 only: concern about professional practice, the council's own "
        "practice, or implications for government policy. An extra ground for notifying Ofsted."
    ),
    "care_leaver": (
        "The young person who died was a care leaver aged 18 to 24 (up to and including 24). Since "
        "Working Together 2023 (15 December 2023) the Secretary of State and Ofsted are told; no "
        "rapid review follows, because the child safeguarding criteria are for children."
    ),
    "age_at_death": "The care leaver's age when they died, 18 to 24; asked only for a care leaver.",
    "notified_on": (
        "The day the notification was actually sent. The rapid review's 15 working days run "
        "from it; until it is sent they run from the notification's due date."
    ),
}

# SI 2018/789 reg.11 and WT2018 ch.4, one "key: text" a line, as the rapid review weighs them.
_LCSPR = """
improvements: The case highlights or may highlight improvements needed to safeguard children, \
including improvements that have been identified before.
recurrent_themes: The case highlights or may highlight recurrent themes in how agencies \
safeguard children.
joint_working: There are concerns about two or more organisations or agencies working together \
effectively to safeguard children.
panel_referral: The National Panel has considered the case and referred it back for a local review.
single_agency: There are concerns about the practice of a single agency.
no_agency: There are concerns even though no agency was involved with the child.
cross_border: The case crosses local authority, police force or ICB borders.
setting: The child was harmed in an institutional setting, such as a school or nursery, or in a \
custodial or detention setting.
"""
LCSPR_CONSIDERATIONS: list[tuple[str, str]] = [
    (key, text) for key, text in (ln.split(": ", 1) for ln in _LCSPR.strip().splitlines())
]

_REQUIRED = ("aware_on", "abuse_or_neglect", "harm")
_ENUMS = ("abuse_or_neglect", "harm", "interagency_concerns", "location", "regime")
_BOOLS = ("custody_death", "looked_after", "media_interest", "practice_concerns", "care_leaver")
_DATES = ("aware_on", "notified_on")
_DEFAULTS: dict[str, Any] = {
    "interagency_concerns": "unclear",
    "location": "in_area",
    "custody_death": False,
    "looked_after": False,
    "media_interest": False,
    "practice_concerns": False,
    "care_leaver": False,
    "age_at_death": None,
    "regime": None,
    "notified_on": None,
}
_KNOWN = frozenset(_REQUIRED) | frozenset(_DEFAULTS)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_WT15 = "WT2015 ch.4"
_WT18 = "Working Together 2018 / Children Act 2004 s.16C"
_WT18_CH4 = "Working Together 2018 ch.4"
_SI = "SI 2018/789 / Working Together 2018 ch.4"
_REG11 = "SI 2018/789 reg.11 / Working Together 2018 ch.4"
_CUTOVER_RULE = "Children Act 2004 s.16C / SI 2018/789 (from 29 June 2018)"
_WT23_CARE = "Working Together 2023 ch.5 (from 15 December 2023)"
_TEXT15 = {
    "a": "abuse or neglect known or suspected",
    "died": "the child died (including by suicide), with abuse or neglect",
    "harmed": "serious harm with cause for concern about how agencies worked together "
    "(required unless it is clear there are none)",
    "custody": "death in custody or detention (SCR always)",
    "below": "below the SCR threshold, abuse or neglect known or suspected "
    "(multi-agency learning review or Individual Agency Review)",
    "ofsted": "notify Ofsted: case may lead to an SCR, or child died or seriously harmed "
    "with abuse or neglect",
    "la_death": "notify Ofsted: death of a looked-after child",
    "extra": "notify Ofsted: media attention or professional practice concerns, "
    "with death or serious harm",
}
_TEXT18 = {
    "a": "abuse or neglect known or suspected",
    "s": "the child died or was seriously harmed",
    "case": "serious child safeguarding case (abuse or neglect and death or serious harm)",
    "where": "harmed in this authority's area, or normally resident here and harmed "
    "outside England",
    "rapid": "rapid review within 15 working days of notifying the National Panel",
    "local": "consider a local review without a rapid review (abuse or neglect, or a death "
    "in custody or detention)",
    "la_death": "looked-after child died: notify the Secretary of State and Ofsted",
}
_WHERE = {
    "in_area": "harmed in this authority's area",
    "resident_outside_england": "normally resident here and harmed outside England",
}
_DUTY = "the duty to notify lies with the authority where it happened"


def _parse_date(key: str, value: Any) -> date:
    # A datetime is a date too; keep only its day so the clock compares like with like.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{key}: expected an ISO date YYYY-MM-DD, got {value!r}")


def _validate(facts: Any) -> dict[str, Any]:
    if not isinstance(facts, dict):
        raise ValueError(f"facts: expected a dict, got {type(facts).__name__}")
    unknown = sorted(repr(k) for k in facts if k not in _KNOWN)
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(unknown)}")
    for key in _REQUIRED:
        if facts.get(key) is None:
            raise ValueError(f"{key}: required")
    f = {**_DEFAULTS, **facts}
    for key in _ENUMS:
        allowed = [v for v, _ in CHOICES[key]]
        if key == "regime" and f[key] is None:
            continue  # absent: chosen from aware_on
        if not isinstance(f[key], str) or f[key] not in allowed:
            raise ValueError(f"{key}: expected one of {', '.join(allowed)}, got {f[key]!r}")
    for key in _BOOLS:
        if not isinstance(f[key], bool):
            raise ValueError(f"{key}: expected true or false, got {f[key]!r}")
    for key in _DATES:
        if f[key] is not None:
            f[key] = _parse_date(key, f[key])
    if f["custody_death"] and f["harm"] != "died":
        raise ValueError("custody_death: only possible when harm is 'died'")
    if f["notified_on"] is not None and f["notified_on"] < f["aware_on"]:
        raise ValueError("notified_on: earlier than aware_on")
    _validate_care_leaver(f)
    return f


def _validate_care_leaver(f: dict[str, Any]) -> None:
    age = f["age_at_death"]
    if not f["care_leaver"]:
        if age is not None:
            raise ValueError("age_at_death: only asked when care_leaver is true")
        return
    if f["harm"] != "died":
        raise ValueError("care_leaver: only possible when harm is 'died' (the care leaver's death "
                         "is what is notified)")
    if age is None:
        raise ValueError("age_at_death: required when care_leaver is true (18 to 24)")
    if isinstance(age, bool) or not isinstance(age, int) or age not in CARE_LEAVER_AGES:
        raise ValueError(f"age_at_death: a care leaver's death is notified only at age 18 to 24 "
                         f"(up to and including 24), got {age!r}")
    if f["looked_after"]:
        raise ValueError("care_leaver: a care leaver of 18 or over is no longer looked after; "
                         "answer looked_after false")
    if f["custody_death"]:
        raise ValueError("care_leaver: custody_death is the rule for a child's death; a care "
                         "leaver of 18 or over is not a child")


def _line(rule: str, criterion: str, met: bool, note: str = "") -> str:
    return f"{rule}: {criterion}: {'met' if met else 'not met'}" + (f" — {note}" if note else "")


def _wt2015(f: dict[str, Any], a: bool, s: bool) -> tuple[str, list[str], list[str]]:
    died, seriously = f["harm"] == "died", f["harm"] == "serious_harm"
    concerns_is = f["interagency_concerns"]
    concerns = concerns_is != "no"
    custody = f["custody_death"]
    scr = custody or (a and died) or (a and seriously and concerns)
    route = "scr" if scr else ("consider_local_review" if a else "no_review")
    la_death = f["looked_after"] and died
    extra = s and (f["media_interest"] or f["practice_concerns"])
    t = _TEXT15
    reasons = [
        _line(_WT15, t["a"], a),
        _line(_WT15, t["died"], a and died, "SCR required" if a and died else ""),
        _line(_WT15, t["harmed"], a and seriously and concerns, f"inter-agency: {concerns_is}"),
        _line(_WT15, t["custody"], custody),
        _line(_WT15, t["below"], a and not scr),
        _line(_WT15, t["ofsted"], scr or (a and s)),
        _line(_WT15, t["la_death"], la_death),
        _line(_WT15, t["extra"], extra),
    ]
    notify = ["ofsted"] if scr or (a and s) or la_death or extra else []
    return route, notify, reasons


def _wt2018(f: dict[str, Any], a: bool, s: bool) -> tuple[str, list[str], list[str]]:
    elsewhere = f["location"] == "elsewhere"
    serious_case = a and s
    custody = f["custody_death"]
    la_death = f["looked_after"] and f["harm"] == "died"
    if serious_case and not elsewhere:
        route = "rapid_review"
    elif a or custody:
        route = "consider_local_review"
    else:
        route = "no_review"
    where = _DUTY if elsewhere else _WHERE[f["location"]]
    t = _TEXT18
    reasons = [
        _line(_WT18, t["a"], a),
        _line(_WT18, t["s"], s),
        _line(_WT18, t["case"], serious_case),
        _line(_WT18, t["where"], not elsewhere, where),
        _line(_SI, t["rapid"], route == "rapid_review"),
        _line(_REG11, t["local"], route == "consider_local_review"),
        _line(_WT18_CH4, t["la_death"], la_death),
    ]
    notify = []
    if la_death:
        notify.append("ofsted")
    if route == "rapid_review":
        notify += ["national_panel", "safeguarding_partners"]
    if la_death:
        notify.append("secretary_of_state")
    return route, notify, reasons


def _care_leaver(f: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    """A care leaver aged 18 to 24 died. They are not a child, so the child safeguarding criteria
    (SCR, notification to the National Panel, rapid review) do not apply; from Working Together
    2023 the Secretary of State and Ofsted are told. Before it took effect no guidance required a
    notification, so the engine calls for none and says so: the panel may still tell them."""
    aware: date = f["aware_on"]
    duty = aware >= CARE_LEAVER_FROM
    when = (f"aged {f['age_at_death']}; aware on {aware.isoformat()}" if duty else
            f"aware on {aware.isoformat()}, before Working Together 2023 took effect on "
            f"15 December 2023, when no guidance required it; the panel may still tell them")
    reasons = [
        _line(_WT23_CARE, "care leaver aged 18 to 24 died: notify the Secretary of State and "
                          "Ofsted (no rapid review follows)", duty, when),
        _line(_WT18, "serious child safeguarding case", False,
              "a care leaver of 18 or over is not a child: no notification to the National "
              "Panel, no rapid review and no SCR"),
    ]
    return "no_review", (["ofsted", "secretary_of_state"] if duty else []), reasons


def regime_of(aware_on: date) -> str:
    """The regime the date the authority became aware chooses (docs/domain.md §4.1)."""
    return "WT2018" if aware_on >= REGIME_CUTOVER else "WT2015"


def assess(facts: dict[str, Any]) -> dict[str, Any]:
    """Apply the §4 criteria to one referral's facts; raises ValueError naming a bad key."""
    f = _validate(facts)
    aware: date = f["aware_on"]
    chosen = regime_of(aware)
    regime = f["regime"] or chosen
    a = f["abuse_or_neglect"] in ("known", "suspected")
    s = f["harm"] in ("died", "serious_harm")
    if f["care_leaver"]:
        route, bodies, reasons = _care_leaver(f)
    else:
        rule = _wt2018 if regime == "WT2018" else _wt2015
        route, bodies, reasons = rule(f, a, s)
    note = f"{regime} applies"
    if f["regime"] is not None and regime != chosen:
        note = f"regime set to {regime} (the date alone would give {chosen})"
    when = f"aware on {aware.isoformat()}, on or after 29 June 2018"
    reasons.insert(0, _line(_CUTOVER_RULE, when, aware >= REGIME_CUTOVER, note))
    due = add_working_days(aware, NOTIFY_WITHIN)
    notify = [{"to": b, "due": due.isoformat()} for b in BODIES if b in bodies]
    result: dict[str, Any] = {
        "regime": regime,
        "route": route,
        "notify": notify,
        "reasons": reasons,
    }
    if route == "rapid_review":
        start = f["notified_on"] or due
        result["rapid_review_due"] = add_working_days(start, RAPID_REVIEW_WITHIN).isoformat()
    return result


def departs_from_criteria(route: str, outcome_routes: str | Iterable[str]) -> bool:
    """True when the panel's outcome departs from the criteria (docs/domain.md §5.4): the
    outcome's review type lists the engine routes it is consistent with, and the engine's
    `route` is not among them. A departure is accepted only with a recorded rationale.

    `outcome_routes` is the review type's routes, as stored (comma-separated, "scr,rapid_review")
    or as a sequence; every caller (the decision service, the pages' outcome labels, the import
    checks and the demo histories) asks here so they agree on what counts as a departure.
    """
    if route not in ROUTES:
        raise ValueError(f"route: expected one of {', '.join(ROUTES)}, got {route!r}")
    routes = outcome_routes.split(",") if isinstance(outcome_routes, str) else outcome_routes
    return route not in {r.strip() for r in routes}


def decision_refusal(referral_status: str, has_signed: bool) -> str | None:
    """Why a decision cannot be recorded on this referral now, or None when it can.

    A first decision needs the referral accepted for screening; once a decision is signed, a new
    one can only amend it (docs/domain.md §6). The decision service refuses on the same answer and
    the screening page asks it to show or hide the decision form."""
    if has_signed:
        return None
    if referral_status != "accepted":
        return "Accept the referral for screening before deciding."
    return None


def sign_refusal(signer_id: int | None, conflicted: Iterable[int]) -> str | None:
    """Why this chair cannot sign the decision, or None when they can: a chair who declared a
    conflict on it is excluded from it (docs/domain.md §6.3), so another chair must sign."""
    if signer_id is not None and signer_id in set(conflicted):
        return "You declared a conflict on this decision: another chair must sign it."
    return None


# The bodies a route itself calls for (docs/domain.md §4.2, §4.3). A signed decision that departs
# from that route is the panel deciding those notifications are not due; the others (a
# looked-after child's death) follow from facts the decision does not change.
ROUTE_BODIES = {"rapid_review": ("national_panel", "safeguarding_partners"), "scr": ("ofsted",)}


@dataclass(frozen=True)
class NotificationClock:
    """One body's notification (docs/domain.md §4.5): `running` while it is owed and not sent
    (`days_left` and `rag` only then), `notified` once recorded (`late_by` working days after
    `due`, 0 when on time), `none_due` when the panel's signed decision took it off."""

    body: str
    due: date
    state: str  # running, notified, none_due
    sent_on: date | None = None
    days_left: int | None = None
    rag: str = "none"
    late_by: int | None = None


def notification_clocks(result: Mapping[str, Any] | None, sent: Mapping[str, tuple[date, date]],
                        decided_routes: str | Iterable[str] | None, today: date) -> list[NotificationClock]:
    """Every notification clock of one referral, in the engine's body order.

    `result` is `assess` on the facts as they stand (the referral's own before screening);
    `sent` maps a body to (sent on, due on) as recorded; `decided_routes` are the routes of the
    outcome of the current signed decision (None while none is signed). A body gets a clock
    only when the criteria call for it; a body recorded as notified keeps its record even if
    later answers no longer call for it."""
    out: list[NotificationClock] = []
    called = {n["to"]: date.fromisoformat(n["due"]) for n in (result or {}).get("notify", [])}
    route = (result or {}).get("route")
    decided_none: set[str] = set()
    if decided_routes is not None and route in ROUTE_BODIES and departs_from_criteria(route, decided_routes):
        decided_none = set(ROUTE_BODIES[route])
    for body in BODIES:
        if body in sent:
            sent_on, due = sent[body]
            out.append(NotificationClock(body, due, "notified", sent_on=sent_on, rag="done",
                                         late_by=late_by_working_days(due, sent_on)))
        elif body in called and body in decided_none:
            out.append(NotificationClock(body, called[body], "none_due"))
        elif body in called:
            left = working_days_left(today, called[body])
            out.append(NotificationClock(body, called[body], "running", days_left=left, rag=rag(left)))
    return out


def running_clock(clocks: Iterable[NotificationClock]) -> NotificationClock | None:
    """The clock that runs out first, or None when no notification is still owed."""
    running = [c for c in clocks if c.state == "running"]
    return min(running, key=lambda c: (c.due, BODIES.index(c.body))) if running else None
