"""Learning sources other than case reviews: their kinds, the fields each kind records, and the
checks a source must pass before it is saved (docs/domain.md §7.1).

Pure: no database, no Streamlit. The service (panel.learning.sources) checks a form here before
its transaction starts, and the page shows each kind's fields from `KIND_FIELDS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from panel.core.validation import not_after_today

SOURCE_KINDS = {
    "case_file_audit": "Multi-agency case file audit",
    "child_death_review": "Child death review learning",
    "cpir": "Child protection incident review",
    "local_learning_review": "Local learning review",
    "inspection": "Inspection",
    "self_audit": "Section 11 or agency self-audit",
}
# The kinds that audit agencies' practice: only these sample cases and grade each agency.
AUDIT_KINDS = frozenset({"case_file_audit", "self_audit"})
GRADES = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
}
INSPECTORATES = {
    "ofsted": "Ofsted",
    "jtai": "Joint targeted area inspection (JTAI)",
    "cqc": "Care Quality Commission (CQC)",
    "hmicfrs": "HMICFRS",
}

# The fields that matter for each kind, in the order a form asks for them. Every kind has a
# title, a reference (a CDOP's case number, an inspection's), what it looked at, dates and
# agencies; only an inspection names its inspectorate, and only an audit samples cases and gives
# each agency a grade ("grades").
_COMMON = ("title", "reference", "topic", "started_on", "completed_on", "agencies")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "case_file_audit": (*_COMMON, "cases_sampled", "grades"),
    "child_death_review": _COMMON,
    "cpir": _COMMON,
    "local_learning_review": _COMMON,
    "inspection": ("inspectorate", *_COMMON),
    "self_audit": (*_COMMON, "cases_sampled", "grades"),
}
# What the topic field means for each kind (its label on the form and the source's page).
TOPIC_LABELS = {
    "case_file_audit": "Topic audited",
    "self_audit": "Topic audited",
    "inspection": "Scope of the inspection",
}
TOPIC_DEFAULT = "What it looked at"
REFERENCE_LABELS = {"child_death_review": "CDOP reference", "inspection": "Inspection reference"}
REFERENCE_DEFAULT = "Reference"

TITLE_MAX = 200
REFERENCE_MAX = 100
TOPIC_MAX = 2000
CASES_MAX = 10_000
EARLIEST = date(2000, 1, 1)


@dataclass
class SourceForm:
    """What a person enters for a learning source; `agencies` maps agency id to its grade (None
    where the kind grades no agency, or the grade is not yet given)."""

    kind: str | None = None
    title: str = ""
    reference: str = ""
    topic: str = ""
    inspectorate: str | None = None
    cases_sampled: int | None = None
    started_on: date | None = None
    completed_on: date | None = None
    agencies: dict[int, str | None] = field(default_factory=dict)


def topic_label(kind: str | None) -> str:
    return TOPIC_LABELS.get(kind or "", TOPIC_DEFAULT)


def reference_label(kind: str | None) -> str:
    return REFERENCE_LABELS.get(kind or "", REFERENCE_DEFAULT)


def _text(value: str | None) -> str:
    return (value or "").strip()


def _date_errors(form: SourceForm, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if form.started_on is None and form.completed_on is None:
        errors["completed_on"] = "Enter when it was completed, or when it started if it is still going on."
    for name in ("started_on", "completed_on"):
        value = getattr(form, name)
        if value is None:
            continue
        if not isinstance(value, date):
            errors[name] = "Enter a date."
        elif future := not_after_today(name, value, today):
            errors.update(future)
        elif value < EARLIEST:
            errors[name] = "Enter a date from 2000 onwards."
    if (not errors and form.started_on is not None and form.completed_on is not None
            and form.completed_on < form.started_on):
        errors["completed_on"] = "It cannot be completed before it started."
    return errors


def _agency_errors(form: SourceForm) -> dict[str, str]:
    grades = {a: g for a, g in (form.agencies or {}).items() if g not in (None, "")}
    if not grades:
        return {}
    if form.kind not in AUDIT_KINDS:
        return {"grades": "Only an audit grades agencies: leave the grades empty."}
    if any(g not in GRADES for g in grades.values()):
        return {"grades": "Choose each grade from the list: " + ", ".join(GRADES.values()).lower() + "."}
    return {}


def check(form: SourceForm, today: date) -> dict[str, str]:
    """Every problem with the form, keyed by field (empty when it can be saved). A field the kind
    does not record must be left empty: the form never shows it, so a value there is a mistake."""
    errors: dict[str, str] = {}
    if form.kind not in SOURCE_KINDS:
        errors["kind"] = "Choose what kind of learning this is: " + ", ".join(
            v.lower() for v in SOURCE_KINDS.values()) + "."
    title = _text(form.title)
    if not title:
        errors["title"] = "Give it a title people will recognise (for example, the audit's topic and month)."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title to {TITLE_MAX} characters."
    if len(_text(form.reference)) > REFERENCE_MAX:
        errors["reference"] = f"Keep the reference to {REFERENCE_MAX} characters."
    if len(_text(form.topic)) > TOPIC_MAX:
        errors["topic"] = f"Keep this to {TOPIC_MAX} characters."
    if form.kind == "inspection":
        if form.inspectorate not in INSPECTORATES:
            errors["inspectorate"] = "Choose the inspectorate: " + ", ".join(INSPECTORATES.values()) + "."
    elif form.inspectorate:
        errors["inspectorate"] = "Only an inspection names an inspectorate."
    if form.cases_sampled is not None:
        if form.kind not in AUDIT_KINDS:
            errors["cases_sampled"] = "Only an audit samples cases: leave it empty."
        elif isinstance(form.cases_sampled, bool) or not isinstance(form.cases_sampled, int) \
                or not 1 <= form.cases_sampled <= CASES_MAX:
            errors["cases_sampled"] = f"Enter how many cases were sampled, from 1 to {CASES_MAX:,}."
    errors.update(_date_errors(form, today))
    errors.update(_agency_errors(form))
    return errors


def cleaned(form: SourceForm) -> dict:
    """The form's values as the record holds them (text trimmed, empty text as None)."""
    return {
        "kind": form.kind, "title": _text(form.title), "reference": _text(form.reference) or None,
        "topic": _text(form.topic) or None, "inspectorate": form.inspectorate or None,
        "cases_sampled": form.cases_sampled, "started_on": form.started_on, "completed_on": form.completed_on,
    }


def grades_of(form: SourceForm) -> dict[int, str | None]:
    """Agency id -> grade as stored: None where none is given."""
    return {int(a): (g or None) for a, g in (form.agencies or {}).items()}
