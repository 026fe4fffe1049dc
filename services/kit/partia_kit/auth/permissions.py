"""What an operation needs: each service declares one `Permission` per operation in one table, and
one check (`authorise`) applies it on every request (decision 142)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from partia_kit.auth.principal import Principal, Role
from partia_kit.auth.scope import WHOLE_PARTY, Scope
from partia_kit.http.problems import ApiProblem


@dataclass(frozen=True, slots=True)
class Permission:
    name: str
    roles: frozenset[Role]
    """Roles that may use the operation."""
    own_record: frozenset[Role] = field(default=frozenset())
    """Roles that may use it only on their own record: the path's `member_id` must be the
    principal's `member_id` (a member reading their own record)."""
    public: bool = False
    """No token needed (/health, /ready, /metrics)."""
    whole_party: bool = False
    """Only for a grant over the whole party (the structure report, the event feed, the access
    log): a principal scoped to part of the party is refused it (decision 165)."""
    services: frozenset[str] = field(default=frozenset())
    """With the service role among `roles`: the services whose accounts may use it (a service
    reads only what it needs: notifications a person's contact, finance nothing of the kind)."""

    def describe(self) -> str:
        if self.public:
            return "public: no token needed"
        who = sorted(
            f"{r.value} ({', '.join(sorted(self.services))})"
            if r is Role.SERVICE and self.services
            else r.value
            for r in self.roles
        )
        own = sorted(f"{r.value} (own record only)" for r in self.own_record)
        return ", ".join(who + own) or "nobody yet"


PUBLIC = Permission("public", frozenset(), public=True)


def authorise(
    principal: Principal, permission: Permission, path: Mapping[str, str], party: UUID | None = None
) -> Scope:
    """Where the principal may use `permission` (their `Scope`, for the object-level checks that
    follow; a grant in `party`, the party's own organisation, covers it all), or refuse: 403,
    naming the permission, to a principal none of whose roles grants it; 404 to one whose role
    grants it on their own record only, for anyone else's record, as an unknown one would get (it
    tells nobody whose records exist)."""
    if permission.public:
        return WHOLE_PARTY
    granted = principal.roles & permission.roles
    if Role.SERVICE in granted and principal.service not in permission.services:
        granted -= {Role.SERVICE}  # another service's account
    if granted:
        scope = principal.scope(granted, party)
        if permission.whole_party and not scope.whole_party:
            raise ApiProblem(
                403,
                "Forbidden",
                f"{permission.name!r} covers the whole party, and your grants cover "
                f"{scope.describe()} only",
                rule="whole-party-scope-required",
                extra={"permission": permission.name},
            )
        return scope
    if principal.roles & permission.own_record:
        if principal.member_id is not None and _same(principal.member_id, path.get("member_id")):
            return WHOLE_PARTY  # their own record, wherever it is
        raise ApiProblem(
            404,
            "Not found",
            f"no member {path.get('member_id')} among the records you may see",
            rule="not-found",
        )
    raise ApiProblem(
        403,
        "Forbidden",
        f"this operation needs the permission {permission.name!r}, which only "
        f"{permission.describe()} hold(s); your roles: "
        f"{', '.join(sorted(r.value for r in principal.roles)) or 'none'}",
        rule="permission-required",
        extra={"permission": permission.name},
    )


def _same(member_id: UUID, given: str | None) -> bool:
    try:
        return given is not None and UUID(given) == member_id
    except ValueError:
        return False
