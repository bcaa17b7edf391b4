"""Checks that forms, services and the tracker import share, so the same input gets the same
message whichever way it arrives. Each returns the errors it found, keyed by field, in the shape
`ValidationFailed` carries: an empty dict when the value passes."""

from __future__ import annotations

from datetime import date

FUTURE_DATE = "The date cannot be in the future."


def not_after_today(field: str, value: date | None, today: date) -> dict[str, str]:
    """`{field: FUTURE_DATE}` when `value` is after `today`; nothing when it is on or before
    today or missing (whether a date is required is the caller's rule). Records describe what
    has happened, so none of their dates can be later than the day they are entered."""
    if value is not None and value > today:
        return {field: FUTURE_DATE}
    return {}
