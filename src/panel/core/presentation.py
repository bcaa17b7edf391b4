"""Presentation mode: what a shared screen must not show. Pure rules, no Streamlit or database.

On a shared screen (a panel meeting on a projector, a video call) a child must not be
identifiable: their initials, age or age band, date of birth, sex, ethnicity, what happened to
them in words, and the free text written about the case (the referrer's view, the panel's
notes, the referrer's name). References, dates, statuses and clocks stay: the panel works from
them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

HIDDEN = "hidden (presentation mode)"

# Column and field names that carry a child identifier or free text about the case, wherever
# a service returns them (queue rows, referral fields, duplicate lists, notes).
CHILD_FIELDS = frozenset({
    "child", "child_initials", "child_dob", "child_age_years", "age_band", "child_sex",
    "child_ethnicity", "incident_summary", "referrer_view", "referrer_name", "status_note",
    "note from the panel",
})


def mask_record(row: Mapping[str, Any], fields: Iterable[str] = CHILD_FIELDS) -> dict[str, Any]:
    """The row with every child field replaced by HIDDEN (other fields as they were)."""
    hide = set(fields)
    return {k: (HIDDEN if k in hide else v) for k, v in row.items()}


def mask_rows(rows: list[Mapping[str, Any]], fields: Iterable[str] = CHILD_FIELDS) -> list[dict[str, Any]]:
    hide = frozenset(fields)
    return [mask_record(r, hide) for r in rows]
