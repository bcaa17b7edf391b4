"""Pure rules for panel meetings: quorum, conflicts and the agenda's order.

No database here: the services (`panel.meetings.service`, `.attendance`, `.items`)
load the facts and apply these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# The three statutory safeguarding partners (Children Act 2004 s.16E): the quorum by default.
STATUTORY_PARTNERS: tuple[tuple[str, str], ...] = (
    ("local_authority", "the local authority"),
    ("police", "the police"),
    ("health", "health (the integrated care board)"),
)
KINDS = ("referral", "rapid_review", "sign_off", "milestones", "actions", "other")
KIND_LABELS = {"referral": "Referral awaiting screening", "rapid_review": "Rapid review: LCSPR decision",
               "sign_off": "Report awaiting sign-off", "milestones": "Review milestones due",
               "actions": "Overdue actions", "other": "Other business"}
MEETING_STATUSES = {"planned": "Planned", "open": "Under way", "closed": "Closed"}
ITEM_STATUSES = {"pending": "Not yet taken", "decided": "Decided", "discussed": "Discussed",
                 "carried": "Carried to the next meeting"}
ATTENDANCE = {"invited": "Invited", "present": "Present", "apologies": "Apologies"}


@dataclass(frozen=True)
class Attendee:
    key: int  # the meeting member's id
    name: str
    agency_kind: str | None
    attendance: str


@dataclass
class Quorum:
    met: bool
    missing: list[str] = field(default_factory=list)  # partner labels with nobody present
    counted: list[str] = field(default_factory=list)  # names counted towards quorum

    def message(self) -> str:
        if self.met:
            return "Quorate: " + ", ".join(self.counted) + "."
        return "Not quorate: nobody present from " + " or ".join(self.missing) + "."


def quorum(attendees: Iterable[Attendee], excluded: Iterable[int] = (),
           required: tuple[tuple[str, str], ...] = STATUTORY_PARTNERS) -> Quorum:
    """Quorate when, among those present and not excluded (conflicted), each required agency kind
    has at least one person. Says which partners are missing."""
    out = set(excluded)
    present = [a for a in attendees if a.attendance == "present" and a.key not in out]
    kinds = {a.agency_kind for a in present}
    missing = [label for kind, label in required if kind not in kinds]
    counted = [a.name for a in present if a.agency_kind in {k for k, _ in required}]
    return Quorum(met=not missing, missing=missing, counted=counted)


def conflict_problem(present_for_decision: Iterable[int], conflicted: Iterable[int],
                     names: Mapping[int, str] | None = None) -> str | None:
    """A conflicted member may not be recorded as taking part in the item's decision."""
    clash = sorted(set(present_for_decision) & set(conflicted))
    if not clash:
        return None
    who = ", ".join((names or {}).get(k, f"#{k}") for k in clash)
    return f"{who} declared a conflict of interest on this item and cannot take part in its decision."


def agenda_order(items: Iterable[Mapping]) -> list[Mapping]:
    """Referrals by statutory clock (earliest due first), then rapid reviews, sign-offs,
    milestones and the overdue actions summary; 'other' business last. Items carry `kind`
    and `due` (a date or None)."""
    rank = {k: i for i, k in enumerate(KINDS)}

    def key(it: Mapping):
        due = it.get("due")
        return (rank.get(it["kind"], len(KINDS)), due is None, due.toordinal() if due else 0, it.get("reference") or "")

    return sorted(items, key=key)


def move(ids: list[int], item_id: int, step: int) -> list[int]:
    """The agenda's ids with one moved `step` places (clamped to the ends)."""
    out = list(ids)
    i = out.index(item_id)
    j = max(0, min(len(out) - 1, i + step))
    out.insert(j, out.pop(i))
    return out


# Items neither decided nor discussed when the meeting closes go on the next meeting's agenda.
CARRIES_OVER = ("pending", "carried")


def carries_over(status: str) -> bool:
    """Whether an agenda item in `status` carries to the next meeting when this one closes: one
    neither decided nor discussed (an item carried here and still not taken carries again)."""
    if status not in ITEM_STATUSES:
        raise ValueError(f"status: expected one of {', '.join(ITEM_STATUSES)}, got {status!r}")
    return status in CARRIES_OVER


def decision_refusal(kind: str, reference: str | None, status: str, quorum: Quorum,
                     voters: Iterable[int] | None = None, present: Iterable[int] = (),
                     conflicted: Iterable[int] = (), names: Mapping[int, str] | None = None) -> dict[str, str]:
    """Why the panel cannot record a decision on this agenda item now, as {field: message}; {}
    when it can. Only a referral item takes a screening decision, once; those taking part must
    be present and not conflicted; and the panel must be quorate once conflicted members are
    excluded (Children Act 2004 s.16E partners, docs/domain.md §6.3). The meeting service refuses
    on this answer and the meeting page asks it to show the decision form or say why not."""
    if kind != "referral" or not reference:
        return {"item": "Only a referral item takes a screening decision: record a summary instead."}
    if status == "decided":
        return {"item": "This item is already decided."}
    if voters is not None:
        voters = list(voters)
        if problem := conflict_problem(voters, conflicted, names):
            return {"conflicts": problem}
        if not set(voters) <= set(present):
            return {"present": "Only members recorded as present can take part in the decision."}
    if not quorum.met:
        return {"quorum": quorum.message() + " The panel cannot decide without quorum."}
    return {}
