"""What a record of learning shared with practitioners must hold (docs/domain.md §7.1): an event
held on a day, of a kind, on a topic, sharing reviews, recommendations, briefings or learning
sources, with how many attended from which agency in which role.

Plain Python: the service (panel.learning.dissemination) checks a form with these before it
opens a transaction, so the same input gets the same messages however it arrives.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from numbers import Integral

from panel.core.validation import not_after_today

EVENT_KINDS = {
    "learning_event": "Multi-agency learning event",
    "bitesize": "Bitesize session",
    "briefing_session": "Briefing session",
    "conference": "Conference",
    "newsletter": "Newsletter",
    "other": "Other",
}
# What an event may have shared, and how the page names each.
LINK_ENTITIES = {"review": "Review", "recommendation": "Recommendation", "briefing": "Briefing",
                 "source": "Learning source"}
NO_AGENCY = "Other organisation"  # an attendance row naming no agency on Panel's list
EARLIEST = date(2000, 1, 1)
TOPIC_MIN, TOPIC_MAX = 3, 200
AUDIENCE_MAX = 2000
ROLE_MAX = 100
ATTENDED_MAX = 10_000  # per row: a larger number is a typing slip
ROWS_MAX = 100
LINKS_MAX = 200
NOBODY = "Enter how many attended: at least one row with one or more people."


def event_errors(held_on, kind, topic, audience, today: date) -> dict[str, str]:
    """The event's own fields. A record says who was reached, which is known only once the
    event has been held: a date after today is refused."""
    errors: dict[str, str] = {}
    if not isinstance(held_on, date):
        errors["held_on"] = "Enter the date the event was held."
    elif future := not_after_today("held_on", held_on, today):
        errors.update(future)
    elif held_on < EARLIEST:
        errors["held_on"] = "Enter a date from 2000 onwards."
    if not isinstance(kind, str) or kind not in EVENT_KINDS:
        errors["kind"] = "Choose the kind of event: " + ", ".join(v.lower() for v in EVENT_KINDS.values()) + "."
    t = " ".join(str(topic or "").split())
    if len(t) < TOPIC_MIN:
        errors["topic"] = "Say what the event was about."
    elif len(t) > TOPIC_MAX:
        errors["topic"] = f"Keep the topic to {TOPIC_MAX} characters."
    if len(str(audience or "").strip()) > AUDIENCE_MAX:
        errors["audience"] = f"Keep the audience to {AUDIENCE_MAX} characters."
    return errors


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value != value  # NaN


def _count(value) -> int | None | str:
    """A whole number of people, None when blank, or why it is not one."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return "enter a whole number"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, Integral):
        return "enter a whole number"
    if value < 0:
        return "the number attended cannot be negative"
    if value > ATTENDED_MAX:
        return f"enter at most {ATTENDED_MAX}"
    return int(value)


def attendance(rows) -> tuple[list[tuple[int | None, str, int]], str | None]:
    """Attendance rows ({"agency_id", "role", "attended"} each; a wholly blank row, as a table
    editor leaves, is skipped) as (agency id or None, role, number), and what is wrong with them
    (one message naming each row by its number), or None. An agency may be left blank for people
    from an organisation Panel does not list; the role is always named; each agency and role once;
    at least one person attended."""
    out: list[tuple[int | None, str, int]] = []
    problems: list[str] = []
    seen: dict[tuple[int | None, str], int] = {}
    if not isinstance(rows, list | tuple) and rows is not None:
        return out, NOBODY
    for n, row in enumerate(list(rows or ()), start=1):
        if not isinstance(row, Mapping):
            problems.append(f"row {n}: enter the agency, the role and how many attended")
            continue
        agency, role, attended = row.get("agency_id"), row.get("role"), row.get("attended")
        if _blank(agency) and _blank(role) and _blank(attended):
            continue
        agency_id = None if _blank(agency) else agency
        if agency_id is not None and (isinstance(agency_id, bool) or not isinstance(agency_id, Integral)):
            problems.append(f"row {n}: choose the agency from the list")
            continue
        agency_id = None if agency_id is None else int(agency_id)
        who = "" if _blank(role) else " ".join(str(role).split())
        count = _count(attended)
        if not who:
            problems.append(f"row {n}: say who attended (their role, for example social workers)")
        elif len(who) > ROLE_MAX:
            problems.append(f"row {n}: keep the role to {ROLE_MAX} characters")
        if count is None:
            problems.append(f"row {n}: enter how many attended (0 or more)")
        elif isinstance(count, str):
            problems.append(f"row {n}: {count}")
        if not who or len(who) > ROLE_MAX or not isinstance(count, int):
            continue
        key = (agency_id, who.casefold())
        if key in seen:
            problems.append(f"row {n} repeats row {seen[key]}: enter each agency and role once")
            continue
        seen[key] = n
        out.append((agency_id, who, count))
    if len(out) > ROWS_MAX:
        problems.append(f"enter at most {ROWS_MAX} rows")
    if problems:
        return out, "Check the attendance: " + "; ".join(problems) + "."
    if not any(c > 0 for _, _, c in out):
        return out, NOBODY
    return out, None


def links(pairs) -> tuple[list[tuple[str, int]], str | None]:
    """What the event shared, as (entity, id) pairs without repeats, and what is wrong, or None.
    An event may share nothing Panel holds (a general training day): then it counts towards no
    theme's reach."""
    out: list[tuple[str, int]] = []
    if not isinstance(pairs, list | tuple) and pairs is not None:
        return out, "Choose what the event shared from the lists."
    for pair in list(pairs or ()):
        try:
            entity, entity_id = pair
        except (TypeError, ValueError):
            return out, "Choose what the event shared from the lists."
        if not isinstance(entity, str) or entity not in LINK_ENTITIES or isinstance(entity_id, bool) or not isinstance(entity_id, Integral):
            return out, "Choose what the event shared from the lists."
        entity_id = int(entity_id)
        if (entity, entity_id) not in out:
            out.append((entity, entity_id))
    if len(out) > LINKS_MAX:
        return out, f"Link at most {LINKS_MAX} records to one event."
    return out, None


def reached(rows: list[tuple[int | None, str, int]]) -> int:
    return sum(c for _, _, c in rows)
