"""The one place agencies are listed and changed.

Agencies are shared by every partnership of an installation, so listing them is open to every
signed-in user (names are not case data) and changing them needs `agency.manage` (an
administrator). Forms offer the active agencies; records made before an agency was retired or
merged still show its name, so listings for display include retired ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from panel.agencies import rules
from panel.core import audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, ValidationFailed
from panel.models import (
    Action,
    Agency,
    AgencyRequest,
    FindingAgency,
    LearningEvent,
    LearningEventAttendance,
    MeetingMember,
    RecommendationAgency,
    Referral,
    ReferralAgency,
    Review,
    SourceAgency,
    User,
)

PERMISSION = "agency.manage"


def _require(actor: Actor) -> None:
    if not actor.can(PERMISSION):
        raise PermissionDenied("Only an administrator can change the list of agencies.")


# ---------------------------------------------------------------- reading

def list_agencies(actor: Actor, include_retired: bool = False) -> list[Agency]:
    """Agencies by name: the active ones (what forms offer), or every one (for display)."""
    del actor  # any signed-in user: agency names are not case data
    with read_session() as s:
        stmt = select(Agency).order_by(Agency.name)
        if not include_retired:
            stmt = stmt.where(Agency.active == True)  # noqa: E712
        return list(s.exec(stmt))


def names(actor: Actor, include_retired: bool = True) -> dict[int, str]:
    """id -> name; by default every agency, since old records may name a retired one."""
    return {a.id: a.name for a in list_agencies(actor, include_retired)}


def active_ids(session: Session) -> set[int]:
    """The agencies a new record may name (the services check forms against these)."""
    return set(session.exec(select(Agency.id).where(Agency.active == True)).all())  # noqa: E712


def _by_name(s: Session, name: str) -> Agency | None:
    key = rules.name_key(name)
    for a in s.exec(select(Agency).where(func.lower(Agency.name) == rules.clean_name(name).lower())):
        return a
    # SQL lower() and casefold() differ outside ASCII: compare the few near misses in Python.
    for a in s.exec(select(Agency).where(func.length(Agency.name) == len(rules.clean_name(name)))):
        if rules.name_key(a.name) == key:
            return a
    return None


def _clash(name: str, other: Agency) -> ValidationFailed:
    state = "" if other.active else " (retired: bring it back instead)"
    return ValidationFailed({"name": f"There is already an agency called {other.name!r}{state}."})


# ---------------------------------------------------------------- changing

def _add(s: Session, actor: Actor, name: str, kind: str, statutory: bool, detail: str | None = None) -> Agency:
    name = rules.clean_name(name)
    errors = rules.agency_problems(name, kind, statutory)
    if "name" not in errors and (other := _by_name(s, name)) is not None:
        errors.update(_clash(name, other).errors)
    if errors:
        raise ValidationFailed(errors)
    agency = Agency(name=name, kind=kind, statutory=statutory)
    s.add(agency)
    s.flush()
    audit.record(s, actor, "create", "agency", agency.id,
                 after={"name": name, "kind": kind, "statutory": statutory}, detail=detail)
    return agency


def add_agency(actor: Actor, name: str, kind: str, statutory: bool = False) -> int:
    """Add an agency; its name must differ from every other (case aside). Returns its id."""
    _require(actor)
    with transaction() as s:
        return _add(s, actor, name, kind, statutory).id


def create_named(session: Session, actor: Actor, names_: list[str], detail: str) -> dict[str, int]:
    """Inside a caller's transaction (the tracker import): add agencies of kind "other" for the
    names given that no agency has yet; casefolded name -> id of the ones added."""
    _require(actor)
    out: dict[str, int] = {}
    for name in names_:
        key = rules.name_key(name)
        if key in out or _by_name(session, name) is not None:
            continue
        out[key] = _add(session, actor, name, "other", False, detail=detail).id
    return out


def update_agency(actor: Actor, agency_id: int, *, name: str, kind: str, statutory: bool) -> None:
    """Rename an agency or change its kind; every record naming it follows."""
    _require(actor)
    name = rules.clean_name(name)
    errors = rules.agency_problems(name, kind, statutory)
    with transaction() as s:
        agency = s.get(Agency, agency_id)
        if agency is None:
            raise NotFound("No such agency.")
        other = _by_name(s, name) if "name" not in errors else None
        if other is not None and other.id != agency.id:
            errors.update(_clash(name, other).errors)
        if errors:
            raise ValidationFailed(errors)
        before = {"name": agency.name, "kind": agency.kind, "statutory": agency.statutory}
        agency.name, agency.kind, agency.statutory = name, kind, statutory
        s.add(agency)
        audit.record(s, actor, "update", "agency", agency.id, before=before,
                     after={"name": name, "kind": kind, "statutory": statutory})


def set_active(actor: Actor, agency_id: int, active: bool) -> None:
    """Retire an agency (kept for the records that name it; forms stop offering it) or bring
    it back."""
    _require(actor)
    with transaction() as s:
        agency = s.get(Agency, agency_id)
        if agency is None:
            raise NotFound("No such agency.")
        if agency.active == active:
            return
        agency.active = active
        s.add(agency)
        audit.record(s, actor, "retire" if not active else "restore", "agency", agency.id,
                     before={"active": not active}, after={"active": active})


@dataclass(frozen=True)
class MergeResult:
    moved: dict[str, int]  # what now names the agency kept, by kind of record


def merge_problems(s: Session, source_id: int, target_id: int) -> list[str]:
    """Links a merge would lose: records naming both agencies in one place that can hold one."""
    both = lambda model, key: select(getattr(model, key)).where(model.agency_id == source_id).intersect(  # noqa: E731
        select(getattr(model, key)).where(model.agency_id == target_id))
    out = []
    rids = [r[0] for r in s.execute(both(ReferralAgency, "referral_id"))]
    if rids:
        refs = sorted(s.exec(select(Referral.reference).where(Referral.id.in_(rids))).all())
        out.append("referrals naming both as involved: " + ", ".join(refs))
    recs = [r[0] for r in s.execute(both(RecommendationAgency, "recommendation_id"))]
    if recs:
        out.append("recommendations naming both: " + ", ".join(f"#{r}" for r in sorted(recs)))
    srcs = [r[0] for r in s.execute(both(SourceAgency, "source_id"))]
    if srcs:
        out.append("learning sources naming both: " + ", ".join(f"#{i}" for i in sorted(srcs)))
    have = set(s.exec(select(AgencyRequest.review_id, AgencyRequest.kind).where(AgencyRequest.agency_id == target_id)))
    mine = s.exec(select(AgencyRequest.review_id, AgencyRequest.kind).where(AgencyRequest.agency_id == source_id)).all()
    clash = {(rv, k) for rv, k in mine if (rv, k) in have}
    if clash:
        ref_of = dict(s.exec(select(Review.id, Review.reference).where(Review.id.in_([rv for rv, _ in clash]))).all())
        out.append("reviews asking both for the same report: "
                   + ", ".join(sorted(f"{ref_of[rv]} ({k.replace('_', ' ')})" for rv, k in clash)))
    return out


def _fold_duplicates(s: Session, source_id: int, target_id: int) -> dict[str, int]:
    """Rows that would name the kept agency twice, folded into its own before the move: a finding
    naming both keeps one row (which agencies it concerns is a set, not an accepted text); an
    event's attendance from both in one role becomes one row with the two numbers added, and the
    event's version moves on so a correction opened before the merge is refused (docs/domain.md §7.1)."""
    folded: dict[str, int] = {}
    both = select(FindingAgency.finding_id).where(FindingAgency.agency_id == target_id)
    n = s.execute(delete(FindingAgency).where(FindingAgency.agency_id == source_id,
                                              FindingAgency.finding_id.in_(both))).rowcount
    if n:
        folded["findings"] = n
    mine = s.exec(select(LearningEventAttendance).where(LearningEventAttendance.agency_id == source_id)).all()
    events = {a.event_id for a in mine}
    kept = {(a.event_id, a.role.strip().casefold()): a for a in s.exec(select(LearningEventAttendance).where(
        LearningEventAttendance.agency_id == target_id, LearningEventAttendance.event_id.in_(events or {0})))}
    for a in mine:
        if (other := kept.get((a.event_id, a.role.strip().casefold()))) is not None:
            other.attended += a.attended
            s.add(other)
            s.delete(a)
            folded["learning event attendance"] = folded.get("learning event attendance", 0) + 1
    if events:
        s.execute(update(LearningEvent).where(LearningEvent.id.in_(events))
                  .values(version=LearningEvent.version + 1))
    s.flush()
    return folded


def merge_agencies(actor: Actor, source_id: int | None, target_id: int | None) -> MergeResult:
    """Move every record naming `source` to `target`, then retire `source` (kept, so the audit
    trail's names still read). Refused, naming the records, while it would lose a link."""
    _require(actor)
    missing = {k: "Choose an agency." for k, v in (("source", source_id), ("target", target_id)) if v is None}
    if missing:
        raise ValidationFailed(missing)
    if source_id == target_id:
        raise ValidationFailed({"target": "Choose a different agency to merge into."})
    with transaction() as s:
        source, target = s.get(Agency, source_id), s.get(Agency, target_id)
        if source is None or target is None:
            raise NotFound("No such agency.")
        if problems := merge_problems(s, source_id, target_id):
            raise ValidationFailed({"target": "Merging would lose links; change these records first: "
                                    + "; ".join(problems) + "."})
        moved = _fold_duplicates(s, source_id, target_id)
        for label, model, column in (
            ("referrals (referring agency)", Referral, Referral.referrer_agency_id),
            ("referrals (agency involved)", ReferralAgency, ReferralAgency.agency_id),
            ("users", User, User.agency_id),
            ("agency requests", AgencyRequest, AgencyRequest.agency_id),
            ("recommendations", RecommendationAgency, RecommendationAgency.agency_id),
            ("learning sources", SourceAgency, SourceAgency.agency_id),
            ("actions", Action, Action.owner_agency_id),
            ("meeting members", MeetingMember, MeetingMember.agency_id),
            ("findings", FindingAgency, FindingAgency.agency_id),
            ("learning event attendance", LearningEventAttendance, LearningEventAttendance.agency_id),
        ):
            n = s.execute(update(model).where(column == source_id).values({column.key: target_id})).rowcount
            if n:
                moved[label] = moved.get(label, 0) + n
        source.active = False
        s.add(source)
        audit.record(s, actor, "merge", "agency", source.id, before={"name": source.name},
                     after={"merged_into": target.name, "merged_into_id": target.id, "moved": moved})
        return MergeResult(moved)


@dataclass(frozen=True)
class ListImport:
    added: int
    problems: list[str]


def import_agencies(actor: Actor, data: bytes, file_name: str, dry_run: bool = False) -> ListImport:
    """Add the agencies of a CSV or Excel list (name, kind, statutory). All or nothing: any
    problem (a bad row, a name already taken) and nothing is added."""
    _require(actor)
    parsed = rules.read_agency_list(data, file_name)
    if parsed.problems:
        return ListImport(0, parsed.problems)
    with transaction() as s:
        problems = [f"row {r['row']}, name: {_clash(r['name'], other).errors['name']}"
                    for r in parsed.rows if (other := _by_name(s, r["name"])) is not None]
        if problems or dry_run:
            return ListImport(0, problems)
        for r in parsed.rows:
            _add(s, actor, r["name"], r["kind"], r["statutory"], detail=f"list {file_name[:100]}")
        return ListImport(len(parsed.rows), [])
