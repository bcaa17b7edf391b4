"""Every table, in one place. Enumerated values are plain strings checked by the domain rules,
so the schema stays the same on SQLite and PostgreSQL (no native enums)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, false, true
from sqlmodel import Field, SQLModel

from panel.core.db import utcnow


class Partnership(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True, index=True)
    name: str = Field(max_length=200)
    local_authority_area: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Agency(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40)  # panel.agencies.rules.KINDS (older rows may hold others)
    # One of the statutory safeguarding partners (local authority, police, integrated care board).
    statutory: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Retired agencies stay for the records that name them but are no longer offered in forms.
    active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    password_hash: str = Field(max_length=200)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    is_active: bool = True
    is_regional: bool = False  # may see anonymised learning across partnerships
    failed_logins: int = 0
    locked_until: datetime | None = None
    sessions_valid_after: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime | None = None  # last activity, written at most once a minute (idle expiry)
    # Presentation mode (a shared screen: child identifiers hidden on every page), kept here so
    # that it holds across reloads, tabs and page switches until the user turns it off.
    presentation_mode: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Set when an administrator gives a temporary password, cleared when the user chooses their
    # own: until then a sign-in shows only the form to change it.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class Membership(SQLModel, table=True):
    """A user's role in one partnership: access is always (role, partnership), never role alone."""

    __table_args__ = (UniqueConstraint("user_id", "partnership_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    role: str = Field(max_length=20)


class Referral(SQLModel, table=True):
    __table_args__ = (
        Index("ix_referral_queue", "partnership_id", "status", "aware_on"),
        Index("ix_referral_dupes", "partnership_id", "child_initials"),
    )
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=20, unique=True, index=True)
    partnership_id: int = Field(foreign_key="partnership.id")
    status: str = Field(default="new", max_length=30)
    status_note: str | None = Field(default=None, sa_column=Column(Text))
    version: int = 1

    received_on: date
    aware_on: date
    referrer_name: str = Field(max_length=200)
    referrer_agency_id: int = Field(foreign_key="agency.id")
    submitted_by_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    identified_by: str = Field(max_length=40)
    referrer_view: str | None = Field(default=None, sa_column=Column(Text))

    child_initials: str = Field(max_length=4)
    child_dob: date | None = None
    child_age_years: int | None = None
    child_sex: str = Field(max_length=20)
    child_ethnicity: str = Field(max_length=60)
    looked_after: bool = False
    child_protection_plan: bool = False
    known_to_csc: bool = False
    # A care leaver aged 18 to 24 who died (docs/domain.md §4.3): the age fields then hold the
    # young person's age, and the engine calls for notifying the Secretary of State and Ofsted.
    care_leaver: bool = False

    incident_date: date
    incident_summary: str = Field(sa_column=Column(Text, nullable=False))
    harm: str = Field(max_length=20)
    abuse_or_neglect: str = Field(max_length=20)
    location: str = Field(default="in_area", max_length=40)
    # Screening facts beyond the referral form (docs/domain.md §5); the panel confirms them.
    interagency_concerns: str = Field(default="unclear", max_length=10)
    custody_death: bool = False
    media_interest: bool = False
    practice_concerns: bool = False
    # The director's route before the panel (docs/domain.md §3): notify, refer_to_panel, internal_review.
    director_decision: str | None = Field(default=None, max_length=30)
    dcs_informed_on: date | None = None
    # The one-time token of the form that made it: a second press of the same form is refused
    # with this referral's reference instead of making a second referral.
    submission_token: str | None = Field(default=None, max_length=64, unique=True, index=True)

    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ReferralAgency(SQLModel, table=True):
    referral_id: int = Field(foreign_key="referral.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True)


class ReferralLink(SQLModel, table=True):
    """Referrals about the same incident (siblings) or the same child."""

    __table_args__ = (UniqueConstraint("referral_id", "linked_id"),)
    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    linked_id: int = Field(foreign_key="referral.id", index=True)
    kind: str = Field(max_length=20)  # sibling, same_child
    created_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Append-only: the app has no code path that updates or deletes these rows."""

    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    username: str = Field(max_length=64)
    action: str = Field(max_length=40, index=True)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    partnership_id: int | None = Field(default=None, foreign_key="partnership.id")
    before: str | None = Field(default=None, sa_column=Column(Text))
    after: str | None = Field(default=None, sa_column=Column(Text))
    detail: str | None = Field(default=None, sa_column=Column(Text))


class AuditPurge(SQLModel, table=True):
    """One row. Database triggers refuse to delete audit rows unless `active` is set, which
    only `panel.core.audit.purge_before` does, inside its own transaction (docs/security.md)."""

    __tablename__ = "audit_purge"
    id: int | None = Field(default=None, primary_key=True)
    active: bool = False


class ReviewType(SQLModel, table=True):
    """A partnership's kind of review or outcome, with its milestones: data an admin edits."""

    __table_args__ = (UniqueConstraint("partnership_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    key: str = Field(max_length=40)
    name: str = Field(max_length=120)
    regime: str = Field(max_length=10)
    statutory: bool = False
    routes: str = Field(max_length=120)  # comma-separated engine routes it is consistent with
    creates_review: bool = True
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    milestones: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list
    active: bool = True
    version: int = 1


class Notification(SQLModel, table=True):
    """A statutory notification recorded as sent, against its due date."""

    __table_args__ = (UniqueConstraint("referral_id", "body"),)
    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    body: str = Field(max_length=40)  # ofsted, national_panel, safeguarding_partners, secretary_of_state
    due_on: date
    sent_on: date
    sent_reference: str | None = Field(default=None, max_length=100)
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow)


class Decision(SQLModel, table=True):
    """The panel's decision on a referral. Signed decisions are never edited: an amendment is
    a new version that supersedes the old, both kept."""

    __table_args__ = (UniqueConstraint("referral_id", "version_no"),)
    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    version_no: int = 1
    status: str = Field(default="draft", max_length=20)  # draft, signed, superseded
    review_type_id: int = Field(foreign_key="reviewtype.id")
    engine_regime: str = Field(max_length=10)
    engine_route: str = Field(max_length=30)
    departs: bool = False
    rationale: str = Field(sa_column=Column(Text, nullable=False))
    departure_rationale: str | None = Field(default=None, sa_column=Column(Text))
    amendment_reason: str | None = Field(default=None, sa_column=Column(Text))
    present: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON user ids
    apologies: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    conflicts: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    meeting_id: int | None = None
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow)
    decided_on: date
    signed_by_id: int | None = Field(default=None, foreign_key="user.id")
    signed_at: datetime | None = None


class Review(SQLModel, table=True):
    __table_args__ = (Index("ix_review_open", "partnership_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=30, unique=True)
    partnership_id: int = Field(foreign_key="partnership.id")
    referral_id: int = Field(foreign_key="referral.id", index=True)
    decision_id: int = Field(foreign_key="decision.id")
    review_type_id: int = Field(foreign_key="reviewtype.id")
    status: str = Field(default="open", max_length=20)  # open, closed, superseded
    started_on: date
    notified_on: date | None = None
    lead_reviewer: str | None = Field(default=None, max_length=200)
    lead_reviewer_email: str | None = Field(default=None, max_length=254)
    # Publication: planned and actual dates live in the "publication" milestone; these say why
    # it may not happen as planned (e.g. parallel criminal proceedings).
    publication_status: str = Field(default="planned", max_length=20)  # planned, delayed, withheld
    publication_reason: str | None = Field(default=None, sa_column=Column(Text))
    # Rapid review (WT2018): the LCSPR decision at its end and the National Panel's view.
    lcspr_considerations: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    lcspr_decision: str | None = Field(default=None, max_length=20)  # lcspr, no_lcspr
    sent_to_national_panel_on: date | None = None
    national_panel_response: str | None = Field(default=None, max_length=20)  # agrees, disagrees
    national_panel_note: str | None = Field(default=None, sa_column=Column(Text))
    # An LCSPR started by a rapid review's decision points back at that rapid review (both stay
    # counted; docs/domain.md §6). Closing needs the closure milestone and every action settled.
    rapid_review_id: int | None = Field(default=None, foreign_key="review.id", index=True)
    closed_on: date | None = None
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class ReviewMilestone(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("review_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    key: str = Field(max_length=60)
    name: str = Field(max_length=200)
    position: int = 0
    statutory: bool = False
    planned_on: date = Field(index=True)
    actual_on: date | None = None


class ParallelProcess(SQLModel, table=True):
    """A process running beside a review that shapes it: a police investigation, criminal
    proceedings, an inquest, a child death review, a domestic homicide review or another review.
    One may be cited as the reason publication is delayed (docs/domain.md §6)."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    kind: str = Field(max_length=30)  # panel.reviews.rules.PROCESS_KINDS
    reference: str | None = Field(default=None, max_length=100)  # e.g. the CDOP reference
    status: str = Field(default="ongoing", max_length=20)  # ongoing, concluded
    started_on: date | None = None  # e.g. the date of charge
    next_event: str | None = Field(default=None, max_length=200)  # e.g. "Trial"
    next_on: date | None = None
    concluded_on: date | None = None
    outcome: str | None = Field(default=None, sa_column=Column(Text))  # e.g. the verdict
    delays_publication: bool = False
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)


class FamilyInvolvement(SQLModel, table=True):
    """One step in how the family took part in a review: invited, met, declined, views recorded,
    draft shared. Seen only by those who run the review (docs/domain.md §6)."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    family_member: str = Field(max_length=100)  # the relationship, e.g. "Mother"; never a name
    event: str = Field(max_length=30)  # panel.reviews.rules.FAMILY_EVENTS
    happened_on: date
    note: str | None = Field(default=None, sa_column=Column(Text))
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow)


class ReviewDelay(SQLModel, table=True):
    """A recorded delay: moves every later target by `working_days`, only with a reason."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    starts_on: date
    working_days: int
    reason: str = Field(sa_column=Column(Text, nullable=False))
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow)


class AgencyRequest(SQLModel, table=True):
    """A chronology or agency report asked of an agency for a review, and whether it arrived."""

    __table_args__ = (UniqueConstraint("review_id", "agency_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    kind: str = Field(max_length=20)  # chronology, agency_report, agency_summary
    requested_on: date
    due_on: date
    received_on: date | None = None
    contact_email: str | None = Field(default=None, max_length=254)
    # What the agency told the rapid review (an agency_summary), entered on the review's page and
    # drawn into the drafted report; or the uploaded document that answered the request.
    summary: str | None = Field(default=None, sa_column=Column(Text))
    document_id: int | None = Field(default=None, foreign_key="document.id")


class ReminderLog(SQLModel, table=True):
    """One digest e-mailed by `panel remind`; written only after the mail server accepted it."""

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=254, index=True)
    sent_at: datetime = Field(default_factory=utcnow)
    items: int = 0
    digest: str = Field(sa_column=Column(Text, nullable=False))


class Theme(SQLModel, table=True):
    """The managed taxonomy (docs/domain.md §7). Local themes map to a national theme; a merged theme
    points at the theme it became, so history is kept."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    kind: str = Field(default="national", max_length=20)  # national, local
    national_id: int | None = Field(default=None, foreign_key="theme.id")
    merged_into_id: int | None = Field(default=None, foreign_key="theme.id")
    active: bool = True
    description: str = Field(default="", sa_column=Column(Text, nullable=False))


class LearningSource(SQLModel, table=True):
    """Learning that did not come from a case review: a multi-agency case file audit, child death
    review learning, a child protection incident review, a local learning review, an inspection,
    a section 11 or agency self-audit. Holds findings and recommendations as a review does
    (docs/domain.md §7.1)."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    kind: str = Field(max_length=30)  # panel.learning.sources.SOURCE_KINDS
    title: str = Field(max_length=200)
    reference: str | None = Field(default=None, max_length=100)  # e.g. the CDOP reference
    topic: str | None = Field(default=None, sa_column=Column(Text))  # an audit's topic, an inspection's scope
    inspectorate: str | None = Field(default=None, max_length=40)  # inspections: Ofsted, JTAI, CQC, HMICFRS
    cases_sampled: int | None = None  # audits
    started_on: date | None = None
    completed_on: date | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class SourceAgency(SQLModel, table=True):
    """An agency in a learning source, with its grade where the source grades agencies (an audit)."""

    source_id: int = Field(foreign_key="learningsource.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True)
    grade: str | None = Field(default=None, max_length=30)


class Finding(SQLModel, table=True):
    """What a review (or other learning source) found: a concern, or good practice to spread."""

    __table_args__ = (Index("ix_finding_partnership_year", "partnership_id", "recorded_on"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id")
    review_id: int | None = Field(default=None, foreign_key="review.id", index=True)
    # Older rows name their source by kind and title only; newer ones point at a LearningSource.
    source_kind: str = Field(default="review", max_length=30)  # review, child_death_review, case_file_audit, cpir, ...
    source_title: str | None = Field(default=None, max_length=200)
    source_id: int | None = Field(default=None, foreign_key="learningsource.id", index=True)
    nature: str = Field(default="concern", max_length=20, sa_column_kwargs={"server_default": "concern"})
    recorded_on: date
    text: str = Field(sa_column=Column(Text, nullable=False))
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class FindingAgency(SQLModel, table=True):
    """An agency a finding concerns."""

    finding_id: int = Field(foreign_key="finding.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True)


class Recommendation(SQLModel, table=True):
    """What the review asks agencies to do, SMART: the outcome sought, how it is measured, when.
    Accepted by the partnership, it is locked: a change is a new version with a reason, the old
    one kept as a RecommendationRevision (docs/domain.md §7.1)."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    finding_id: int | None = Field(default=None, foreign_key="finding.id", index=True)  # older rows: one finding
    review_id: int | None = Field(default=None, foreign_key="review.id", index=True)
    source_id: int | None = Field(default=None, foreign_key="learningsource.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    recorded_on: date
    outcome_sought: str | None = Field(default=None, sa_column=Column(Text))
    measure: str | None = Field(default=None, sa_column=Column(Text))
    due_on: date | None = None
    status: str = Field(default="draft", max_length=20, sa_column_kwargs={"server_default": "draft"})  # draft, accepted
    accepted_on: date | None = None
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class RecommendationFinding(SQLModel, table=True):
    """A finding a recommendation answers (several each)."""

    recommendation_id: int = Field(foreign_key="recommendation.id", primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", primary_key=True)


class RecommendationRevision(SQLModel, table=True):
    """An accepted recommendation as it stood before a change, with the change's reason."""

    id: int | None = Field(default=None, primary_key=True)
    recommendation_id: int = Field(foreign_key="recommendation.id", index=True)
    version: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    outcome_sought: str | None = Field(default=None, sa_column=Column(Text))
    measure: str | None = Field(default=None, sa_column=Column(Text))
    due_on: date | None = None
    agency_ids: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON
    reason: str = Field(sa_column=Column(Text, nullable=False))
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")
    changed_at: datetime = Field(default_factory=utcnow)


class RecommendationAgency(SQLModel, table=True):
    recommendation_id: int = Field(foreign_key="recommendation.id", primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", primary_key=True)


class Action(SQLModel, table=True):
    """Stays open until evidence of impact is recorded: partnerships are judged on changed
    practice, not on reports written."""

    __table_args__ = (Index("ix_action_register", "partnership_id", "status", "due_on"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id")
    # From a review's recommendation, or agreed at a meeting (then the agenda item it came from,
    # and no recommendation: docs/domain.md §6.3).
    recommendation_id: int | None = Field(default=None, foreign_key="recommendation.id", index=True)
    meeting_item_id: int | None = Field(default=None, foreign_key="agendaitem.id", index=True)
    # Every new action names an agency; only actions moved from older meeting records may lack one.
    owner_agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    owner_name: str = Field(max_length=200)
    owner_email: str | None = Field(default=None, max_length=254)
    text: str = Field(sa_column=Column(Text, nullable=False))
    due_on: date
    status: str = Field(default="open", max_length=20)  # open, in_progress, completed, closed, carried
    evidence_of_impact: str | None = Field(default=None, sa_column=Column(Text))
    # Carried beyond the review's closure: to whom, and why (docs/domain.md §6).
    carried_to: str | None = Field(default=None, max_length=200)
    carried_reason: str | None = Field(default=None, sa_column=Column(Text))
    # Impact follow-up (docs/domain.md §7.1): a date to check the change held (e.g. a re-audit in six
    # months), and its result, which may be a learning source of its own (the re-audit).
    follow_up_on: date | None = None
    follow_up_done_on: date | None = None
    follow_up_result: str | None = Field(default=None, sa_column=Column(Text))
    follow_up_source_id: int | None = Field(default=None, foreign_key="learningsource.id")
    closed_on: date | None = None
    closed_by_id: int | None = Field(default=None, foreign_key="user.id")
    version: int = 1


class ActionNote(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    by_id: int | None = Field(default=None, foreign_key="user.id")
    text: str = Field(sa_column=Column(Text, nullable=False))


class ThemeTag(SQLModel, table=True):
    """A theme on a review, finding or recommendation (several each)."""

    __table_args__ = (
        UniqueConstraint("theme_id", "entity", "entity_id"),
        Index("ix_themetag_entity", "entity", "entity_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    entity: str = Field(max_length=20)  # review, finding, recommendation
    entity_id: int


class Briefing(SQLModel, table=True):
    """A 7-minute briefing, kept in the partnership's library as versions (BriefingVersion)."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    review_id: int | None = Field(default=None, foreign_key="review.id", index=True)
    source_id: int | None = Field(default=None, foreign_key="learningsource.id", index=True)
    title: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class BriefingVersion(SQLModel, table=True):
    """One version of a briefing: a draft, approved once the anonymisation check is clear, then
    published to every partner user of the partnership (docs/domain.md §7.1)."""

    __table_args__ = (UniqueConstraint("briefing_id", "version_no"),)
    id: int | None = Field(default=None, primary_key=True)
    briefing_id: int = Field(foreign_key="briefing.id", index=True)
    version_no: int = 1
    status: str = Field(default="draft", max_length=20)  # draft, approved, published, withdrawn
    sections: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON: section key -> text
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    approved_at: datetime | None = None
    published_at: datetime | None = None


class LearningEvent(SQLModel, table=True):
    """A learning event or bitesize session where learning was shared with practitioners."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    held_on: date
    kind: str = Field(max_length=30)  # panel.learning.dissemination.EVENT_KINDS
    topic: str = Field(max_length=200)
    audience: str | None = Field(default=None, sa_column=Column(Text))
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class LearningEventLink(SQLModel, table=True):
    """What an event shared: a review, a briefing, a recommendation or a learning source."""

    __table_args__ = (UniqueConstraint("event_id", "entity", "entity_id"),
                      Index("ix_learningeventlink_entity", "entity", "entity_id"))
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="learningevent.id", index=True)
    entity: str = Field(max_length=20)  # review, briefing, recommendation, source
    entity_id: int


class LearningEventAttendance(SQLModel, table=True):
    """How many attended an event from one agency in one role."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="learningevent.id", index=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    role: str = Field(max_length=100)
    attended: int


class Meeting(SQLModel, table=True):
    """A panel meeting run from the screen. Planned, then open, then closed."""

    __table_args__ = (Index("ix_meeting_partnership_date", "partnership_id", "held_on"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id")
    held_on: date
    chair_id: int | None = Field(default=None, foreign_key="user.id")
    status: str = Field(default="planned", max_length=20)  # planned, open, closed
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    version: int = 1


class MeetingMember(SQLModel, table=True):
    """Someone invited: a Panel user, or a named guest from a partner agency (user_id empty)."""

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    name: str = Field(max_length=200)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    attendance: str = Field(default="invited", max_length=20)  # invited, present, apologies


class AgendaItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int = 0
    kind: str = Field(max_length=20)  # referral, rapid_review, milestones, sign_off, actions, other
    reference: str | None = Field(default=None, max_length=30)
    title: str = Field(max_length=300)
    status: str = Field(default="pending", max_length=20)  # pending, decided, discussed, carried
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    carried_from_id: int | None = Field(default=None, foreign_key="agendaitem.id")


class ItemConflict(SQLModel, table=True):
    """A conflict of interest declared on one item by one attendee (excluded from its decision)."""

    __table_args__ = (UniqueConstraint("item_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="agendaitem.id", index=True)
    member_id: int = Field(foreign_key="meetingmember.id")
    user_id: int | None = Field(default=None, foreign_key="user.id")


class Document(SQLModel, table=True):
    """A document held on a review or a referral: an agency's chronology or report, the terms of
    reference, a draft or final report. Each upload is a DocumentVersion; replacing keeps the old
    one. `visibility` says who may open it (docs/domain.md §11)."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    review_id: int | None = Field(default=None, foreign_key="review.id", index=True)
    referral_id: int | None = Field(default=None, foreign_key="referral.id", index=True)
    kind: str = Field(max_length=30)  # panel.documents.rules.DOCUMENT_KINDS
    title: str = Field(max_length=200)
    agency_id: int | None = Field(default=None, foreign_key="agency.id")
    visibility: str = Field(default="panel", max_length=20)  # panel, lead_reviewer, partners
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class DocumentVersion(SQLModel, table=True):
    """One upload of a document. The file itself is in the file store, named by its SHA-256, and
    checked against it on every download."""

    __table_args__ = (UniqueConstraint("document_id", "version_no"),)
    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    version_no: int = 1
    filename: str = Field(max_length=255)  # as uploaded, cleaned; never a path
    content_type: str = Field(max_length=100)  # from the content, not the name
    size: int
    sha256: str = Field(max_length=64, index=True)
    note: str | None = Field(default=None, sa_column=Column(Text))
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)


class DocumentHit(SQLModel, table=True):
    """A detail of the case the anonymisation check found in a final report's version, with where
    it is. Publication waits until each is accepted with a reason or gone from a later version."""

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="documentversion.id", index=True)
    location: str = Field(max_length=80)  # e.g. "page 3", "paragraph 12"
    identifier: str = Field(max_length=30)  # initials, date of birth, name
    excerpt: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", max_length=20)  # open, accepted
    reason: str | None = Field(default=None, sa_column=Column(Text))
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None


class ReportTemplate(SQLModel, table=True):
    """A partnership's section headings for a document Panel drafts: the national headings vary by
    version and locality, so they are data (docs/domain.md §11)."""

    __table_args__ = (UniqueConstraint("partnership_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    kind: str = Field(max_length=30)  # rapid_review, terms_of_reference
    sections: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON [{key, heading, guidance}]
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class ReportDraft(SQLModel, table=True):
    """A document Panel drafts from the record and the panel edits: a rapid review's report or an
    LCSPR's terms of reference. Approved by the three safeguarding partners (SignOff)."""

    __table_args__ = (UniqueConstraint("review_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    kind: str = Field(max_length=30)  # rapid_review, terms_of_reference
    sections: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON [{key, heading, text}]
    status: str = Field(default="draft", max_length=20)  # draft, approved, sent
    created_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class SignOff(SQLModel, table=True):
    """One safeguarding partner's sign-off (the local authority, the police, health) of a rapid
    review's report, terms of reference or a final report, recorded by whoever holds the record."""

    __table_args__ = (UniqueConstraint("review_id", "subject", "partner"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    subject: str = Field(max_length=30)  # rapid_review, terms_of_reference, final_report
    partner: str = Field(max_length=30)  # local_authority, police, health
    signed_by: str = Field(max_length=200)  # the name and role of who signed for the partner
    signed_on: date
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow)
