"""Review types and their milestones (docs/domain.md §4, §6).

A panel's outcome is a review type: each has a regime, the engine routes it is consistent with
(picking a type outside them is a departure that needs a recorded rationale, docs/domain.md
§5.4) and the milestones whose target dates the lifecycle works out. The defaults follow the
published processes of Trafford, Tameside and Bracknell Forest (docs/domain.md §6.1, §10), each
named in the type's `source`; partnerships edit their own copies, so `validate_milestones`
checks an edited list before saving.

Offsets marked "local practice" in `help` are this product's defaults, not statute: statute
fixes only the rapid review's 15 working days, the LCSPR's 6 months and the copy ≥7 working days
before publication (docs/domain.md §6.1). They are ordered so planned dates never run backwards
(tests check this).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from panel.screening.rules import RAPID_REVIEW_WITHIN, ROUTES, departs_from_criteria

REGIMES = ("WT2015", "WT2018")
UNITS = ("working_days", "months")
ANCHORS = ("decision", "notification")
UNIT_LABELS = {"working_days": "Working days", "months": "Months"}
ANCHOR_LABELS = {"decision": "The decision", "notification": "The notification"}
COPY_KEY = "copy_to_national_panel"  # lifecycle keeps it ≥7 working days before PUBLICATION_KEY
PUBLICATION_KEY = "publication"
CLOSURE_KEY = "closure"  # recorded, with every action settled, the review may close (docs/domain.md §6.3)
LCSPR_DECISION_KEY = "lcspr_decision_recorded"  # the rapid review's decision on an LCSPR (its date)
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class MilestoneSpec:
    """One target in a review's life: `offset` `unit`s after its `anchor` date."""

    key: str
    name: str
    offset: int
    unit: str  # "working_days" or "months"
    anchor: str = "decision"  # "decision" or "notification" (the rapid review's clock)
    statutory: bool = False  # a statutory deadline rather than local practice
    help: str = ""


@dataclass(frozen=True)
class ReviewTypeSpec:
    """A panel outcome: what kind of review (if any) and how it is run."""

    key: str
    name: str
    regime: str  # "WT2015" or "WT2018"
    statutory: bool
    routes: tuple[str, ...]  # engine routes this outcome is consistent with
    creates_review: bool  # False for "no further review" outcomes
    description: str
    milestones: tuple[MilestoneSpec, ...]
    source: str


def _table(text: str, anchor: str = "decision") -> tuple[MilestoneSpec, ...]:
    """Milestones from "key | name | offset unit [statutory] | help" lines (wd / mo)."""
    rows = []
    for line in filter(str.strip, text.splitlines()):
        key, name, when, help_ = (part.strip() for part in line.split("|"))
        offset, unit, *flags = when.split()
        rows.append(
            MilestoneSpec(
                key=key,
                name=name,
                offset=int(offset),
                unit={"wd": "working_days", "mo": "months"}[unit],
                anchor=anchor,
                statutory="statutory" in flags,
                help=help_.replace("LOCAL", "Local practice"),
            )
        )
    return tuple(rows)


# fmt: off
# The investigative part shared by the SCR and the LCSPR (docs/domain.md §6.2).
_CORE = """
terms_of_reference_agreed | Terms of reference agreed | 15 wd | LOCAL: three weeks.
reviewer_commissioned | Reviewer commissioned | 20 wd | LOCAL: four weeks.
agency_records_secured | Agency records secured | 20 wd | LOCAL: by the time the reviewer starts; ideally at once.
family_invited | Family invited to contribute | 25 wd | LOCAL: within a week of the reviewer starting; the family contribute throughout.
chronologies_requested | Chronologies and agency reports requested | 25 wd | LOCAL.
chronologies_received | Chronologies and agency reports received | 45 wd | LOCAL: four weeks for agencies to reply.
practitioner_event | Practitioner learning event | 60 wd | LOCAL.
draft_report | Draft report | 85 wd | LOCAL.
factual_accuracy_checked | Factual accuracy checks | 95 wd | LOCAL: two weeks for agencies and the family.
panel_sign_off | Panel sign-off | 100 wd | LOCAL.
"""
_SCR = _table(_CORE + f"""
partnership_sign_off | Partnership (LSCB) sign-off | 6 mo | WT2015 asks boards to aim to complete an SCR within six months of initiating it.
{COPY_KEY} | Copy to Ofsted, the DfE and the national panel of independent experts | 6 mo | LOCAL: at sign-off, and never later than 7 working days before publication.
{PUBLICATION_KEY} | Publication | 7 mo | LOCAL: a month after sign-off; may be delayed.
action_plan_agreed | Action plan agreed | 8 mo | LOCAL: a month after publication.
closure | Closure | 13 mo | LOCAL: actions evidenced six months after publication.
""")
_LCSPR = _table(_CORE + f"""
partnership_sign_off | Partnership sign-off | 105 wd | LOCAL.
{COPY_KEY} | Copy to the National Panel and the Secretary of State | 110 wd statutory | At least 7 working days before publication (WT2018 ch.4); never planned later.
{PUBLICATION_KEY} | Publication | 6 mo statutory | Within 6 months of the decision (WT2018 ch.4); may be delayed (e.g. criminal proceedings) or withheld to protect the child.
action_plan_agreed | Action plan agreed | 7 mo | LOCAL: a month after publication.
closure | Closure | 12 mo | LOCAL: actions evidenced six months after publication.
""")
_CONCISE = _table("""
terms_of_reference_agreed | Terms of reference agreed | 15 wd | LOCAL.
agency_reports_requested | Agency reports requested | 15 wd | LOCAL.
family_invited | Family invited to contribute | 20 wd | LOCAL.
agency_reports_received | Agency reports received | 35 wd | LOCAL: four weeks.
practitioner_event | Practitioner learning event | 50 wd | LOCAL.
draft_report | Draft report | 65 wd | LOCAL.
panel_sign_off | Panel sign-off | 75 wd | LOCAL.
partnership_sign_off | Partnership sign-off | 85 wd | LOCAL.
learning_shared | Learning shared (7-minute briefing) | 95 wd | LOCAL: Tameside shares review learning as 7-minute briefings.
action_plan_agreed | Action plan agreed | 95 wd | LOCAL.
closure | Closure | 6 mo | LOCAL.
""")
_IAR = _table("""
agency_review_commissioned | Agency review commissioned | 10 wd | LOCAL: the agency names a reviewer independent of the case.
agency_report_received | Agency report received | 40 wd | LOCAL.
reported_to_dcs_meeting | Learning reported to the DCS Safeguarding Meeting | 50 wd | Trafford's procedure: learning goes to the monthly DCS Safeguarding Meeting.
action_plan_agreed | Action plan agreed | 60 wd | LOCAL.
closure | Closure | 6 mo | LOCAL.
""")
_MACR = _table("""
terms_of_reference_agreed | Terms of reference agreed | 10 wd | LOCAL.
agency_reports_requested | Agency reports requested | 10 wd | LOCAL.
agency_reports_received | Agency reports received | 30 wd | LOCAL: four weeks.
critical_review_meeting | Multi-agency critical review meeting | 40 wd | LOCAL.
draft_report | Draft report | 55 wd | LOCAL.
panel_sign_off | Panel (SSCP) sign-off | 65 wd | LOCAL.
partnership_sign_off | Partnership (TSCB) sign-off | 75 wd | LOCAL.
action_plan_agreed | Action plan agreed | 80 wd | LOCAL.
closure | Closure | 6 mo | LOCAL.
""")
_LEARNING = _table("""
practitioners_invited | Practitioners invited | 10 wd | LOCAL.
practitioner_event | Practitioner learning event | 30 wd | Tameside's Learning Review: an informal event for the practitioners involved.
learning_shared | Learning summary (7-minute briefing) | 45 wd | LOCAL: Tameside's 7-minute briefing.
panel_sign_off | Panel (SSCP) sign-off | 55 wd | LOCAL.
closure | Closure | 3 mo | LOCAL.
""")
_CPIR = _table("""
terms_of_reference_agreed | Terms of reference agreed | 15 wd | LOCAL.
reviewer_commissioned | Reviewer commissioned | 20 wd | LOCAL.
agency_reports_requested | Agency reports requested | 20 wd | LOCAL.
agency_reports_received | Agency reports received | 40 wd | LOCAL: four weeks.
practitioner_event | Practitioner learning event | 55 wd | LOCAL.
draft_report | Draft report | 70 wd | LOCAL.
panel_sign_off | Learning and Improvement Sub-Group sign-off | 80 wd | LOCAL.
partnership_sign_off | Partnership (LSCB) sign-off | 90 wd | LOCAL.
action_plan_agreed | Action plan agreed | 95 wd | LOCAL.
closure | Closure | 6 mo | LOCAL.
""")
# The rapid review's clock starts at the notification (working day 0), not a panel decision.
_RR = "Rapid review guidance: the notification is working day 0."
_RAPID = _table(f"""
agency_summaries_requested | Agency summaries requested (day 1) | 1 wd | {_RR}
agency_summaries_due | Agency summaries due (day 10) | 10 wd | {_RR}
panel_analysis | Panel analysis (days 10–12) | 12 wd | {_RR}
sent_to_national_panel | Partner sign-off and sent to the National Panel (day 15) | {RAPID_REVIEW_WITHIN} wd statutory | Within 15 working days of the notification.
{LCSPR_DECISION_KEY} | LCSPR decision recorded (day 15) | {RAPID_REVIEW_WITHIN} wd | SI 2018/789 reg.11: the partners decide whether to hold an LCSPR.
""", anchor="notification")

_NONE = "The panel decides no further review is needed; the referral is closed with reasons."
# The public pages the defaults were built from (docs/domain.md §10), as each type's `source`.
_TRAFFORD_PROCEDURE = ("Trafford's serious incident procedure (the Greater Manchester procedure, "
                       "North West Learning Improvement Framework)")
_TRAFFORD_LIC = "Trafford Safeguarding Children Board, Learning and Improvement Committee"
_TAMESIDE_TSCP = ("Tameside Safeguarding Children Partnership (TSCP), Learning from Child "
                  "Safeguarding Practice Reviews")
_TAMESIDE_TSCB = ("Tameside Safeguarding Children Board (TSCB), Learning from Case Reviews and "
                  "7-minute briefings")
_BRACKNELL = "Bracknell Forest LSCB, Learning and Improvement Sub-Group"
_BELOW = ("consider_local_review",)
_NO = ("no_review", "consider_local_review")

DEFAULT_REVIEW_TYPES: tuple[ReviewTypeSpec, ...] = (
    ReviewTypeSpec(
        key="scr", name="Serious Case Review", regime="WT2015", statutory=True,
        routes=("scr",), creates_review=True,
        description="Statutory review by the LSCB under Working Together 2015.",
        milestones=_SCR, source=f"Working Together 2015 ch.4; {_TRAFFORD_PROCEDURE}; {_TRAFFORD_LIC}; {_BRACKNELL}",
    ),
    ReviewTypeSpec(
        key="malr", name="Multi-agency learning review", regime="WT2015", statutory=False,
        routes=_BELOW, creates_review=True,
        description="Below the SCR threshold, with lessons about how agencies work together.",
        milestones=_CONCISE, source=f"{_TRAFFORD_PROCEDURE}, section 4; {_TRAFFORD_LIC}",
    ),
    ReviewTypeSpec(
        key="iar", name="Individual Agency Review", regime="WT2015", statutory=False,
        routes=_BELOW, creates_review=True,
        description="Below the threshold, learning limited to a single agency.",
        milestones=_IAR, source=f"{_TRAFFORD_PROCEDURE}, section 5",
    ),
    ReviewTypeSpec(
        key="macr", name="Multi-Agency Critical Review", regime="WT2015", statutory=False,
        routes=_BELOW, creates_review=True,
        description="Tameside's below-threshold multi-agency review.",
        milestones=_MACR, source=_TAMESIDE_TSCB,
    ),
    ReviewTypeSpec(
        key="learning_review", name="Learning Review (practitioner event)", regime="WT2015",
        statutory=False, routes=("consider_local_review", "no_review"), creates_review=True,
        description="Practitioners meet informally about good or poor multi-agency practice.",
        milestones=_LEARNING, source=_TAMESIDE_TSCB,
    ),
    ReviewTypeSpec(
        key="cpir", name="Child protection incident review", regime="WT2015", statutory=False,
        routes=_BELOW, creates_review=True,
        description="Bracknell Forest's inter-agency review below the SCR threshold.",
        milestones=_CPIR, source=_BRACKNELL,
    ),
    ReviewTypeSpec(
        key="no_further_review_2015", name="No further review", regime="WT2015",
        statutory=False, routes=_NO, creates_review=False, description=_NONE,
        milestones=(), source="Working Together 2015 ch.4",
    ),
    ReviewTypeSpec(
        key="rapid_review", name="Rapid review", regime="WT2018", statutory=True,
        routes=("rapid_review",), creates_review=True,
        description="Every notified serious child safeguarding case; 15 working days.",
        milestones=_RAPID, source="Working Together 2018 ch.4; SI 2018/789",
    ),
    ReviewTypeSpec(
        key="lcspr", name="Local Child Safeguarding Practice Review", regime="WT2018",
        statutory=True, routes=("rapid_review", "consider_local_review"), creates_review=True,
        description="Statutory local review, usually decided at a rapid review.",
        milestones=_LCSPR, source=f"Working Together 2018 ch.4; SI 2018/789 reg.11; {_TAMESIDE_TSCP}",
    ),
    ReviewTypeSpec(
        key="local_learning_review", name="Local learning review", regime="WT2018",
        statutory=False, routes=_BELOW, creates_review=True,
        description="Non-statutory multi-agency review (Tameside's local model).",
        milestones=_CONCISE, source=_TAMESIDE_TSCP,
    ),
    ReviewTypeSpec(
        key="no_further_review", name="No further review", regime="WT2018", statutory=False,
        routes=_NO, creates_review=False, description=_NONE,
        milestones=(), source="Working Together 2018 ch.4",
    ),
)
# fmt: on
_BY_KEY = {t.key: t for t in DEFAULT_REVIEW_TYPES}


def types_for(regime: str) -> list[ReviewTypeSpec]:
    """The default outcomes the panel can choose under `regime`, in display order."""
    if regime not in REGIMES:
        raise ValueError(f"regime: expected one of {', '.join(REGIMES)}, got {regime!r}")
    return [t for t in DEFAULT_REVIEW_TYPES if t.regime == regime]


def get_type(key: str) -> ReviewTypeSpec:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise ValueError(f"review type: unknown key {key!r}") from None


def departs_from_route(type_key: str, engine_route: str) -> bool:
    """True when choosing `type_key` departs from the criteria: a rationale must be recorded."""
    if engine_route not in ROUTES:
        raise ValueError(f"engine_route: expected one of {', '.join(ROUTES)}, got {engine_route!r}")
    return departs_from_criteria(engine_route, get_type(type_key).routes)


def _field(m: MilestoneSpec | Mapping[str, Any], name: str, default: Any = None) -> Any:
    if isinstance(m, Mapping):
        return m.get(name, default)
    return getattr(m, name, default)


def validate_milestones(
    milestones: Sequence[MilestoneSpec | Mapping[str, Any]],
) -> dict[str, str]:
    """Problems in an (admin-edited) milestone list, keyed "milestones[i].field"; {} if fine.

    Accepts MilestoneSpecs or plain dicts (as a data editor returns them).
    """
    errors: dict[str, str] = {}
    seen: dict[str, int] = {}
    for i, m in enumerate(milestones):
        at = f"milestones[{i}]"
        key = _field(m, "key")
        if not isinstance(key, str) or not _SNAKE.fullmatch(key):
            errors[f"{at}.key"] = f"Key must be snake_case (like draft_report), got {key!r}."
        elif key in seen:
            errors[f"{at}.key"] = f"Duplicate key {key!r} (also milestone {seen[key] + 1})."
        else:
            seen[key] = i
        name = _field(m, "name")
        if not isinstance(name, str) or not name.strip():
            errors[f"{at}.name"] = "Name must not be empty."
        offset = _field(m, "offset")
        if not isinstance(offset, int) or isinstance(offset, bool):
            errors[f"{at}.offset"] = f"Offset must be a whole number, got {offset!r}."
        elif offset < 0:
            errors[f"{at}.offset"] = f"Offset must not be negative, got {offset}."
        unit = _field(m, "unit")
        if unit not in UNITS:
            errors[f"{at}.unit"] = f"Unit must be working_days or months, got {unit!r}."
        anchor = _field(m, "anchor", "decision")
        if anchor not in ANCHORS:
            errors[f"{at}.anchor"] = f"Anchor must be decision or notification, got {anchor!r}."
    return errors


def validate_type(spec: ReviewTypeSpec) -> dict[str, str]:
    """Problems in a whole (admin-edited) review type, including its milestones; {} if fine."""
    errors: dict[str, str] = {}
    if not _SNAKE.fullmatch(spec.key or ""):
        errors["key"] = f"Key must be snake_case, got {spec.key!r}."
    if not (spec.name or "").strip():
        errors["name"] = "Name must not be empty."
    if spec.regime not in REGIMES:
        errors["regime"] = f"Regime must be WT2015 or WT2018, got {spec.regime!r}."
    bad = [r for r in spec.routes if r not in ROUTES]
    if not spec.routes or bad:
        errors["routes"] = f"Routes must be some of {', '.join(ROUTES)}; got {list(spec.routes)}."
    if not spec.creates_review and spec.milestones:
        errors["milestones"] = "An outcome that creates no review has no milestones."
    errors.update(validate_milestones(spec.milestones))
    return errors
