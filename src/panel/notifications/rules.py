"""The incident notification as the DfE online notification service asks for it, built from what
Panel already holds, so the person notifying types nothing twice (docs/domain.md §4.5, "The
notification, ready to send"; the bodies and grounds of §4.3).

Plain Python: the service reads the records and hands them here; the page, the .txt and the Word
download all print what `sections` returns, so they say the same thing.

The national form is one notification per *incident*: up to four children in detail and any
others in free text (../shared/NATIONAL-FORMS.md, "The incident notification"). Panel holds one
referral per child and links referrals about the same incident as siblings (docs/domain.md §3),
so an incident is the referral with every referral reachable through sibling links.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from panel.core import clock
from panel.referrals.rules import (
    ABUSE_OR_NEGLECT,
    ETHNICITY,
    LOCATION,
    SEX,
    age_at,
    parse_reference,
)
from panel.screening.rules import BODY_NAMES, NOTIFY_WITHIN, ROUTE_NAMES

MAX_IN_DETAIL = 4  # children the national form takes in detail; the rest go in free text
SAME_INCIDENT = "sibling"  # the ReferralLink kind meaning "same incident" (same_child is a duplicate)
# How each body is told (docs/domain.md §2, §4.3): the National Panel, and since 2018 Ofsted and
# the Secretary of State, through the DfE's online service; the partners by the authority itself.
CHANNEL = {
    "national_panel": "the DfE online notification service (GOV.UK: Report a serious child safeguarding incident)",
    "ofsted": "the DfE online notification service, or as the partnership notifies Ofsted",
    "secretary_of_state": "the DfE online notification service (GOV.UK: Report a serious child safeguarding incident)",
    "safeguarding_partners": "the local authority's own notice to its safeguarding partners",
}
NATURE = {"died": "death", "serious_harm": "serious harm", "other": "other harm"}
NOT_HELD = "not recorded in Panel"


@dataclass(frozen=True)
class Child:
    """One child of the incident, as the referral records them (minimised: docs/domain.md §8)."""

    reference: str
    initials: str
    age: int | None  # whole years at the incident
    sex: str  # referrals.rules.SEX key
    ethnicity: str  # referrals.rules.ETHNICITY key
    harm: str
    abuse_or_neglect: str
    looked_after: bool = False
    child_protection_plan: bool = False
    known_to_csc: bool = False
    care_leaver: bool = False


@dataclass(frozen=True)
class Notifier:
    name: str
    email: str
    partnership: str
    local_authority: str | None


@dataclass(frozen=True)
class Incident:
    """The incident as the referral being notified from records it."""

    reference: str
    aware_on: date
    incident_date: date
    location: str
    abuse_or_neglect: str
    summary: str


@dataclass(frozen=True)
class Draft:
    body: str
    due: date
    notifier: Notifier
    incident: Incident
    in_detail: tuple[Child, ...]
    others: tuple[Child, ...]
    regime: str | None
    route: str | None
    grounds: tuple[str, ...]
    not_covered: tuple[str, ...]  # siblings the criteria do not call for notifying this body about
    missing: tuple[str, ...]

    @property
    def children(self) -> tuple[Child, ...]:
        return self.in_detail + self.others

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(c.reference for c in self.children)


def incident_group(start: int, links: Iterable[tuple[int, int, str]]) -> set[int]:
    """The referral `start` and every referral joined to it through same-incident links, however
    many steps away (A sibling of B, B of C: one incident). Links of other kinds are ignored."""
    joined: dict[int, set[int]] = {}
    for a, b, kind in links:
        if kind == SAME_INCIDENT:
            joined.setdefault(a, set()).add(b)
            joined.setdefault(b, set()).add(a)
    seen, todo = {start}, deque([start])
    while todo:
        for nxt in joined.get(todo.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def reference_key(reference: str) -> tuple:
    """Referral references in their real order: NB-2026-999 before NB-2026-1000."""
    try:
        return (0, *parse_reference(reference))
    except ValueError:
        return (1, reference)


def split(children: Iterable[Child]) -> tuple[tuple[Child, ...], tuple[Child, ...]]:
    """(in detail, in free text): ordered by reference, the first four in detail."""
    ordered = tuple(sorted(children, key=lambda c: reference_key(c.reference)))
    return ordered[:MAX_IN_DETAIL], ordered[MAX_IN_DETAIL:]


def age_of(age_years: int | None, dob: date | None, incident_date: date) -> int | None:
    """The age the form asks for: as recorded, or from the date of birth at the incident."""
    if age_years is not None:
        return age_years
    return age_at(dob, incident_date) if dob is not None else None


def grounds(result: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The criteria the screening engine found met (docs/domain.md §5.2), each as
    "RULE: CRITERION — NOTE", in the engine's order."""
    out = []
    for line in (result or {}).get("reasons", []):
        head, _, note = line.partition(" — ")
        if head.endswith(": met"):
            out.append(head.removesuffix(": met") + (f" — {note}" if note else ""))
    return tuple(out)


def missing(notifier: Notifier, in_detail: Sequence[Child]) -> tuple[str, ...]:
    """What the national form asks for that the record lacks, so the notifier knows to find it
    before starting (../shared/NATIONAL-FORMS.md: phone and e-mail; each child's name, age,
    health and where they live; the incident's place, date and time; supporting documents)."""
    out = ["Your phone number (Panel does not hold it)."]
    if not notifier.email.strip():
        out.append("Your e-mail address (your Panel account has none).")
    if not (notifier.local_authority or "").strip():
        out.append(f"The local authority area ({notifier.partnership} has none set in Panel).")
    for n, c in enumerate(in_detail, 1):
        lacks = ["name (Panel keeps initials only)"]
        if c.age is None:
            lacks.append("age")
        if c.sex == "unknown":
            lacks.append("sex")
        if c.ethnicity == "not_recorded":
            lacks.append("ethnicity")
        lacks += ["disability and health needs", "where they live" + (" (placement type)" if c.looked_after else "")]
        out.append(f"Child {n} ({c.reference}): {', '.join(lacks)}.")
    out += ["The time of the incident, if known (Panel records the date only).",
            "The exact place of the incident (Panel records only whose area it was in).",
            "Supporting documents to attach, if any."]
    return tuple(out)


def draft(body: str, due: date, notifier: Notifier, incident: Incident, children: Iterable[Child],
          result: Mapping[str, Any] | None, not_covered: Iterable[str] = ()) -> Draft:
    """One body's notification of one incident."""
    in_detail, others = split(children)
    return Draft(body=body, due=due, notifier=notifier, incident=incident, in_detail=in_detail, others=others,
                 regime=(result or {}).get("regime"), route=(result or {}).get("route"), grounds=grounds(result),
                 not_covered=tuple(sorted(not_covered, key=reference_key)), missing=missing(notifier, in_detail))


def _day(d: date) -> str:
    return clock.day(d)


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _age(age: int | None) -> str:
    if age is None:
        return NOT_HELD
    return "under 1" if age < 1 else str(age)


def _harm(c: Child) -> str:
    if c.care_leaver:
        return "death of a care leaver"
    return NATURE.get(c.harm, c.harm)


def child_lines(c: Child) -> list[str]:
    lines = [
        f"Initials (as recorded): {c.initials}",
        f"Age at the incident: {_age(c.age)}",
        f"Sex: {SEX.get(c.sex, c.sex)}",
        f"Ethnicity: {ETHNICITY.get(c.ethnicity, c.ethnicity)}",
        f"Nature of the incident for this child: {_harm(c)}; abuse or neglect "
        f"{ABUSE_OR_NEGLECT.get(c.abuse_or_neglect, c.abuse_or_neglect).lower()}",
        f"Looked after: {_yes(c.looked_after)}",
    ]
    if c.care_leaver:
        lines.append("Care leaver (aged 18 to 24): Yes")
    lines += [
        f"On a child protection plan: {_yes(c.child_protection_plan)}",
        f"Known to children's social care: {_yes(c.known_to_csc)}",
        f"Disability: {NOT_HELD}",
        f"Where they live / placement type: {NOT_HELD}",
    ]
    return lines


def others_line(others: Sequence[Child]) -> str:
    """The children beyond four, in one line of free text for the form's "other children"."""
    return "; ".join(f"{c.initials}, age {_age(c.age)}, {SEX.get(c.sex, c.sex).lower()}, {_harm(c)} ({c.reference})"
                     for c in others)


def nature(children: Sequence[Child]) -> str:
    counts: dict[str, int] = {}
    for c in children:
        counts[_harm(c)] = counts.get(_harm(c), 0) + 1
    order = ("death", "death of a care leaver", "serious harm", "other harm")
    return "; ".join(f"{k} ({n} child{'ren' if n != 1 else ''})"
                     for k, n in sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 9))


def sections(d: Draft) -> list[tuple[str, list[str]]]:
    """The notification as (heading, lines), in the order the form asks for it."""
    total = len(d.children)
    head = [
        f"To: {BODY_NAMES.get(d.body, d.body)}",
        f"Send through: {CHANNEL.get(d.body, 'as the partnership notifies them')}",
        f"Due by: {_day(d.due)} ({NOTIFY_WITHIN} working days after the local authority became aware, "
        f"{_day(d.incident.aware_on)})",
        f"One notification for the incident, covering {total} child{'ren' if total != 1 else ''}: "
        + ", ".join(d.references),
    ]
    if d.not_covered:
        head.append("Linked as siblings but not covered (the criteria do not call for notifying this body "
                    "about them): " + ", ".join(d.not_covered))
    out = [("Notification", head),
           ("The notifier", [f"Name: {d.notifier.name}", f"E-mail: {d.notifier.email or NOT_HELD}",
                             f"Partnership: {d.notifier.partnership}",
                             f"Local authority: {d.notifier.local_authority or NOT_HELD}"])]
    for n, c in enumerate(d.in_detail, 1):
        out.append((f"Child {n} of {total} ({c.reference})", child_lines(c)))
    if d.others:
        out.append((f"Other children ({len(d.others)}, for the form's free text)", [others_line(d.others)]))
    i = d.incident
    out.append(("The incident", [
        f"Date: {_day(i.incident_date)} (time {NOT_HELD})",
        f"Place: {LOCATION.get(i.location, i.location)}",
        f"Nature: {nature(d.children)}",
        f"Abuse or neglect: {ABUSE_OR_NEGLECT.get(i.abuse_or_neglect, i.abuse_or_neglect)}",
        f"The local authority became aware: {_day(i.aware_on)}",
        f"What happened (the summary on {i.reference}): {i.summary}",
    ]))
    out.append(("The grounds", [
        f"Rules applied: {d.regime or NOT_HELD}",
        f"Route: {ROUTE_NAMES.get(d.route, d.route) if d.route else NOT_HELD}",
        *(f"Met: {g}" for g in d.grounds),
    ]))
    out.append(("Still to find before sending", list(d.missing)))
    return out


def as_text(d: Draft) -> str:
    """The notification as plain text, to copy from the page or download as .txt."""
    blocks = []
    for heading, lines in sections(d):
        blocks.append("\n".join([heading.upper() if heading == "Notification" else heading,
                                 *(f"  {line}" for line in lines)]))
    return "\n\n".join(blocks) + "\n"
