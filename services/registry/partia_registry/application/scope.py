"""Object-level access for commands: a clerk acts only in their part of the party (issue 10;
decision 165).

A clerk's `Scope` covers the subtrees of the organisations their grants name. A command is within
it when
- the record it acts on lies in scope: a member's current organisation, or an organisation itself
  (the one named in the path, the parent a new unit is founded under, the PPO an application is
  made to, the new parent of a move); a member or organisation outside it is reported as not
  found, exactly as an unknown one (nobody learns what exists elsewhere);
- the body whose decision it records belongs to an organisation in scope (a clerk records
  decisions on behalf of the bodies of their organisation and its subtree): otherwise 403,
  naming the field.

Two readings a newcomer might question (decision 166): a transfer has two sides (DOMAIN.md §3).
The sending side requests it (the member must be in scope; the receiving PPO need not be), the
receiving side registers it (the PPO it goes to must be in scope; where the member is now need
not be). An appeal is filed to a higher body, usually outside the clerk's subtree: only the member
must be in scope to record the filing; the body that decides it records the decision.

Runs inside the unit of work, on the records the handler loads anyway: no extra round trip.
"""

from __future__ import annotations

from uuid import UUID

from partia_kit.auth import Scope
from partia_registry.application import commands as c
from partia_registry.application.ports import UnitOfWork
from partia_registry.domain.rules import NotFound


class OutOfScope(Exception):
    """The command names an organisation or body outside the actor's scope."""

    rule = "outside-your-organisations"

    def __init__(self, field: str, organisation_id: UUID, scope: Scope) -> None:
        super().__init__(
            f"{field}: organisation {organisation_id} is outside your organisations "
            f"({scope.describe()})"
        )
        self.field = field
        self.organisation_id = organisation_id


def chain(uow: UnitOfWork, organisation_id: UUID) -> list[UUID]:
    """The organisation and every one above it, up to the party."""
    found: list[UUID] = []
    next_id: UUID | None = organisation_id
    while next_id is not None:
        found.append(next_id)
        next_id = uow.organisation(next_id).parent_id
    return found


def check_within_scope(cmd: c.Command, uow: UnitOfWork) -> None:
    scope = cmd.scope
    if scope.whole_party:
        return
    _check_subject(cmd, uow, scope)
    decision = getattr(cmd, "decision", None)
    if decision is not None:
        _require(uow, scope, decision.body.organisation_id, "decision.body.organisation_id")


def _check_subject(cmd: c.Command, uow: UnitOfWork, scope: Scope) -> None:
    member_id: UUID | None = getattr(cmd, "member_id", None)
    if member_id is not None:
        member = uow.member(member_id)
        where = member.organisation_id
        if isinstance(cmd, c.RegisterTransfer) and member.pending_transfer is not None:
            where = member.pending_transfer.to_organisation_id  # the receiving side registers
        if not _covers(uow, scope, where):
            raise NotFound("member", member_id)
        return
    if isinstance(cmd, c.CreateOrganisation):
        _require(uow, scope, cmd.parent_id, "parent_id")
    elif isinstance(cmd, c.SubmitApplication):
        _require(uow, scope, cmd.organisation_id, "organisation_id")
    elif isinstance(cmd, c.RenameOrganisation | c.MoveOrganisation | c.DissolveOrganisation):
        if not _covers(uow, scope, cmd.organisation_id):
            raise NotFound("organisation", cmd.organisation_id)
        if isinstance(cmd, c.MoveOrganisation):
            _require(uow, scope, cmd.to_parent_id, "to_parent_id")
    else:  # a new kind of command must say here what it acts on before a scoped clerk may use it
        raise NotImplementedError(f"no scope rule for {type(cmd).__name__}")


def _require(uow: UnitOfWork, scope: Scope, organisation_id: UUID, field: str) -> None:
    if not _covers(uow, scope, organisation_id):
        raise OutOfScope(field, organisation_id, scope)


def _covers(uow: UnitOfWork, scope: Scope, organisation_id: UUID) -> bool:
    """Unknown organisations count as covered: the handler reports them as unknown, as it would
    for anyone."""
    try:
        return scope.covers(chain(uow, organisation_id))
    except NotFound:
        return True
