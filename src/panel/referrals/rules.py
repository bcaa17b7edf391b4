"""Referral rules: choices, field-by-field validation, references and the statutory clock.

Plain Python so the form, the importer and the tests share one definition of a valid referral.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from panel.core.clock import add_working_days, rag, working_days_left
from panel.core.validation import not_after_today
from panel.screening.rules import CARE_LEAVER_AGES

NOTIFY_WITHIN_WORKING_DAYS = 5

# Status lifecycle: new -> accepted | awaiting_information | closed; accepted -> decided.
STATUSES = {
    "new": "New",
    "awaiting_information": "Awaiting information",
    "accepted": "Accepted for screening",
    "decided": "Decided",
    "closed": "Closed: not for the panel",
}
OPEN_STATUSES = ("new", "awaiting_information", "accepted")
TRIAGE_ACTIONS = {
    "accept": "accepted",
    "request_information": "awaiting_information",
    "close": "closed",
}
TRIAGE_FROM = {"new", "awaiting_information", "accepted"}

# How the case was identified (docs/domain.md §3, from Trafford's serious incident procedure).
IDENTIFIED_BY = {
    "social_worker": "Social worker or their manager",
    "internal_audit": "Internal audit",
    "iro_service": "IRO service (child protection conference or LAC review)",
    "marat_strategy": "Referral to MARAT or a strategy meeting",
    "staff_partner_community": "Member of staff, partner agency or the community",
}
HARM = {"died": "Child died", "serious_harm": "Child seriously harmed", "other": "Other harm"}
ABUSE_OR_NEGLECT = {"known": "Known", "suspected": "Suspected", "no": "Not known or suspected"}
LOCATION = {
    "in_area": "In this local authority's area",
    "resident_outside_england": "Normally resident here, harmed outside England",
    "elsewhere": "In another English authority's area",
}
SEX = {"female": "Female", "male": "Male", "unknown": "Not known / not recorded"}
# ONS 2021 census high-level ethnic groups.
ETHNICITY = {
    "asian": "Asian or Asian British",
    "black": "Black, Black British, Caribbean or African",
    "mixed": "Mixed or multiple ethnic groups",
    "white": "White",
    "other": "Other ethnic group",
    "not_recorded": "Not recorded",
}
# What each referral field is called wherever a person reads it: the form, a record's history.
FIELD_LABELS = {
    "partnership_id": "Partnership", "received_on": "Date received", "aware_on": "Date the local authority became aware",
    "referrer_name": "Referrer's name and role", "referrer_agency_id": "Referrer's agency",
    "identified_by": "How the case was identified", "referrer_view": "The referrer's view on the criteria",
    "child_initials": "Child's initials", "child_dob": "Child's date of birth", "child_age_years": "Child's age (years)",
    "child_sex": "Child's sex", "child_ethnicity": "Child's ethnicity", "incident_date": "Date of the incident",
    "incident_summary": "What happened", "harm": "Harm", "abuse_or_neglect": "Abuse or neglect",
    "location": "Where it happened", "agencies_involved": "Agencies involved with the child or family",
    "care_leaver": "A care leaver (aged 18 to 24) who died",
}
HISTORY_LABELS = FIELD_LABELS | {
    "status": "Status", "status_note": "Note to the referrer", "looked_after": "Looked after",
    "child_protection_plan": "Child protection plan", "known_to_csc": "Known to children's social care",
    "interagency_concerns": "Concerns about agencies working together", "custody_death": "Died in custody",
    "media_interest": "Media interest", "practice_concerns": "Practice or policy concerns",
    "director_decision": "Director's route", "dcs_informed_on": "DCS informed on", "version": "Version",
}
LINK_KINDS = {"sibling": "Sibling (same incident)", "same_child": "Same child"}

INITIALS_RE = re.compile(r"^[A-Z]{1,4}$")
REFERENCE_RE = re.compile(r"^(?P<code>[A-Z]{2,8})-(?P<year>\d{4})-(?P<seq>\d{3,6})$")
SUMMARY_MAX = 4000


class FormErrors(dict[str, str]):
    """Field name -> message shown beside that field."""


@dataclass(frozen=True)
class Clock:
    due: date
    days_left: int
    rag: str


def notification_clock(aware_on: date, today: date) -> Clock:
    """The queue's statutory clock: notify within 5 working days of becoming aware."""
    due = add_working_days(aware_on, NOTIFY_WITHIN_WORKING_DAYS)
    left = working_days_left(today, due)
    return Clock(due=due, days_left=left, rag=rag(left))


def format_reference(code: str, year: int, seq: int) -> str:
    return f"{code}-{year}-{seq:03d}"


def parse_reference(text: str) -> tuple[str, int, int]:
    """'NB-2025-014' -> ('NB', 2025, 14); ValueError for anything else."""
    m = REFERENCE_RE.match(str(text or "").strip().upper())
    if not m:
        raise ValueError(f"{text!r} is not a referral reference like NB-2025-014")
    return m["code"], int(m["year"]), int(m["seq"])


def age_band(age_years: int | None, dob: date | None, on: date) -> str:
    """Minimised age for lists (docs/domain.md §8): a band, never the date of birth."""
    if age_years is None and dob is not None:
        age_years = on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
    if age_years is None:
        return "unknown"
    if age_years < 1:
        return "under 1"
    for lo, hi in ((1, 4), (5, 9), (10, 15)):
        if lo <= age_years <= hi:
            return f"{lo}-{hi}"
    return "16-17"


def _as_date(value, field: str, errors: FormErrors, required: bool = True) -> date | None:
    if value in (None, ""):
        if required:
            errors[field] = "Enter a date."
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field] = "Enter a real date, as YYYY-MM-DD."
        return None


def _as_id(value) -> int | None:
    """A record id from a form value, or None for anything that is not one."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _choice(data, field, choices, errors, label) -> str | None:
    value = data.get(field)
    if value in (None, ""):
        errors[field] = f"Choose {label}."
        return None
    if not isinstance(value, str) or value not in choices:  # any other type is hostile input
        errors[field] = f"Choose {label} from the list."
        return None
    return value


def _text(data, field, errors, label, max_len, min_len=1, required=True) -> str | None:
    value = data.get(field)
    value = "" if value is None else str(value).strip()
    if not value:
        if required:
            errors[field] = f"Enter {label}."
        return None
    if len(value) < min_len:
        errors[field] = f"{label.capitalize()} must be at least {min_len} characters."
        return None
    if len(value) > max_len:
        errors[field] = f"{label.capitalize()} must be {max_len} characters or fewer."
        return None
    return value


def validate_referral(data: dict, today: date, agency_ids: set[int]) -> tuple[dict, FormErrors]:
    """Check every field and return (clean values, errors); the caller writes only if no errors."""
    errors = FormErrors()
    clean: dict = {}
    clean["received_on"] = _as_date(data.get("received_on"), "received_on", errors)
    clean["aware_on"] = _as_date(data.get("aware_on"), "aware_on", errors)
    clean["incident_date"] = _as_date(data.get("incident_date"), "incident_date", errors)
    for f in ("received_on", "aware_on", "incident_date"):
        errors.update(not_after_today(f, clean[f], today))
    if clean["aware_on"] and clean["received_on"] and "aware_on" not in errors:
        if clean["aware_on"] > clean["received_on"]:
            errors["aware_on"] = "The authority cannot become aware after the referral arrived."
    if clean["incident_date"] and clean["aware_on"] and "incident_date" not in errors:
        if clean["incident_date"] > clean["aware_on"]:
            errors["incident_date"] = "The incident cannot be after the authority became aware."

    clean["referrer_name"] = _text(data, "referrer_name", errors, "the referrer's name", 200)
    agency = data.get("referrer_agency_id")
    if agency in (None, ""):
        errors["referrer_agency_id"] = "Choose the referrer's agency."
    elif _as_id(agency) not in agency_ids:
        errors["referrer_agency_id"] = "Choose the referrer's agency from the list."
    else:
        clean["referrer_agency_id"] = int(agency)
    clean["identified_by"] = _choice(data, "identified_by", IDENTIFIED_BY, errors, "how the case was identified")
    clean["referrer_view"] = _text(data, "referrer_view", errors, "the referrer's view", 2000, required=False)

    initials = str(data.get("child_initials") or "").strip().upper().replace(".", "").replace(" ", "")
    if not initials:
        errors["child_initials"] = "Enter the child's initials."
    elif not INITIALS_RE.match(initials):
        errors["child_initials"] = "Enter initials only: 1 to 4 letters, no full names."
    clean["child_initials"] = initials or None
    clean["child_dob"] = _as_date(data.get("child_dob"), "child_dob", errors, required=False)
    care_leaver = clean["care_leaver"] = bool(data.get("care_leaver", False))
    age = data.get("child_age_years")
    clean["child_age_years"] = None
    if age not in (None, ""):
        try:
            age = int(age)
        except (TypeError, ValueError, OverflowError):
            errors["child_age_years"] = "Enter the age in whole years."
        else:
            if care_leaver and age not in CARE_LEAVER_AGES:
                errors["child_age_years"] = ("A care leaver's death is notified at age 18 to 24: "
                                             "enter their age then.")
            elif not care_leaver and not 0 <= age <= 17:
                errors["child_age_years"] = "A child's age is 0 to 17 years."
            else:
                clean["child_age_years"] = age
    if clean["child_dob"] is None and clean["child_age_years"] is None:
        if "child_dob" not in errors and "child_age_years" not in errors:
            errors["child_age_years"] = "Enter the child's age or date of birth."
    if future := not_after_today("child_dob", clean["child_dob"], today):
        errors.update(future)
    elif clean["child_dob"] and clean["incident_date"]:
        years = (clean["incident_date"] - clean["child_dob"]).days / 365.25
        if years < 0:
            errors["child_dob"] = "The date of birth is after the incident."
        elif care_leaver and age_at(clean["child_dob"], clean["incident_date"]) not in CARE_LEAVER_AGES:
            errors["child_dob"] = "A care leaver's death is notified at age 18 to 24: check the date of birth."
        elif not care_leaver and years >= 18:
            errors["child_dob"] = "The child was 18 or over at the incident: not a child case."
    clean["child_sex"] = _choice(data, "child_sex", SEX, errors, "the child's sex")
    clean["child_ethnicity"] = _choice(data, "child_ethnicity", ETHNICITY, errors, "the child's ethnicity")
    for flag in ("looked_after", "child_protection_plan", "known_to_csc"):
        clean[flag] = bool(data.get(flag, False))

    clean["incident_summary"] = _text(
        data, "incident_summary", errors, "a summary of the incident", SUMMARY_MAX, min_len=10
    )
    clean["harm"] = _choice(data, "harm", HARM, errors, "the harm")
    clean["abuse_or_neglect"] = _choice(data, "abuse_or_neglect", ABUSE_OR_NEGLECT, errors, "whether abuse or neglect is known or suspected")
    clean["location"] = _choice(data, "location", LOCATION, errors, "where it happened")
    if care_leaver and clean["harm"] not in (None, "died"):
        errors["care_leaver"] = "A care leaver is recorded only when the young person died."
    elif care_leaver and clean["looked_after"]:
        errors["care_leaver"] = ("A care leaver of 18 to 24 is no longer looked after: untick "
                                 "Looked after or Care leaver.")
    involved = data.get("agencies_involved") or []
    try:
        involved_ids = sorted({int(a) for a in involved})
    except (TypeError, ValueError, OverflowError):
        involved_ids = []
        errors["agencies_involved"] = "Choose the agencies from the list."
    if any(a not in agency_ids for a in involved_ids):
        errors["agencies_involved"] = "Choose the agencies from the list."
    clean["agencies_involved"] = involved_ids
    return clean, errors


def age_at(dob: date, day: date) -> int:
    """Whole years of age on `day`."""
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def care_leaver_facts(care_leaver: bool, age_years: int | None, dob: date | None,
                      incident_date: date | None) -> dict:
    """The screening engine's care-leaver facts for a referral (docs/domain.md §5.1): none unless
    it records a care leaver; then `care_leaver` and `age_at_death`, from the age recorded or
    else from the date of birth at the incident (the death)."""
    if not care_leaver:
        return {}
    age = age_years
    if age is None and dob is not None and incident_date is not None:
        age = age_at(dob, incident_date)
    return {"care_leaver": True, "age_at_death": age}


def possible_duplicate(a: dict, b: dict) -> bool:
    """Same initials, same date of birth (or age), incidents within 30 days
    (docs/domain.md §3)."""
    if not a.get("child_initials") or a.get("child_initials") != b.get("child_initials"):
        return False
    if a.get("child_dob") and b.get("child_dob"):
        same_child = a["child_dob"] == b["child_dob"]
    else:
        same_child = (
            a.get("child_age_years") is not None
            and b.get("child_age_years") is not None
            and abs(a["child_age_years"] - b["child_age_years"]) <= 1
        )
    if not same_child or not a.get("incident_date") or not b.get("incident_date"):
        return False
    return abs((a["incident_date"] - b["incident_date"]).days) <= 30
