"""The briefing library: 7-minute briefings kept as versions, approved only when the anonymisation
check finds nothing, and published to every partner user of the partnership (docs/domain.md §7.3, §8).

A save adds a version and no version is ever edited, so what was checked, approved and published
is exactly what readers download. A version's JSON holds its seven sections and its title (under
"title"): a later draft cannot rename what is already published. Saves, approvals, publications,
withdrawals and every download leave an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, literal, or_, union_all, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.anonymise import Identifiers
from panel.core.db import escape_like, read_session, transaction, utcnow
from panel.core.errors import PermissionDenied, StaleEdit, ValidationFailed
from panel.learning import briefing as doc
from panel.learning import briefings
from panel.learning.explore import SOURCE_KINDS, LearningFilter
from panel.learning.library_rules import (
    STATUSES,
    check,
    clean,
    decode,
    encode,
    matches,
    normal,
    refusal,
)
from panel.models import (
    Briefing,
    BriefingVersion,
    Finding,
    LearningSource,
    Partnership,
    Recommendation,
    Review,
    Theme,
    ThemeTag,
    User,
)
from panel.themes.rules import search_terms

NOT_FOUND = "No briefing with that number is open to you."
SOURCE_NOT_FOUND = "No learning source with that number is open to you."
APPROVERS = "Only the panel chair or the business manager approves, publishes or withdraws a briefing."


@dataclass
class Version:
    id: int
    version_no: int
    status: str
    title: str
    sections: dict[str, str]
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    published_at: datetime | None


@dataclass
class History:
    """A review's (or source's) briefing as the library keeps it; versions newest first."""

    briefing_id: int | None
    partnership_id: int
    versions: list[Version]

    @property
    def latest(self) -> Version | None:
        return self.versions[0] if self.versions else None

    @property
    def published(self) -> Version | None:
        return next((v for v in self.versions if v.status == "published"), None)


@dataclass
class Entry:
    """One briefing in the library: the version a download gives (the published one, or for those
    who edit and asked for them, the newest when none is published)."""

    briefing_id: int
    version_id: int
    version_no: int
    status: str
    title: str
    partnership: str
    review_reference: str | None  # only for those who may read the review's learning
    source_title: str | None
    published_at: datetime | None
    saved_at: datetime
    newer: str | None = None  # for editors: "Draft, version 3" when a newer version waits


def _int(value) -> int | None:
    """A record number, or None for anything that cannot be one (a row id is 1 to 2**63-1)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


# -- the record a briefing belongs to ----------------------------------------------------------

def _owner(s: Session, actor: Actor, review_reference: str | None, source_id: int | None,
           lock: bool = False) -> tuple[int, int | None, int | None]:
    """(partnership, review id, source id) of the review or source, locked for a save so two
    first saves make one briefing. Another partnership's record is not found, and audited."""
    if review_reference:
        stmt = select(Review).where(Review.reference == review_reference.strip().upper())
        rv = s.exec(stmt.with_for_update() if lock else stmt).first()
        if rv is not None and actor.can("learning.read", rv.partnership_id):
            return rv.partnership_id, rv.id, None
        raise audit.not_found(actor, "review", review_reference, briefings.NOT_FOUND, what="briefing for")
    sid = _int(source_id)
    stmt = select(LearningSource).where(LearningSource.id == sid)
    src = s.exec(stmt.with_for_update() if lock else stmt).first() if sid else None
    if src is not None and actor.can("learning.read", src.partnership_id):
        return src.partnership_id, None, src.id
    raise audit.not_found(actor, "learning_source", source_id, SOURCE_NOT_FOUND, what="briefing for")


def _briefing_of(s: Session, review_id: int | None, source_id: int | None) -> Briefing | None:
    cond = Briefing.review_id == review_id if review_id else Briefing.source_id == source_id
    return s.exec(select(Briefing).where(cond).order_by(Briefing.id)).first()


def _identifiers(s: Session, b: Briefing) -> Identifiers:
    """The review's child's identifiers; a learning source records no child, so none."""
    return briefings.case_identifiers(s, s.get(Review, b.review_id)) if b.review_id else Identifiers()


def _names(s: Session, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i}
    return dict(s.exec(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


def _versions(s: Session, briefing_id: int) -> list[Version]:
    rows = list(s.exec(select(BriefingVersion).where(BriefingVersion.briefing_id == briefing_id)
                       .order_by(BriefingVersion.version_no.desc())))
    who = _names(s, {r.created_by_id for r in rows} | {r.approved_by_id for r in rows})
    out = []
    for r in rows:
        title, sections = decode(r.sections)
        out.append(Version(id=r.id, version_no=r.version_no, status=r.status, title=title,
                           sections=sections, created_by=who.get(r.created_by_id, "-"),
                           created_at=r.created_at, approved_by=who.get(r.approved_by_id),
                           approved_at=r.approved_at, published_at=r.published_at))
    return out


def history(actor: Actor, review_reference: str | None = None, source_id: int | None = None) -> History:
    """Every version of the review's (or source's) briefing, for those who edit learning there."""
    with read_session() as s:
        pid, review_id, sid = _owner(s, actor, review_reference, source_id)
        if not actor.can("learning.edit", pid):
            raise PermissionDenied("You do not have permission to do that.")
        b = _briefing_of(s, review_id, sid)
        return History(b.id if b else None, pid, _versions(s, b.id) if b else [])


# -- writing -----------------------------------------------------------------------------------

def unchanged(version: Version | None, title: str, sections: dict[str, str]) -> bool:
    """Whether saving this text would add nothing to `version` (the newest): the page's "not saved" note."""
    return version is not None and normal(title, sections) == (version.title, version.sections)


def save_draft(actor: Actor, review_reference: str | None, title: str, sections: dict[str, str],
               expected_version_no: int, source_id: int | None = None) -> int:
    """Save the text as a new draft version of the review's (or source's) briefing, creating the
    briefing on its first save. `expected_version_no` is the newest version the editor started
    from (0 for none): if someone saved since, StaleEdit. The text unchanged from the newest
    version saves nothing. Returns the newest version's number."""
    title, text = clean(title, sections)
    with transaction() as s:
        pid, review_id, sid = _owner(s, actor, review_reference, source_id, lock=True)
        if not actor.can("learning.edit", pid):
            raise PermissionDenied("You do not have permission to do that.")
        b = _briefing_of(s, review_id, sid)
        last = s.exec(select(BriefingVersion).where(BriefingVersion.briefing_id == b.id)
                      .order_by(BriefingVersion.version_no.desc())).first() if b else None
        last_no = last.version_no if last else 0
        if last_no != (_int(expected_version_no) or 0):
            raise StaleEdit("briefing")
        if last is not None and decode(last.sections) == (title, text):
            return last_no
        if b is None:
            b = Briefing(partnership_id=pid, review_id=review_id, source_id=sid, title=title)
            s.add(b)
            s.flush()
        v = BriefingVersion(briefing_id=b.id, version_no=last_no + 1, status="draft",
                            sections=encode(title, text), created_by_id=actor.user_id)
        s.add(v)
        s.flush()
        audit.record(s, actor, "briefing_save", "briefing", b.id, pid,
                     after={"version_no": v.version_no, "status": "draft", "title": title})
        return v.version_no


def _load(s: Session, actor: Actor, version_id) -> tuple[BriefingVersion, Briefing]:
    """The version, if the actor may see it: a published one by every partner user of its
    partnership, any other by those who edit learning there; else not found (audited)."""
    vid = _int(version_id)
    v = s.get(BriefingVersion, vid) if vid else None
    b = s.get(Briefing, v.briefing_id) if v is not None else None
    if b is not None and (actor.can("learning.edit", b.partnership_id)
                          or (v.status == "published" and actor.can("briefing.read", b.partnership_id))):
        return v, b
    raise audit.not_found(actor, "briefing", version_id, NOT_FOUND, what="version")


def _for_change(s: Session, actor: Actor, version_id) -> tuple[BriefingVersion, Briefing]:
    """The version and its briefing, the briefing's row locked so changes to one briefing queue."""
    v, b = _load(s, actor, version_id)
    if not actor.can("briefing.approve", b.partnership_id):
        raise PermissionDenied(APPROVERS)
    s.exec(select(Briefing).where(Briefing.id == b.id).with_for_update()).one()
    s.refresh(v)
    return v, b


def _set(s: Session, v: BriefingVersion, was: str, **values) -> None:
    done = s.execute(update(BriefingVersion).where(BriefingVersion.id == v.id, BriefingVersion.status == was)
                     .values(**values))
    if done.rowcount != 1:
        raise StaleEdit("briefing")


def approve(actor: Actor, version_id: int) -> None:
    """Approve the newest version, a draft, when the anonymisation check on its title and sections
    finds nothing; otherwise refused, each hit named by section and position. Chair or manager."""
    with transaction() as s:
        v, b = _for_change(s, actor, version_id)
        if v.status != "draft":
            raise ValidationFailed({"version": f"Version {v.version_no} is {v.status}: only a draft is approved."})
        newest = s.exec(select(func.max(BriefingVersion.version_no)).where(BriefingVersion.briefing_id == b.id)).one()
        if v.version_no != newest:
            raise ValidationFailed({"version": f"Version {newest} was saved after this one: approve that one."})
        if hits := check(*decode(v.sections), _identifiers(s, b)):
            raise refusal(hits, "approved")
        _set(s, v, "draft", status="approved", approved_by_id=actor.user_id, approved_at=utcnow())
        audit.record(s, actor, "briefing_approve", "briefing", b.id, b.partnership_id,
                     before={"version_no": v.version_no, "status": "draft"},
                     after={"version_no": v.version_no, "status": "approved"})


def publish(actor: Actor, version_id: int) -> None:
    """Publish an approved version: the library shows it to every partner user of the partnership,
    and the version published before it is withdrawn. The check runs again, as what is recorded
    on the case may have grown since approval. Chair or manager."""
    with transaction() as s:
        v, b = _for_change(s, actor, version_id)
        if v.status != "approved":
            raise ValidationFailed({"version": f"Version {v.version_no} is {v.status}: only an approved version "
                                               "is published."})
        current = s.exec(select(BriefingVersion).where(BriefingVersion.briefing_id == b.id,
                                                       BriefingVersion.status == "published")).all()
        if any(c.version_no > v.version_no for c in current):
            raise ValidationFailed({"version": "A newer version is already published."})
        title, _ = decode(v.sections)
        if hits := check(*decode(v.sections), _identifiers(s, b)):
            raise refusal(hits, "published")
        for c in current:
            _set(s, c, "published", status="withdrawn")
        _set(s, v, "approved", status="published", published_at=utcnow())
        s.execute(update(Briefing).where(Briefing.id == b.id).values(title=title or b.title))
        audit.record(s, actor, "briefing_publish", "briefing", b.id, b.partnership_id,
                     before={"published_version": max((c.version_no for c in current), default=None)},
                     after={"published_version": v.version_no})


def withdraw(actor: Actor, version_id: int) -> None:
    """Take a published version out of the library (it stays in the history as withdrawn), for
    when it should not be read any more, such as text found to identify the child. Chair or manager."""
    with transaction() as s:
        v, b = _for_change(s, actor, version_id)
        if v.status != "published":
            raise ValidationFailed({"version": f"Version {v.version_no} is {v.status}: only the published "
                                               "version is withdrawn."})
        _set(s, v, "published", status="withdrawn")
        audit.record(s, actor, "briefing_withdraw", "briefing", b.id, b.partnership_id,
                     before={"version_no": v.version_no, "status": "published"},
                     after={"version_no": v.version_no, "status": "withdrawn"})


# -- reading -----------------------------------------------------------------------------------

def download(actor: Actor, version_id: int) -> bytes:
    """The version as a Word document; the download is audited with who and which version."""
    with read_session() as s:
        v, b = _load(s, actor, version_id)
        pname = s.get(Partnership, b.partnership_id).name
    title, sections = decode(v.sections)
    out = doc.build_docx(title or b.title, sections, subtitle=pname,
                         created=v.published_at or v.created_at)
    with transaction() as s:
        audit.record(s, actor, "export", "briefing", b.id, b.partnership_id,
                     after={"version_id": v.id, "version_no": v.version_no, "status": v.status},
                     detail=f"7-minute briefing, version {v.version_no} ({v.status}), docx")
    return out


def file_name(entry: Entry) -> str:
    return f"7-minute-briefing-{entry.briefing_id}-v{entry.version_no}.docx"


def list_library(actor: Actor, query: str = "", partnership_ids: list[int] | None = None,
                 include_unpublished: bool = False, briefing_id: int | None = None, limit: int = 200) -> list[Entry]:
    """Published briefings of the actor's partnerships, newest first, matching every word of
    `query` in the title or text. With `include_unpublished`, those who edit learning also get
    briefings not yet published (their newest version) and hear of newer drafts."""
    read = actor.partnerships_with("briefing.read", among=partnership_ids)
    edit = actor.partnerships_with("learning.edit", among=partnership_ids) if include_unpublished else []
    if not read and not edit:
        return []
    terms = search_terms(query)
    with read_session() as s:
        scope = [BriefingVersion.status == "published"] if not edit else []
        stmt = (select(BriefingVersion.id, BriefingVersion.briefing_id, BriefingVersion.version_no,
                       BriefingVersion.status, Briefing.partnership_id)
                .join(Briefing, Briefing.id == BriefingVersion.briefing_id)
                .where(Briefing.partnership_id.in_(sorted(set(read) | set(edit))), *scope))
        if briefing_id is not None:
            stmt = stmt.where(Briefing.id == (_int(briefing_id) or 0))
        by: dict[int, list[tuple]] = {}
        for row in s.exec(stmt).all():
            by.setdefault(row[1], []).append(row)
        listed, newer = {}, {}
        for bid, rows in by.items():
            rows.sort(key=lambda r: -r[2])
            pid = rows[0][4]
            pub = next((r for r in rows if r[3] == "published" and pid in read), None)
            pick = pub or (rows[0] if pid in edit else None)
            if pick is None:
                continue
            listed[pick[0]] = bid
            if pid in edit and rows[0][2] > pick[2]:
                newer[bid] = f"{STATUSES[rows[0][3]]}, version {rows[0][2]}"
        if not listed:
            return []
        like = [BriefingVersion.sections.ilike(f"%{escape_like(t)}%", escape="\\") for t in terms]
        found = s.exec(
            select(BriefingVersion, Briefing, Partnership.name, Review.reference, LearningSource.title)
            .join(Briefing, Briefing.id == BriefingVersion.briefing_id)
            .join(Partnership, Partnership.id == Briefing.partnership_id)
            .outerjoin(Review, Review.id == Briefing.review_id)
            .outerjoin(LearningSource, LearningSource.id == Briefing.source_id)
            .where(BriefingVersion.id.in_(list(listed)), *like)
            .order_by(func.coalesce(BriefingVersion.published_at, BriefingVersion.created_at).desc(),
                      BriefingVersion.id.desc())).all()
    out = []
    for v, b, pname, ref, source in found:
        title, sections = decode(v.sections)
        if not matches(terms, title, sections):  # the column is JSON: a word may have matched its quoting
            continue
        out.append(Entry(briefing_id=b.id, version_id=v.id, version_no=v.version_no, status=v.status,
                         title=title or b.title, partnership=pname,
                         review_reference=ref if ref and actor.can("learning.read", b.partnership_id) else None,
                         source_title=source, published_at=v.published_at, saved_at=v.created_at,
                         newer=newer.get(b.id)))
    return out[:limit]


def published_for_review(actor: Actor, review_reference: str) -> Entry | None:
    """The review's published briefing, for a link from the review page; None when none is."""
    with read_session() as s:
        pid, review_id, _ = _owner(s, actor, review_reference, None)
        b = _briefing_of(s, review_id, None)
    if b is None:
        return None
    return next(iter(list_library(actor, partnership_ids=[pid], briefing_id=b.id)), None)


# -- the learning explorer's published briefings ------------------------------------------------

@dataclass
class Published:
    """A published briefing as the explorer lists it: what it is about and when it came out."""

    briefing_id: int
    title: str
    partnership: str  # the partnership's code
    review_reference: str | None
    source: str | None  # a learning source's title (its kind when untitled); None for a review's
    published_at: datetime


@dataclass
class PublishedList:
    briefings: list[Published]
    total: int  # every published briefing matching, of which `briefings` are the newest


def _tagged(entity: str, entity_id, theme: str, level: str):
    """The finding or recommendation `entity_id` carries `theme` (at the national level: it, or a
    local theme mapped to it), as the explorer's theme list counts it."""
    th, nat = aliased(Theme), aliased(Theme)
    sub = (select(ThemeTag.id).join(th, th.id == ThemeTag.theme_id)
           .where(ThemeTag.entity == entity, ThemeTag.entity_id == entity_id))
    if level == "national":
        return sub.outerjoin(nat, nat.id == th.national_id).where(or_(th.name == theme, nat.name == theme)).exists()
    return sub.where(th.name == theme).exists()


def _briefed(pids: list[int], f: LearningFilter, theme: str | None):
    """(review_id, source_id) of every finding and recommendation the explorer's filter holds:
    its partnerships, years and theme. A briefing of that review or source briefs that learning."""
    rf = aliased(Finding)
    arms = []
    for model, entity, review, source, joined in (
            (Finding, "finding", Finding.review_id, Finding.source_id, None),
            (Recommendation, "recommendation", func.coalesce(Recommendation.review_id, rf.review_id),
             func.coalesce(Recommendation.source_id, rf.source_id), rf)):
        stmt = select(review.label("review_id"), source.label("source_id")).where(model.partnership_id.in_(pids))
        if joined is not None:
            stmt = stmt.outerjoin(rf, rf.id == Recommendation.finding_id)
        if f.year_from:
            stmt = stmt.where(model.recorded_on >= date(int(f.year_from), 1, 1))
        if f.year_to:
            stmt = stmt.where(model.recorded_on <= date(int(f.year_to), 12, 31))
        if theme:
            stmt = stmt.where(_tagged(entity, model.id, theme, f.level))
        arms.append(stmt)
    return union_all(*arms).subquery("briefed")


def published_for_learning(actor: Actor, f: LearningFilter, theme: str | None = None,
                           limit: int = 10) -> PublishedList:
    """The published briefings of the learning the explorer shows for `f` (and `theme`): those of
    the reviews and learning sources with a finding or recommendation in its partnerships, years
    and theme, of the chosen source kind; the `limit` newest, and how many there are in all.
    Only in partnerships where the actor reads both learning and briefings; the agency filter
    does not narrow them (a briefing is about the whole review)."""
    read = set(actor.partnerships_with("briefing.read", f.partnership_ids))
    pids = sorted(read & set(actor.partnerships_with("learning.read", f.partnership_ids)))
    if not pids:
        return PublishedList([], 0)
    briefed = _briefed(pids, f, theme)
    about = or_(Briefing.review_id.in_(select(briefed.c.review_id).where(briefed.c.review_id.is_not(None))),
                Briefing.source_id.in_(select(briefed.c.source_id).where(briefed.c.source_id.is_not(None))))
    conds = [BriefingVersion.status == "published", Briefing.partnership_id.in_(pids), about]
    if f.source_kind == "review":
        conds.append(Briefing.review_id.is_not(None))
    elif f.source_kind:
        conds.append(LearningSource.kind == f.source_kind)
    stmt = (select(Briefing.id, Briefing.title, BriefingVersion.sections, BriefingVersion.published_at,
                   Partnership.code, Review.reference, LearningSource.title, LearningSource.kind,
                   func.count(literal(1)).over().label("total"))
            .select_from(BriefingVersion)
            .join(Briefing, Briefing.id == BriefingVersion.briefing_id)
            .join(Partnership, Partnership.id == Briefing.partnership_id)
            .outerjoin(Review, Review.id == Briefing.review_id)
            .outerjoin(LearningSource, LearningSource.id == Briefing.source_id)
            .where(*conds)
            .order_by(BriefingVersion.published_at.desc(), BriefingVersion.id.desc())
            .limit(max(1, min(int(limit), 100))))
    with read_session() as s:
        rows = s.exec(stmt).all()
    out = [Published(briefing_id=bid, title=decode(sections)[0] or title, partnership=code, review_reference=ref,
                     source=None if ref else (source_title or SOURCE_KINDS.get(kind, kind)),
                     published_at=published_at)
           for bid, title, sections, published_at, code, ref, source_title, kind, _ in rows]
    return PublishedList(out, int(rows[0][-1]) if rows else 0)
