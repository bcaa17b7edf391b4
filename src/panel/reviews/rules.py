"""The review record's fixed choices and their labels: the rapid review's LCSPR decision
(SI 2018/789 reg.11), the National Panel's response and the publication status.

Plain data, so the review services, the pages and the tracker format (panel.tracker_io.format)
share one list without the format reaching the database.
"""

from __future__ import annotations

# The rapid review's decision (docs/domain.md §6.3): "lcspr" opens the LCSPR, linked to it.
LCSPR_DECISIONS = {"lcspr": "Hold an LCSPR", "no_lcspr": "No LCSPR", "other_local": "Another local review"}
RESPONSES = {"agrees": "Agrees", "disagrees": "Disagrees"}
PUBLICATION_STATUSES = {"planned": "As planned", "delayed": "Delayed", "withheld": "Withheld"}

# Processes that run beside a review and shape it (docs/domain.md §6): each with dates and status.
PROCESS_KINDS = {
    "police_investigation": "Police investigation",
    "criminal_proceedings": "Criminal proceedings",
    "inquest": "Coroner's inquest",
    "child_death_review": "Child death review (CDOP)",
    "domestic_homicide_review": "Domestic homicide review",
    "other_review": "Another agency's review",
}
PROCESS_STATUSES = {"ongoing": "Ongoing", "concluded": "Concluded"}
# How the family took part (docs/domain.md §6).
FAMILY_EVENTS = {
    "invited": "Invited to take part",
    "met": "Met the reviewer",
    "declined": "Declined to take part",
    "views_recorded": "Views recorded",
    "draft_shared": "Draft shared with them",
}


def _long(errors: dict[str, str], field: str, value: str, limit: int) -> None:
    if len(value or "") > limit:
        errors[field] = f"Keep this to {limit} characters."


def check_process(*, kind, reference, status, started_on, next_event, next_on, concluded_on, outcome,
                  today) -> dict[str, str]:
    """A parallel process as the panel records it: dates that happened are not in the future; a
    concluded process says when; a next date says what happens then."""
    errors: dict[str, str] = {}
    if kind not in PROCESS_KINDS:
        errors["kind"] = "Choose the kind of process."
    if status not in PROCESS_STATUSES:
        errors["status"] = "Choose ongoing or concluded."
    if started_on and started_on > today:
        errors["started_on"] = "The start cannot be in the future."
    if status == "concluded":
        if concluded_on is None:
            errors["concluded_on"] = "Enter when it concluded."
        elif concluded_on > today:
            errors["concluded_on"] = "The date cannot be in the future."
        elif started_on and concluded_on < started_on:
            errors["concluded_on"] = "It cannot conclude before it started."
    if next_on and not (next_event or "").strip():
        errors["next_event"] = "Say what happens on the next date (e.g. trial, inquest hearing)."
    if (next_event or "").strip() and next_on is None:
        errors["next_on"] = "Enter the date of the next event."
    _long(errors, "reference", reference, 100)
    _long(errors, "next_event", next_event, 200)
    _long(errors, "outcome", outcome, 4000)
    return errors


def check_family_step(*, family_member, event, happened_on, note, today) -> dict[str, str]:
    """One step of the family's involvement. The member is named by relationship, never by name
    (docs/domain.md §8)."""
    errors: dict[str, str] = {}
    if not (family_member or "").strip():
        errors["family_member"] = "Say who in the family, by relationship (e.g. mother, grandfather)."
    _long(errors, "family_member", family_member, 100)
    if event not in FAMILY_EVENTS:
        errors["event"] = "Choose what happened."
    if happened_on is None:
        errors["happened_on"] = "Enter the date."
    elif happened_on > today:
        errors["happened_on"] = "The date cannot be in the future."
    if event == "views_recorded" and not (note or "").strip():
        errors["note"] = "Summarise the family's views, or where they are recorded."
    _long(errors, "note", note, 4000)
    return errors
