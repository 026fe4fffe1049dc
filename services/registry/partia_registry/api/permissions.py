"""Every operation of the registry and the permission it needs, in one table (decision 142), and
which roles hold each permission (decision 141). A role granted in an organisation holds it there
and below (decision 165): the path's member or organisation must lie in that subtree, or the
request gets 404 as for an unknown one; `whole_party` permissions need a party-wide grant. `Reader` and `Writer` check it on every request;
an operation missing here is refused to everyone, and `create_app` will not start with one."""

from __future__ import annotations

from partia_kit.auth import PUBLIC, Permission, Role
from partia_kit.http.access import permission_in

RECORD_DECISIONS = Permission("record-decisions", frozenset({Role.CLERK}))
"""Applications, and the decisions of a party body: admissions, withdrawals, transfers, sanctions,
organisations founded, renamed, moved, dissolved; erasure on a person's request."""

READ_MEMBER = Permission(
    "read-member-record", frozenset({Role.CLERK, Role.AUDITOR}), own_record=frozenset({Role.MEMBER})
)
"""One person's record and its history, with their personal data; a member their own only."""

READ_CONTACT = Permission(
    "read-member-contact", frozenset({Role.SERVICE}), services=frozenset({"notifications"})
)
"""A person's name, email and phone, to send them notices: the notifications service's account
only (issue 10 item 2); no IIN, no address."""

FIND_MEMBER_BY_IIN = Permission(
    "find-member-by-iin", frozenset({Role.SERVICE}), services=frozenset({"finance"})
)
"""Whose record holds an IIN (its id and status, nothing else): the finance service's account
only, to match a dues credit whose purpose names the payer's IIN (issue 12 item 5; decision
296)."""

CHANGE_LANGUAGE = Permission(
    "change-preferred-language", frozenset({Role.CLERK}), own_record=frozenset({Role.MEMBER})
)
"""The language a person's notices are written in: a clerk on their request, or the member
themselves (a preference, not a decision of a body)."""

READ_MEMBERS = Permission("read-members", frozenset({Role.CLERK, Role.AUDITOR}))
"""Rolls and lists of members (names, cards, cases, sanctions) of an organisation."""

READ_STRUCTURE = Permission("read-structure", frozenset({Role.CLERK, Role.TREASURER, Role.AUDITOR}))
"""The organisations of the tree (no personal data); a clerk or treasurer those of their part of
it, a treasurer to name the organisation a donation is received by."""

READ_REPORTS = Permission(
    "read-party-reports", frozenset({Role.CLERK, Role.AUDITOR}), whole_party=True
)
"""The structure and movements reports of the whole party (counts, no personal data), which the
Central Office builds (Ch. 4.3): a clerk or auditor whose grant covers the whole party."""

READ_EVENT_FEED = Permission("read-event-feed", frozenset({Role.AUDITOR}), whole_party=True)
"""The whole party's history as integration events (no personal data, but every member's
movements): the auditor's; services read the same from Kafka."""

READ_OPERATIONS = Permission("read-operations-status", frozenset({Role.OPERATIONS, Role.AUDITOR}))
"""The read model's position, lag and rebuilds."""

REBUILD_READ_MODEL = Permission("rebuild-read-model", frozenset({Role.OPERATIONS}))

READ_ACCESS_LOG = Permission("read-access-log", frozenset({Role.AUDITOR}), whole_party=True)
"""Who read whose personal data (the access log, decision 150): the control and audit
commission's (Ch. 11)."""

READ_OWN_ACCESS_LOG = Permission(
    "read-member-access-log", frozenset({Role.AUDITOR}), own_record=frozenset({Role.MEMBER})
)
"""Who looked at one member's data: the auditor's, and a member may ask about their own."""

OPERATIONS: dict[tuple[str, str], Permission] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/ready"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    # organisations (Ch. 4)
    ("POST", "/organisations"): RECORD_DECISIONS,
    ("GET", "/organisations"): READ_STRUCTURE,
    ("GET", "/organisations/{organisation_id}"): READ_STRUCTURE,
    ("POST", "/organisations/{organisation_id}/rename"): RECORD_DECISIONS,
    ("POST", "/organisations/{organisation_id}/move"): RECORD_DECISIONS,
    ("POST", "/organisations/{organisation_id}/dissolve"): RECORD_DECISIONS,
    ("GET", "/organisations/{organisation_id}/members"): READ_MEMBERS,
    ("GET", "/organisations/{organisation_id}/roll"): READ_MEMBERS,
    ("GET", "/organisations/{organisation_id}/overdue-residence"): READ_MEMBERS,
    ("GET", "/organisations/{organisation_id}/disciplinary-cases"): READ_MEMBERS,
    ("GET", "/organisations/{organisation_id}/sanctions"): READ_MEMBERS,
    # membership (Ch. 3)
    ("POST", "/applications"): RECORD_DECISIONS,
    ("GET", "/members/{member_id}"): READ_MEMBER,
    ("GET", "/members/{member_id}/history"): READ_MEMBER,
    ("GET", "/members/{member_id}/contact"): READ_CONTACT,
    ("POST", "/members/lookup"): FIND_MEMBER_BY_IIN,
    ("POST", "/members/{member_id}/preferred-language"): CHANGE_LANGUAGE,
    ("POST", "/members/{member_id}/admission"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/rejection"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/withdrawal"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/termination"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/erasure"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/residence-changes"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/transfer-request"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/transfer"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/mandates"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/mandates/{mandate_id}/end"): RECORD_DECISIONS,
    # discipline (Ch. 3.8, 5.1)
    ("POST", "/members/{member_id}/disciplinary-cases"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/disciplinary-cases/{case_id}/dismissal"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/sanctions"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/sanctions/{sanction_id}/appeals"): RECORD_DECISIONS,
    ("POST", "/members/{member_id}/sanctions/{sanction_id}/appeal-decision"): RECORD_DECISIONS,
    # reports (Ch. 4.3) and the event feed
    ("GET", "/reports/structure"): READ_REPORTS,
    ("GET", "/reports/movements"): READ_REPORTS,
    ("GET", "/events"): READ_EVENT_FEED,
    # operations
    ("GET", "/access-log"): READ_ACCESS_LOG,
    ("GET", "/members/{member_id}/access-log"): READ_OWN_ACCESS_LOG,
    ("GET", "/read-model"): READ_OPERATIONS,
    ("POST", "/read-model/rebuild"): REBUILD_READ_MODEL,
}


def permission_of(method: str, path: str) -> Permission:
    """`path`: the route's template, as the OpenAPI document writes it."""
    return permission_in(OPERATIONS, method, path)
