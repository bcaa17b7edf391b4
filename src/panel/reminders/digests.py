"""Reminder digests: who is owed which overdue or due-soon item, as plain text.

Pure functions over plain values: no database, no Streamlit, no SMTP. The service
(`panel.reminders.service`) gathers the items and sends the digests this module builds.

E-mail leaves the system (docs/domain.md §8), so an item carries only what a digest may show: a case
or review reference, what is due (a milestone name, an agency's return, the statutory
notification), the due date and the partnership's code. There is no field for a child's
initials, a name or incident text, so a digest cannot leak them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from panel.core import clock
from panel.core.clock import working_days_between
from panel.reviews.lifecycle import milestone_status

DUE_SOON_WORKING_DAYS = 5  # "due soon" = due within this many working days (today included)

# What an item is about; the service fills these in, the digest only shows `what`.
KINDS = ("milestone", "agency_request", "notification", "action", "follow_up")

_ADDRESS_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def normalise_address(raw: str | None) -> str | None:
    """One e-mail address, trimmed and lower-cased, or None if it is blank or not an address.

    Lower-casing makes "Mel@Example.org" and "mel@example.org" one recipient with one digest.
    Anything with spaces, line breaks, commas or angle brackets is refused, so an address
    typed into a review can never add recipients or headers to a message.
    """
    if raw is None:
        return None
    text = str(raw).strip().lower()
    return text if _ADDRESS_RE.match(text) else None


@dataclass(frozen=True, order=True)
class ReminderItem:
    """One thing that is due. Equal items sent to one recipient appear once in their digest."""

    due_on: date
    reference: str  # review reference (NB-2025-014-R1) or referral reference (NB-2025-014)
    what: str  # e.g. "Draft report", "Chronology from Police", "Serious incident notification"
    partnership: str  # the partnership's code, e.g. "NB"
    kind: str = "milestone"


@dataclass(frozen=True)
class DigestLine:
    item: ReminderItem
    status: str  # "overdue" or "due_soon"
    working_days: int  # late (overdue) or left (due soon); 0 = due today / due since a non-working day


@dataclass(frozen=True)
class Digest:
    recipient: str
    as_of: date
    overdue: tuple[DigestLine, ...]
    due_soon: tuple[DigestLine, ...]

    @property
    def lines(self) -> tuple[DigestLine, ...]:
        return self.overdue + self.due_soon

    @property
    def items(self) -> int:
        return len(self.overdue) + len(self.due_soon)

    @property
    def partnerships(self) -> tuple[str, ...]:
        return tuple(sorted({line.item.partnership for line in self.lines}))

    @property
    def subject(self) -> str:
        return subject(self)

    @property
    def body(self) -> str:
        return render(self)


def classify(due_on: date, as_of: date) -> tuple[str, int] | None:
    """("overdue", working days late), ("due_soon", working days left) or None.

    Overdue: the due date has passed; due soon: due within 5 working days, today included.

    The caller passes only items not yet done. The rule is lifecycle.milestone_status's, so a
    digest and the tracker page never disagree about what is overdue.
    """
    status = milestone_status(due_on, None, as_of, amber_within=DUE_SOON_WORKING_DAYS)
    if status == "overdue":
        return "overdue", working_days_between(due_on, as_of)
    if status == "due_soon":
        return "due_soon", working_days_between(as_of, due_on)
    return None


def build_digests(assignments: Iterable[tuple[str | None, ReminderItem]], as_of: date) -> list[Digest]:
    """One digest per recipient from (address, item) pairs, sorted by recipient.

    Pairs whose address is blank or not an address are dropped; items neither overdue nor due
    soon are dropped; an item given twice to one recipient appears once. Within a digest,
    overdue items come first (the longest overdue first), then items due soon (the soonest
    first); ties go by reference and then by what is due. Recipients left with no items get
    no digest.
    """
    by_recipient: dict[str, set[ReminderItem]] = {}
    for raw, item in assignments:
        address = normalise_address(raw)
        if address is not None:
            by_recipient.setdefault(address, set()).add(item)
    digests = []
    for address in sorted(by_recipient):
        overdue: list[DigestLine] = []
        soon: list[DigestLine] = []
        for item in by_recipient[address]:
            c = classify(item.due_on, as_of)
            if c is None:
                continue
            status, days = c
            (overdue if status == "overdue" else soon).append(DigestLine(item, status, days))
        if not overdue and not soon:
            continue
        key = lambda line: (line.item.due_on, line.item.reference, line.item.what, line.item.kind)  # noqa: E731
        digests.append(Digest(address, as_of, tuple(sorted(overdue, key=key)), tuple(sorted(soon, key=key))))
    return digests


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _day(d: date) -> str:
    return clock.day(d)


def counts_text(digest: Digest) -> str:
    """'3 overdue, 2 due within 5 working days' (either part left out when it is nought)."""
    parts = []
    if digest.overdue:
        parts.append(f"{len(digest.overdue)} overdue")
    if digest.due_soon:
        parts.append(f"{len(digest.due_soon)} due within {DUE_SOON_WORKING_DAYS} working days")
    return ", ".join(parts) or "nothing due"


def subject(digest: Digest) -> str:
    return f"Panel: {counts_text(digest)}"


def _when(line: DigestLine) -> str:
    n = line.working_days
    if line.status == "overdue":
        return f"{_plural(n, 'working day')} late" if n else "overdue since a non-working day"
    return f"{_plural(n, 'working day')} left" if n else "due today"


def _section(title: str, lines: tuple[DigestLine, ...]) -> list[str]:
    if not lines:
        return []
    width = max(len(line.item.reference) for line in lines)
    out = [title, "-" * len(title)]
    for line in lines:
        i = line.item
        out.append(f"{i.reference:<{width}}  {i.what} - due {_day(i.due_on)} - {_when(line)}")
    return [*out, ""]


def render(digest: Digest) -> str:
    """The digest as plain text: references and what is due only, never case details."""
    lines = [
        f"Panel reminders as of {_day(digest.as_of)}",
        f"{counts_text(digest)}.",
        "",
        *_section("Overdue", digest.overdue),
        *_section(f"Due within {DUE_SOON_WORKING_DAYS} working days", digest.due_soon),
        "Open Panel to see each case and record what has been done; items you have",
        "recorded as done are not sent again. This e-mail gives references only:",
        "case details stay in Panel.",
    ]
    return "\n".join(lines) + "\n"
