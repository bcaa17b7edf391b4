"""A review's clock: planned milestone dates, their status and the statutory checks (docs/domain.md §6).

Pure functions over dates so the reviews page, the manager's dashboard and the returns all give
the same targets and colours. Planned dates are worked out from the review type, never stored as
the only truth: a recorded delay (with its reason, kept by the caller) moves them, and nothing
else does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from panel.core import clock
from panel.core.clock import add_months, add_working_days, is_working_day, working_days_between
from panel.reviews.types import (
    CLOSURE_KEY,
    COPY_KEY,
    DEFAULT_REVIEW_TYPES,
    PUBLICATION_KEY,
    MilestoneSpec,
    ReviewTypeSpec,
    get_type,
)

COPY_BEFORE_PUBLICATION = 7  # working days (WT2018 ch.4; docs/domain.md §4)
WEBSITE_MONTHS = 12  # published reports stay on the website at least this long (Tameside, docs/domain.md §6.2)
STATUSES = ("done", "done_late", "overdue", "due_soon", "pending")
# A review's state (docs/domain.md §6.3): closed, published and withheld are different things.
REVIEW_STATES = {"open": "Open", "published": "Published", "withheld": "Withheld", "closed": "Closed",
                 "superseded": "Superseded"}
RUNNING_STATES = ("open", "published", "withheld")  # the review's status is still "open"
RAG = {
    "done": "green",
    "done_late": "amber",
    "overdue": "red",
    "due_soon": "amber",
    "pending": "green",
}


def subtract_working_days(end: date, n: int) -> date:
    """The Nth working day before `end`; day 0 is `end` (the mirror of add_working_days).

    For a working day d, `subtract_working_days(add_working_days(d, n), n) == d`.
    """
    if n < 0:
        raise ValueError("n must be zero or more")
    day = end
    counted = 0
    while counted < n:
        day -= timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def copy_deadline(publication_on: date) -> date:
    """The latest working day to send the copy so publication is ≥7 working days after it.

    "At least 7 working days before" uses the clock's counting: publication must be on or after
    the 7th working day after the copy. A weekend or bank-holiday publication counts from the
    working day before it, otherwise the copy would be a day short.
    """
    last = publication_on
    while not is_working_day(last):
        last -= timedelta(days=1)
    return subtract_working_days(last, COPY_BEFORE_PUBLICATION)


def copy_too_late(copy_sent_on: date | None, publication_on: date | None) -> bool:
    """True when the copy reached the National Panel fewer than 7 working days before publication.

    No publication date: nothing to be late for. A publication date but no copy: late (the
    page shows it as a problem to fix before publishing).
    """
    if publication_on is None:
        return False
    if copy_sent_on is None:
        return True
    return working_days_between(copy_sent_on, publication_on) < COPY_BEFORE_PUBLICATION


def _milestones(spec: ReviewTypeSpec | Sequence[MilestoneSpec]) -> tuple[MilestoneSpec, ...]:
    return spec.milestones if isinstance(spec, ReviewTypeSpec) else tuple(spec)


def _clamp_copy(planned: dict[str, date]) -> None:
    # The copy's own offset is a plan; the statute is the limit, so never plan it later.
    if COPY_KEY in planned and PUBLICATION_KEY in planned:
        planned[COPY_KEY] = min(planned[COPY_KEY], copy_deadline(planned[PUBLICATION_KEY]))


def planned_dates(
    spec: ReviewTypeSpec | Sequence[MilestoneSpec],
    decision_on: date,
    notified_on: date | None = None,
    delays: Iterable[tuple[date, int]] = (),
) -> dict[str, date]:
    """Target date per milestone key, in the type's order.

    Each milestone counts `offset` working days (clock.add_working_days) or calendar months
    (clock.add_months, clamped to month end) from its anchor: the decision date, or for the
    rapid review the date the notification was sent. The copy to the National Panel is never
    planned later than `copy_deadline` of the planned publication. Each recorded delay
    `(starting, n)` moves every milestone planned on or after `starting` n working days later;
    several delays add up.
    """
    milestones = _milestones(spec)
    planned: dict[str, date] = {}
    for m in milestones:
        if m.anchor == "decision":
            start = decision_on
        elif m.anchor == "notification":
            if notified_on is None:
                raise ValueError(f"notified_on: required for milestone {m.key!r}")
            start = notified_on
        else:
            raise ValueError(f"anchor: unknown anchor {m.anchor!r} for milestone {m.key!r}")
        if m.unit == "working_days":
            planned[m.key] = add_working_days(start, m.offset)
        elif m.unit == "months":
            planned[m.key] = add_months(start, m.offset)
        else:
            raise ValueError(f"unit: unknown unit {m.unit!r} for milestone {m.key!r}")
    _clamp_copy(planned)
    recorded = list(delays)
    if any(n < 0 for _, n in recorded):
        raise ValueError("delays: working days must be zero or more")
    if recorded:
        for key, day in planned.items():
            shift = sum(n for starting, n in recorded if day >= starting)
            planned[key] = add_working_days(day, shift)
        _clamp_copy(planned)
    return planned


def milestone_status(
    planned: date | None, actual: date | None, today: date, amber_within: int = 5
) -> str:
    """One of STATUSES; "due_soon" means due within `amber_within` working days (today too)."""
    if actual is not None:
        return "done" if planned is None or actual <= planned else "done_late"
    if planned is None:
        return "pending"
    if today > planned:
        return "overdue"
    if working_days_between(today, planned) <= amber_within:
        return "due_soon"
    return "pending"


def review_status(
    milestones: Sequence[Mapping[str, Any]], today: date, amber_within: int = 5
) -> dict[str, Any]:
    """A review's summary from its milestones (dicts with key, planned, actual).

    Returns next_key / next_due (the earliest-planned milestone not done; None when all are),
    days_left (working days from today, negative when overdue), rag ("red" if any milestone is
    overdue, "amber" if any is due soon, else "green"), counts per status, and status per key.
    """
    statuses: dict[str, str] = {}
    open_: list[tuple[date, int, str]] = []
    for i, m in enumerate(milestones):
        planned, actual = m.get("planned"), m.get("actual")
        statuses[m["key"]] = milestone_status(planned, actual, today, amber_within)
        if actual is None and planned is not None:
            open_.append((planned, i, m["key"]))
    counts = {s: sum(1 for v in statuses.values() if v == s) for s in STATUSES}
    if counts["overdue"]:
        overall = "red"
    elif counts["due_soon"]:
        overall = "amber"
    else:
        overall = "green"
    nxt = min(open_) if open_ else None
    return {
        "next_key": nxt[2] if nxt else None,
        "next_due": nxt[0] if nxt else None,
        "days_left": working_days_between(today, nxt[0]) if nxt else None,
        "rag": overall,
        "counts": counts,
        "statuses": statuses,
    }


def website_until(published_on: date) -> date:
    """The earliest date a published report may come off the website (Tameside's practice: 12
    months)."""
    return add_months(published_on, WEBSITE_MONTHS)


def rapid_review_stages(notified_on: date) -> list[tuple[str, date]]:
    """The rapid review's day 1 / 10 / 12 / 15 targets, named, from the default type."""
    spec = get_type("rapid_review")
    dates = planned_dates(spec, notified_on, notified_on=notified_on)
    return [(m.name, dates[m.key]) for m in spec.milestones]


def _default_labels() -> dict[str, str]:
    labels = {"decision_on": "Decision", "notified_on": "Notification", "aware_on": "Awareness"}
    for t in reversed(DEFAULT_REVIEW_TYPES):  # the current regime's plainer names win
        for m in t.milestones:
            labels.setdefault(m.key, m.name)
            labels.setdefault(f"{m.key}_on", m.name)
    labels.update({"published_on": "Publication", "copy_sent_on": labels[COPY_KEY]})
    return labels


_LABELS = _default_labels()


def _label(key: str, labels: Mapping[str, str]) -> str:
    return (
        labels.get(key)
        or _LABELS.get(key)
        or key.removesuffix("_on").replace("_", " ").capitalize()
    )


def _lower_first(text: str) -> str:
    # "Partnership sign-off" -> "partnership sign-off", but keep "LCSPR decision" as it is.
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _fmt(d: date) -> str:
    return clock.day(d)


def check_dates_in_order(
    dates: Mapping[str, date | None],
    order: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Errors for dates earlier than a date that must come before them, keyed by the later key.

    `order` lists keys first to last; missing or None dates are skipped. Each date is checked
    against the latest date among the keys before it, so "published before sign-off" is refused
    even when the steps between were left blank. Labels default to milestone names.
    """
    labels = labels or {}
    errors: dict[str, str] = {}
    latest: tuple[date, str] | None = None
    for key in order:
        day = dates.get(key)
        if day is None:
            continue
        if latest is not None and day < latest[0]:
            before = _lower_first(_label(latest[1], labels))
            errors[key] = f"{_label(key, labels)} cannot be before {before} ({_fmt(latest[0])})."
        if latest is None or day > latest[0]:
            latest = (day, key)
    return errors


def survives_amendment(lcspr_decision: str | None, started_by_rapid_review: bool,
                       milestones_done: Sequence[bool]) -> bool:
    """True when an amended screening decision must leave this running review as it is
    (docs/domain.md §6.3): a rapid review whose partners have made their LCSPR decision, an LCSPR
    a rapid review started (it answers to that decision, not the screening one), or a review
    with every milestone recorded. Such a review is never superseded, so it stays in the figures."""
    complete = bool(milestones_done) and all(milestones_done)
    return bool(lcspr_decision) or started_by_rapid_review or complete


def review_state(status: str, publication_status: str | None, published_on: date | None,
                 closed_on: date | None) -> str:
    """One of REVIEW_STATES. Superseded and closed are the review's own status, whatever its
    publication (a closed review was usually published first); a review still running is
    withheld when its publication is withheld, published once publication is recorded, otherwise
    open. Delayed publication is still open: it is expected."""
    if status == "superseded":
        return "superseded"
    if status == "closed" or closed_on is not None:
        return "closed"
    if publication_status == "withheld":
        return "withheld"
    return "published" if published_on is not None else "open"


def action_settled(status: str, carried_to: str | None, carried_reason: str | None) -> bool:
    """An action no longer keeps its review open: closed with evidence of impact, or carried to a
    named owner with a reason (docs/domain.md §6.3, §7)."""
    if status == "closed":
        return True
    return status == "carried" and bool((carried_to or "").strip()) and bool((carried_reason or "").strip())


def closure_blockers(milestones: Sequence[Mapping[str, Any]], actions: Sequence[Mapping[str, Any]]) -> list[str]:
    """What stops a review closing, one sentence each; [] when it may close (docs/domain.md §6.3).

    `milestones`: dicts with key, name, actual. The closure milestone must be recorded; a type
    without one (the rapid review) needs every milestone recorded instead. `actions`: every
    action on the review's recommendations, dicts with id, text, agency, owner, status,
    carried_to, carried_reason; each must be settled (`action_settled`).
    """
    out = []
    closure = next((m for m in milestones if m["key"] == CLOSURE_KEY), None)
    if closure is not None and closure.get("actual") is None:
        out.append(f"{closure['name']} has not been recorded.")
    missing = [m["name"] for m in milestones if m.get("actual") is None]
    if closure is None and missing:
        out.append(f"Not every milestone has been recorded ({', '.join(missing)}).")
    for a in actions:
        if not action_settled(a["status"], a.get("carried_to"), a.get("carried_reason")):
            text = " ".join((a.get("text") or "").split())
            text = text if len(text) <= 60 else text[:59].rstrip() + "…"
            out.append(f"Action {a['id']} for {a.get('agency') or 'no agency'} ({a.get('owner') or 'no owner'}), "
                       f"\"{text}\", is neither closed with evidence of impact nor carried to a named owner.")
    return out
