"""Who may do what, where: one table, checked by every service call.

tests/test_access_matrix.py checks the table whole: every service call, every role, own and other
partnership; docs/access.md is generated from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from panel.core.errors import PermissionDenied

ROLES = ("admin", "chair", "member", "manager", "referrer")
ROLE_LABELS = {
    "admin": "Administrator",
    "chair": "Panel chair",
    "member": "Panel member",
    "manager": "Business manager",
    "referrer": "Referrer",
}

PANEL = frozenset({"chair", "member", "manager"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "referral.submit": frozenset({"referrer", "chair", "member", "manager"}),
    "referral.read": PANEL,  # every referral of the partnership
    "referral.read_own": frozenset({"referrer"}),  # only those they submitted
    "referral.triage": frozenset({"chair", "member"}),
    "referral.link": frozenset({"chair", "member"}),
    "referral.export": PANEL,
    "screening.edit": frozenset({"chair", "member"}),
    "notification.record": frozenset({"chair", "member", "manager"}),
    "decision.record": frozenset({"chair", "member"}),
    "decision.sign": frozenset({"chair"}),
    "review.read": PANEL,
    "review.edit": frozenset({"chair", "manager"}),
    "family.read": frozenset({"chair", "manager"}),  # the family's involvement: those who run reviews
    "family.record": frozenset({"chair", "manager"}),
    "review_type.manage": frozenset({"admin"}),
    "report.timeliness": PANEL,
    "learning.read": PANEL,
    "learning.edit": frozenset({"chair", "member", "manager"}),
    "learning.accept": frozenset({"chair", "manager"}),  # a recommendation for the partnership (docs/domain.md §7.1)
    "action.close": frozenset({"chair", "manager"}),
    # The briefing library (docs/domain.md §7.3): published briefings are anonymised learning for
    # every partner user; those who run reviews approve and publish them.
    "briefing.read": frozenset({"chair", "member", "manager", "referrer"}),
    "briefing.approve": frozenset({"chair", "manager"}),
    # A review's documents (docs/domain.md §11): every partner user may open what is shared with
    # them (each document says who may see it); the panel adds and replaces them; those who run
    # reviews change who may see one and accept the final report's check findings.
    "document.read": frozenset({"chair", "member", "manager", "referrer"}),
    "document.upload": PANEL,
    "document.manage": frozenset({"chair", "manager"}),
    "meeting.run": frozenset({"chair"}),
    "audit.read": frozenset({"admin"}),
    "user.manage": frozenset({"admin"}),
    "agency.manage": frozenset({"admin"}),  # the installation's agencies, shared by its partnerships
    "data.import": frozenset({"admin"}),
    "retention.view": frozenset({"admin"}),  # what is due for review or deletion
    "retention.apply": frozenset({"admin"}),  # delete / anonymise what is due (audited)
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the services see them: roles are held per partnership."""

    user_id: int | None
    username: str
    name: str
    roles: dict[int, frozenset[str]] = field(default_factory=dict)
    is_regional: bool = False
    is_system: bool = False
    # The user's presentation-mode preference, read from their row with the sign-in on every run.
    # Not access: pages hide child identifiers when it is on; services do not look at it.
    presenting: bool = False
    # A temporary password given by an administrator: the pages show only the form to change it.
    must_change_password: bool = False

    def can(self, permission: str, partnership_id: int | None = None) -> bool:
        if self.is_system:
            return True
        allowed = PERMISSIONS[permission]
        if partnership_id is None:
            return any(allowed & r for r in self.roles.values())
        return bool(allowed & self.roles.get(partnership_id, frozenset()))

    def partnerships_with(self, permission: str, among: list[int] | None = None) -> list[int]:
        """The partnerships where the actor holds `permission`; with `among` (a page's partnership
        filter), only those of them, so a filter can narrow what a list shows but never widen it.
        An empty filter means every partnership the actor may see."""
        allowed = PERMISSIONS[permission]
        return sorted(p for p, r in self.roles.items() if allowed & r and (not among or p in among))

    def require(self, permission: str, partnership_id: int | None = None) -> None:
        if not self.can(permission, partnership_id):
            raise PermissionDenied("You do not have permission to do that.")

    def manages_account(self, reaches: set[int]) -> bool:
        """Whether this actor may manage an account that can act in the partnerships `reaches`
        (where it holds a role; every partnership for a regional account).

        Only if they administer every one of them: whoever controls an account (a temporary
        password, roles, unlocking) can act as it. An account that reaches no partnership opens
        nothing: any administrator may manage it (and give it roles in their own partnerships).
        """
        if self.is_system:
            return True
        mine = set(self.partnerships_with("user.manage"))
        return bool(mine) and reaches <= mine

    def all_roles(self) -> set[str]:
        return set().union(*self.roles.values()) if self.roles else set()

    @property
    def scope_key(self) -> tuple:
        """Hashable identity for caches: a cache keyed on this never crosses users' access."""
        return (self.user_id, tuple(sorted((p, tuple(sorted(r))) for p, r in self.roles.items())))


SYSTEM = Actor(user_id=None, username="system", name="System (command line)", is_system=True)


def roles_map(rows: Iterable[tuple[int, str]]) -> dict[int, frozenset[str]]:
    out: dict[int, set[str]] = {}
    for partnership_id, role in rows:
        out.setdefault(partnership_id, set()).add(role)
    return {p: frozenset(r) for p, r in out.items()}
