"""The review record's fixed choices and their labels: the rapid review's LCSPR decision
(SI 2018/789 reg.11), the National Panel's response and the publication status.

Plain data, so the review services, the pages and the tracker format (panel.tracker_io.format)
share one list without the format reaching the database.
"""

from __future__ import annotations

LCSPR_DECISIONS = {"lcspr": "Hold an LCSPR", "no_lcspr": "No LCSPR"}
RESPONSES = {"agrees": "Agrees", "disagrees": "Disagrees"}
PUBLICATION_STATUSES = {"planned": "As planned", "delayed": "Delayed", "withheld": "Withheld"}

# Processes that run beside a review and shape it (docs/domain.md §6): each with dates and status.
PROCESS_KINDS = {
    "police_investigation": "Police investigation",
    "criminal_proceedings": "Criminal proceedings",
    "inquest": "Coroner's inquest",
    "child_death_review": "Child death review (CDOP)",
    "domestic_homicide_review": "Domestic homicide review",
    "other_review": "Another agency's review",
}
PROCESS_STATUSES = {"ongoing": "Ongoing", "concluded": "Concluded"}
# How the family took part (docs/domain.md §6).
FAMILY_EVENTS = {
    "invited": "Invited to take part",
    "met": "Met the reviewer",
    "declined": "Declined to take part",
    "views_recorded": "Views recorded",
    "draft_shared": "Draft shared with them",
}
