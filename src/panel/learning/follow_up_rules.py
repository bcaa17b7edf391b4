"""An action's impact follow-up (docs/domain.md §7.1): closing an action with evidence of impact may
set a later date to check that the change held (a re-audit in six months, say); on that date, or
after, a chair or business manager records what the check found.

Plain Python: panel.learning.actions and panel.learning.follow_up check their input with these
before they write.
"""

from __future__ import annotations

from datetime import date

from panel.core.clock import add_months, add_working_days, day
from panel.core.validation import not_after_today

WITHIN_YEARS = 5  # a follow-up further off than this is a typing slip
RESULT_MIN_CHARS, RESULT_MIN_WORDS, RESULT_MAX = 20, 4, 5000
RESULT_MESSAGE = ("Say what the follow-up found: did the change hold, and how do you know (at least "
                  f"{RESULT_MIN_CHARS} characters), e.g. the re-audit's result.")
DUE_WITHIN = 10  # working days: "due" on the action register, as an action's amber
STATES = {"scheduled": "Follow-up scheduled", "due": "Follow-up due", "overdue": "Follow-up overdue",
          "done": "Followed up"}


def date_problem(follow_up_on, closed_on: date) -> str | None:
    """Why `follow_up_on` cannot be the follow-up date of an action closed on `closed_on`, or None
    (no date is fine: a follow-up is optional). It checks that the change held, so it comes after
    the closing day."""
    if follow_up_on is None:
        return None
    if not isinstance(follow_up_on, date):
        return "Enter the date to follow up."
    if follow_up_on <= closed_on:
        return (f"Choose a follow-up date after the action is closed ({day(closed_on)}): it checks "
                "that the change held.")
    if follow_up_on > add_months(closed_on, 12 * WITHIN_YEARS):
        return f"Choose a follow-up date within {WITHIN_YEARS} years of closing."
    return None


def result_errors(done_on, result, closed_on: date | None, today: date) -> dict[str, str]:
    """The follow-up as done: when (not in the future, not before the action was closed) and
    what it found (enough words to say whether the change held)."""
    errors: dict[str, str] = {}
    if not isinstance(done_on, date):
        errors["follow_up_done_on"] = "Enter the date the follow-up was done."
    elif future := not_after_today("follow_up_done_on", done_on, today):
        errors.update(future)
    elif closed_on is not None and done_on < closed_on:
        errors["follow_up_done_on"] = f"The follow-up cannot be before the action was closed ({day(closed_on)})."
    text = " ".join(str(result or "").split())
    if len(text) < RESULT_MIN_CHARS or len(text.split()) < RESULT_MIN_WORDS:
        errors["follow_up_result"] = RESULT_MESSAGE
    elif len(text) > RESULT_MAX:
        errors["follow_up_result"] = f"Keep the result to {RESULT_MAX} characters."
    return errors


def due_before(today: date, within: int = DUE_WITHIN) -> date:
    """Follow-ups dated before this day are due: at most `within` working days away, or past."""
    return add_working_days(today, within + 1)


def state(follow_up_on: date | None, done_on: date | None, today: date, within: int = DUE_WITHIN) -> str | None:
    """done, overdue (its date has passed), due (within `within` working days), scheduled, or
    None when the action has no follow-up."""
    if done_on is not None:
        return "done"
    if follow_up_on is None:
        return None
    if follow_up_on < today:
        return "overdue"
    return "due" if follow_up_on < due_before(today, within) else "scheduled"
