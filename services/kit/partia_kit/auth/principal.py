"""Who is asking: a `Principal` (the user, and the roles they hold, each in an organisation) and the
`Role`s every Partia service knows (decision 141)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from partia_kit.auth.scope import WHOLE_PARTY, Scope


class Role(StrEnum):
    CLERK = "clerk"
    """Records applications and decisions of the bodies of their organisation and its subtree."""
    TREASURER = "treasurer"
    """Does for finance what a clerk does for the register."""
    AUDITOR = "auditor"
    """The control and audit commission (Ch. 11): reads everything, changes nothing."""
    OPERATIONS = "operations"
    """Runs the system (rebuilds, replays) and reads no personal data."""
    MEMBER = "member"
    """Sees their own record."""
    SERVICE = "service"
    """Another Partia service (finance, notifications): what that service needs, nothing more."""


@dataclass(frozen=True, slots=True)
class Grant:
    """A role held in an organisation (and so in its subtree). `organisation` None: the whole
    party, whatever its root's id (development tokens, and operations, which is not scoped)."""

    role: Role
    organisation: UUID | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request, as its bearer token says. `user` is recorded on every event the
    request causes."""

    user: str
    grants: frozenset[Grant] = frozenset()
    member_id: UUID | None = None
    """The member's own record, for a principal with the member role."""
    service: str | None = None
    """The service's name (finance, notifications), for a service account."""
    roles: frozenset[Role] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(g.role for g in self.grants))

    def organisations(self, role: Role) -> frozenset[UUID | None]:
        """Where `role` is held (None: the whole party): what object-level scoping starts from."""
        return frozenset(g.organisation for g in self.grants if g.role is role)

    def scope(self, roles: frozenset[Role], party: UUID | None = None) -> Scope:
        """Where this principal may use what `roles` grant: the whole party if one of those grants
        is party-wide (organisation None, or `party`: the party's own organisation, the central
        office's), else the union of the grants' subtrees."""
        held = [g.organisation for g in self.grants if g.role in roles]
        if any(organisation is None or organisation == party for organisation in held):
            return WHOLE_PARTY
        return Scope(frozenset(o for o in held if o is not None))


def development_principal(user: str) -> Principal:
    """What a static development token (PARTIA_API_TOKENS) stands for: every role, for the whole
    party (decision 143). Refused in production."""
    return Principal(user, frozenset(Grant(role) for role in Role if role is not Role.MEMBER))
