"""The tracker format: limits, the sheets, their columns and the values each column allows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from panel.learning.source_rules import INSPECTORATES, SOURCE_KINDS
from panel.referrals.rules import (
    ABUSE_OR_NEGLECT,
    ETHNICITY,
    HARM,
    IDENTIFIED_BY,
    LOCATION,
    SEX,
    STATUSES,
)
from panel.reviews.rules import LCSPR_DECISIONS, PUBLICATION_STATUSES, RESPONSES
from panel.screening import rules as screening
from panel.screening.rules import BODY_NAMES, DIRECTOR_DECISIONS

# Reading a workbook costs time and memory in proportion to what it holds once unzipped, never
# to what it claims (a sheet's declared size is ignored). Every limit below is checked while
# reading, so a small hostile file is refused after a bounded amount of work.
MAX_BYTES = 5 * 1024 * 1024  # the upload itself; .streamlit/config.toml server.maxUploadSize agrees
MAX_ROWS = 20_000  # rows holding a value, over all sheets (formatted but empty rows are free)
MAX_COLUMNS = 100  # the rightmost column holding a value; the widest sheet has 32
EMPTY_RUN = 1_000  # this many empty rows in a row (stored or not) end a sheet's data
MAX_UNZIPPED = 100 * 1024 * 1024  # all parts unzipped: 20,000 full rows are about 30 MB
MAX_RATIO = 100  # a part over 1 MB deflating more than this is padding (real sheets: 10 to 20)
MAX_SECONDS = 30.0  # wall time to read one file; 20,000 rows take about 3 s on a busy machine
IMPORTED_RATIONALE = "Imported from a spreadsheet tracker"
IMPORTED_DEPARTURE = ("Imported from a spreadsheet tracker: the tracker does not record why the "
                      "outcome departs from the criteria.")
REVIEW_STATUSES = {"open": "Open", "closed": "Closed", "superseded": "Superseded"}
INTERAGENCY = dict(screening.CHOICES["interagency_concerns"])
REVIEW_REF_RE = re.compile(r"^(?P<referral>[A-Z]{2,8}-\d{4}-\d{3,6})-R(?P<n>[1-9]\d{0,2})$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UK_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}
NOTE_MAX = 4000
EARLIEST = date(1970, 1, 1)  # no tracker holds earlier dates: an earlier one is a typo


# -- the format ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, date, int, bool, choice, list
    required: bool  # the header must be there and every row needs a value
    help: str
    choices: Mapping[str, str] | None = None
    max_len: int | None = None
    computed: bool = False  # blank means "work it out" (and, for a record already there, "keep")


def _c(name, kind, required, help_, choices=None, max_len=None, computed=False) -> Column:
    return Column(name, kind, required, help_, choices, max_len, computed)


REFERRAL_COLUMNS: tuple[Column, ...] = (
    _c("reference", "text", True, "The referral's reference, like NB-2025-014: the partnership "
       "code, the year and a number. It keys the import: a reference already in the database is "
       "compared, never changed.", max_len=20),
    _c("partnership_code", "text", True, "The partnership's code, e.g. NB; the reference starts with it."),
    _c("received_on", "date", True, "The day the referral arrived."),
    _c("aware_on", "date", True, "The day the local authority became aware; picks the regime "
       "(before 29 June 2018: WT2015)."),
    _c("referrer_name", "text", True, "The referrer's role or name.", max_len=200),
    _c("referrer_agency", "text", True, "The referrer's agency, named exactly as in the agency list below."),
    _c("identified_by", "choice", True, "How the case was identified.", IDENTIFIED_BY),
    _c("child_initials", "text", True, "Initials only, 1 to 4 letters (no names)."),
    _c("child_dob", "date", False, "Date of birth, only where needed; else give the age."),
    _c("child_age_years", "int", False, "Age in whole years (0-17), if no date of birth."),
    _c("child_sex", "choice", True, "The child's sex.", SEX),
    _c("child_ethnicity", "choice", True, "ONS 2021 high-level ethnic group.", ETHNICITY),
    _c("looked_after", "bool", False, "TRUE or FALSE (blank: FALSE)."),
    _c("child_protection_plan", "bool", False, "TRUE or FALSE (blank: FALSE)."),
    _c("known_to_csc", "bool", False, "Known to children's social care: TRUE or FALSE (blank: FALSE)."),
    _c("incident_date", "date", True, "The day of the incident."),
    _c("incident_summary", "text", True, "What happened, without names (10 to 4,000 characters).",
       max_len=4000),
    _c("harm", "choice", True, "The harm.", HARM),
    _c("abuse_or_neglect", "choice", True, "Whether abuse or neglect is known or suspected.",
       ABUSE_OR_NEGLECT),
    _c("location", "choice", True, "Where it happened.", LOCATION),
    _c("status", "choice", True, "The referral's status; a referral with a review or an outcome "
       "is decided.", STATUSES),
    _c("agencies_involved", "list", False, "Agencies involved, separated by semicolons (;)."),
    _c("referrer_view", "text", False, "The referrer's view on the criteria.", max_len=2000),
    _c("status_note", "text", False, "Note on the status (e.g. why it was closed).", max_len=2000),
    _c("interagency_concerns", "choice", False, "Cause for concern about how agencies worked "
       "together (blank: unclear).", INTERAGENCY),
    _c("custody_death", "bool", False, "Died in custody or detention (then harm is died)."),
    _c("media_interest", "bool", False, "Media attention (WT2015 Ofsted ground)."),
    _c("practice_concerns", "bool", False, "Professional practice concerns (WT2015 Ofsted ground)."),
    _c("director_decision", "choice", False, "The director's route before the panel.", DIRECTOR_DECISIONS),
    _c("dcs_informed_on", "date", False, "The day the DCS was told."),
    _c("outcome", "text", False, "The panel's signed decision: a review type key of the partnership. "
       "Blank: taken from the referral's first review, if any.", computed=True),
    _c("decided_on", "date", False, "The day of the panel's decision (with outcome). Blank: the "
       "first review's started_on.", computed=True),
)
NOTIFICATION_COLUMNS: tuple[Column, ...] = (
    _c("referral_reference", "text", True, "The referral, in this file or already in the database."),
    _c("body", "choice", True, "Who was notified.", BODY_NAMES),
    _c("due_on", "date", False, "Due date. Blank: 5 working days after aware_on.", computed=True),
    _c("sent_on", "date", True, "The day it was sent."),
    _c("sent_reference", "text", False, "The reference the body gave, if any.", max_len=100),
)
REVIEW_COLUMNS: tuple[Column, ...] = (
    _c("review_reference", "text", True, "The referral's reference, -R and a number: NB-2025-014-R1.",
       max_len=30),
    _c("referral_reference", "text", True, "The referral, in this file or already in the database."),
    _c("review_type_key", "text", True, "A review type key of the referral's partnership (listed below)."),
    _c("started_on", "date", True, "The decision date: decision-anchored milestones count from it."),
    _c("notified_on", "date", False, "The notification date: the rapid review's day 0."),
    _c("lead_reviewer", "text", False, "The lead reviewer.", max_len=200),
    _c("status", "choice", True, "The review's status.", REVIEW_STATUSES),
    _c("lead_reviewer_email", "text", False, "The lead reviewer's e-mail address.", max_len=254),
    _c("publication_status", "choice", False, "Blank: planned. Delayed or withheld needs a reason.",
       PUBLICATION_STATUSES),
    _c("publication_reason", "text", False, "Why publication is delayed or withheld.", max_len=NOTE_MAX),
    _c("lcspr_decision", "choice", False, "Rapid reviews only: the partners' LCSPR decision.",
       LCSPR_DECISIONS),
    _c("sent_to_national_panel_on", "date", False, "Rapid reviews: the day it was sent to the National Panel."),
    _c("national_panel_response", "choice", False, "The National Panel's response.", RESPONSES),
    _c("national_panel_note", "text", False, "What the National Panel said (needed if it disagrees).",
       max_len=NOTE_MAX),
    _c("rapid_review_reference", "text", False, "LCSPRs only: the rapid review of the same referral whose "
       "decision to hold an LCSPR started it, in this file or already in the database.", max_len=30),
    _c("closed_on", "date", False, "The day the review closed (status closed); blank if not known."),
)
MILESTONE_COLUMNS: tuple[Column, ...] = (
    _c("review_reference", "text", True, "The review, in this file or already in the database."),
    _c("milestone_key", "text", True, "A milestone key of the review's type (listed below)."),
    _c("planned_on", "date", False, "Target date. Blank: worked out from the review type.", computed=True),
    _c("actual_on", "date", False, "The day it happened; blank if not yet."),
)
# The learning's values, as panel.learning.findings, .recommendations and .actions have them (this
# module stays free of the database; tests/test_import_learning.py checks they agree).
NATURES = {"concern": "Concern", "good_practice": "Good practice"}
RECOMMENDATION_STATUSES = {"draft": "Draft", "accepted": "Accepted"}
ACTION_STATUSES = {"open": "Open", "in_progress": "In progress", "completed": "Completed, awaiting evidence",
                   "carried": "Carried to a named owner", "closed": "Closed"}
# Learning sources other than reviews (docs/domain.md §7.1): checked by panel.learning.source_rules,
# as the source's page checks them, so the lengths and what each kind records are left to it.
SOURCE_SHEET = "learning_sources"
SOURCE_COLUMNS: tuple[Column, ...] = (
    _c("partnership_code", "text", True, "The partnership the source belongs to, e.g. NB."),
    _c("kind", "choice", True, "What kind of learning it is.", SOURCE_KINDS),
    _c("title", "text", True, "A title people will recognise (up to 200 characters); with no reference, it "
       "names the source, for its kind, in this partnership."),
    _c("reference", "text", False, "Its reference, e.g. a CDOP or inspection reference (up to 100 characters). "
       "Findings and recommendations name the source by it, or by its title if it has none."),
    _c("topic", "text", False, "What it looked at: an audit's topic, an inspection's scope."),
    _c("inspectorate", "choice", False, "Inspections only: the inspectorate.", INSPECTORATES),
    _c("cases_sampled", "int", False, "Audits only (case file audits, section 11 or self-audits): how many "
       "cases were sampled."),
    _c("started_on", "date", False, "The day it started."),
    _c("completed_on", "date", False, "The day it was completed; blank while it goes on (then give started_on)."),
    _c("agencies", "list", False, "Agencies it looked at, separated by semicolons (;)."),
)
_SOURCE = ("The learning source it comes from, instead of a review: its reference, or its title if it "
           "has none, in the learning_sources sheet or already in the database.")
_SOURCE_PART = ("With source: the source's partnership code, needed only when sources of two partnerships "
                "share the name (an export fills it in).")
_LOCAL = "A key for this file only, e.g. {x}1: it is not stored (docs/domain.md §7.1)."
FINDING_COLUMNS: tuple[Column, ...] = (
    _c("finding_reference", "text", True, _LOCAL.format(x="F") + " Recommendations name findings by it.",
       max_len=30),
    _c("review_reference", "text", False, "The review that found it, in this file or already in the database. "
       "Give this or source."),
    _c("source", "text", False, _SOURCE),
    _c("source_partnership_code", "text", False, _SOURCE_PART, computed=True),
    _c("recorded_on", "date", True, "The day the finding was recorded."),
    _c("text", "text", True, "What was found (10 to 5,000 characters).", max_len=5000),
    _c("nature", "choice", True, "A concern, or good practice to spread.", NATURES),
    _c("themes", "list", False, "Themes of the taxonomy, separated by semicolons (;)."),
    _c("agencies", "list", False, "Agencies it concerns, separated by semicolons (;)."),
)
RECOMMENDATION_COLUMNS: tuple[Column, ...] = (
    _c("recommendation_reference", "text", True, _LOCAL.format(x="R") + " Actions name it.", max_len=30),
    _c("review_reference", "text", False, "The review that made it, in this file or already in the database. "
       "Give this or source."),
    _c("source", "text", False, _SOURCE),
    _c("source_partnership_code", "text", False, _SOURCE_PART, computed=True),
    _c("finding_references", "list", False, "The findings it answers: finding_references of this file "
       "for the same review or source, separated by semicolons (;)."),
    _c("text", "text", True, "What the review asks agencies to do (10 to 5,000 characters).", max_len=5000),
    _c("target_agencies", "list", True, "The agencies it is for (at least one), separated by semicolons (;)."),
    _c("outcome_sought", "text", False, "The outcome sought.", max_len=2000),
    _c("measure", "text", False, "How the outcome is measured.", max_len=2000),
    _c("due_on", "date", False, "When it is due; not before recorded_on."),
    _c("status", "choice", True, "Draft, or accepted by the partnership (then give accepted_on).",
       RECOMMENDATION_STATUSES),
    _c("accepted_on", "date", False, "The day the partnership accepted it (status accepted only)."),
    _c("recorded_on", "date", True, "The day the recommendation was recorded."),
    _c("themes", "list", False, "Themes of the taxonomy, separated by semicolons (;). Blank: its "
       "findings' themes.", computed=True),
)
ACTION_COLUMNS: tuple[Column, ...] = (
    _c("action_reference", "text", True, _LOCAL.format(x="A"), max_len=30),
    _c("recommendation_reference", "text", True, "The recommendation it carries out: a "
       "recommendation_reference of this file."),
    _c("owner_agency", "text", True, "The agency that owns it, named as in the agency list."),
    _c("owner_name", "text", True, "The person who owns it.", max_len=200),
    _c("owner_email", "text", False, "The owner's e-mail address.", max_len=254),
    _c("text", "text", True, "What will be done.", max_len=5000),
    _c("due_on", "date", True, "When it is due: not before the recommendation was recorded (or accepted)."),
    _c("status", "choice", True, "Where it stands.", ACTION_STATUSES),
    _c("evidence_of_impact", "text", False, "Closed actions: the evidence that practice changed.",
       max_len=5000),
    _c("closed_on", "date", False, "Closed actions: the day it was closed."),
    _c("carried_to", "text", False, "Carried actions: who takes it on (a person, group or plan).",
       max_len=200),
    _c("carried_reason", "text", False, "Carried actions: why it is carried.", max_len=5000),
    _c("follow_up_on", "date", False, "Closed actions: a day after closed_on to check the change held."),
)
SHEETS: dict[str, tuple[Column, ...]] = {
    "referrals": REFERRAL_COLUMNS,
    "notifications": NOTIFICATION_COLUMNS,
    "reviews": REVIEW_COLUMNS,
    "milestones": MILESTONE_COLUMNS,
    SOURCE_SHEET: SOURCE_COLUMNS,
    "findings": FINDING_COLUMNS,
    "recommendations": RECOMMENDATION_COLUMNS,
    "actions": ACTION_COLUMNS,
}
LEARNING_SHEETS = ("findings", "recommendations", "actions")
GUIDE_SHEET = "guide"
KEYS = {"referrals": ("reference",), "notifications": ("referral_reference", "body"),
        "reviews": ("review_reference",), "milestones": ("review_reference", "milestone_key"),
        SOURCE_SHEET: ("kind", "partnership_code"),  # and its reference, or its title when it has none
        "findings": ("finding_reference",), "recommendations": ("recommendation_reference",),
        "actions": ("action_reference",)}
