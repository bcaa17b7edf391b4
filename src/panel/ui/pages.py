"""The page registry: which pages exist and which permission shows each one.

A page hidden here is still protected by its services; this only keeps menus uncluttered.
"""

from __future__ import annotations

from dataclasses import dataclass

from panel.services.access import Actor


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str
    title: str
    icon: str
    section: str
    permissions: tuple[str, ...]  # any one of these, in any partnership
    in_menu: bool = True


PAGES: list[PageSpec] = [
    PageSpec("queue", "pages/queue.py", "Referral queue", ":material/inbox:", "Referrals",
             ("referral.read",)),
    PageSpec("referral", "pages/referral.py", "Referral", ":material/description:", "Referrals",
             ("referral.read",), in_menu=False),
    PageSpec("screening", "pages/screening.py", "Screening", ":material/fact_check:", "Referrals",
             ("referral.read",)),
    PageSpec("review", "pages/review.py", "Review", ":material/timeline:", "Reviews",
             ("review.read",), in_menu=False),
    PageSpec("make-referral", "pages/make_referral.py", "Make a referral", ":material/note_add:",
             "Referrals", ("referral.submit",)),
    PageSpec("review-types", "pages/review_types.py", "Review types", ":material/tune:", "Administration",
             ("review_type.manage",)),
    PageSpec("my-referrals", "pages/my_referrals.py", "My referrals", ":material/assignment_ind:",
             "Referrals", ("referral.read_own",)),
]


def visible_pages(actor: Actor) -> list[PageSpec]:
    pages = [p for p in PAGES if any(actor.can(perm) for perm in p.permissions)]
    if not pages:
        pages = [PageSpec("no-access", "pages/no_access.py", "No access", ":material/block:", "", ())]
    return pages
