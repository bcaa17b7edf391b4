"""The page registry: which pages exist and which permission shows each one.

A page hidden here is still protected by its services; this only keeps menus uncluttered.
Pages of one section are listed together, in menu order.
"""

from __future__ import annotations

from dataclasses import dataclass

from panel.core.access import Actor


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str
    title: str
    icon: str
    section: str
    permissions: tuple[str, ...]  # any one of these, in any partnership
    in_menu: bool = True
    public: bool = False  # shown to everyone signed in, and reachable before signing in
    regional: bool = False  # also shown to regional accounts (anonymised learning across partnerships)
    signed_in: bool = False  # shown to everyone signed in (their own account), never before


PAGES: list[PageSpec] = [
    # Referrals
    PageSpec("queue", "pages/queue.py", "Referral queue", ":material/inbox:", "Referrals", ("referral.read",)),
    PageSpec("screening", "pages/screening.py", "Screening", ":material/fact_check:", "Referrals",
             ("referral.read",)),
    PageSpec("make-referral", "pages/make_referral.py", "Make a referral", ":material/note_add:",
             "Referrals", ("referral.submit",)),
    PageSpec("my-referrals", "pages/my_referrals.py", "My referrals", ":material/assignment_ind:",
             "Referrals", ("referral.read_own",)),
    PageSpec("referral", "pages/referral.py", "Referral", ":material/description:", "Referrals",
             ("referral.read",), in_menu=False),
    # Reviews
    PageSpec("tracker", "pages/tracker.py", "Review tracker", ":material/timeline:", "Reviews",
             ("review.read",)),
    PageSpec("review", "pages/review.py", "Review", ":material/timeline:", "Reviews",
             ("review.read",), in_menu=False),
    PageSpec("timeliness", "pages/timeliness.py", "Timeliness", ":material/timer:", "Reviews",
             ("report.timeliness",)),
    # Meetings
    PageSpec("meeting", "pages/meeting.py", "Meetings", ":material/groups:", "Meetings",
             ("meeting.run", "referral.read")),
    PageSpec("decision-log", "pages/decision_log.py", "Decision log", ":material/gavel:", "Meetings",
             ("referral.read",)),
    # Learning
    PageSpec("explorer", "pages/explorer.py", "Learning explorer", ":material/insights:", "Learning",
             ("learning.read",), regional=True),
    PageSpec("sources", "pages/sources.py", "Learning sources", ":material/library_books:", "Learning",
             ("learning.read",)),
    PageSpec("actions", "pages/actions.py", "Action register", ":material/checklist:", "Learning",
             ("learning.read",)),
    PageSpec("briefing", "pages/briefing.py", "7-minute briefing", ":material/article:", "Learning",
             ("learning.read",)),
    PageSpec("events", "pages/events.py", "Learning events", ":material/school:", "Learning",
             ("learning.read",)),
    PageSpec("library", "pages/library.py", "Briefing library", ":material/menu_book:", "Learning",
             ("briefing.read",)),
    PageSpec("shared-documents", "pages/shared_documents.py", "Shared documents", ":material/folder_shared:",
             "Learning", ("document.read",)),
    # Administration
    PageSpec("import", "pages/import.py", "Import a tracker", ":material/upload_file:", "Administration",
             ("data.import",)),
    PageSpec("themes", "pages/themes.py", "Themes", ":material/label:", "Administration",
             ("review_type.manage",)),
    PageSpec("review-types", "pages/review_types.py", "Review types", ":material/tune:", "Administration",
             ("review_type.manage",)),
    PageSpec("setup", "pages/setup.py", "Set-up checklist", ":material/rocket_launch:", "Administration",
             ("user.manage",)),
    PageSpec("agencies", "pages/agencies.py", "Agencies", ":material/domain:", "Administration",
             ("agency.manage",)),
    PageSpec("users", "pages/users.py", "Users", ":material/manage_accounts:", "Administration",
             ("user.manage",)),
    PageSpec("audit-log", "pages/audit_log.py", "Audit log", ":material/policy:", "Administration",
             ("audit.read",)),
    # Your account: every signed-in user, whatever their roles
    PageSpec("account", "pages/account.py", "My account", ":material/account_circle:", "You", (),
             signed_in=True),
    # Help
    PageSpec("accessibility", "pages/accessibility.py", "Accessibility statement", ":material/accessibility:",
             "Help", (), public=True),
]


def visible_pages(actor: Actor, setting_up: bool = False) -> list[PageSpec]:
    """`setting_up`: the first administrator before any partnership exists (no role yet), who
    sees the set-up page alone."""
    if setting_up:
        return [p for p in PAGES if p.key == "setup"] + [p for p in PAGES if p.public]
    pages = [p for p in PAGES if any(actor.can(perm) for perm in p.permissions)
             or (p.regional and actor.is_regional)]
    if not pages:
        pages = [PageSpec("no-access", "pages/no_access.py", "No access", ":material/block:", "", ())]
    return pages + [p for p in PAGES if p.signed_in or p.public]
