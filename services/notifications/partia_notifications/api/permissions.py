"""Every operation of the notifications service and the permission it needs, in one table
(decision 142, as the registry's and finance's). The delivery log shows whether, when and in which
language a member was told: the auditors' (the control and audit commission, Ch. 11) and the
central office's clerks'; resending a failed notice is a clerk's or operations' act. No personal
data is shown: recipients are member ids. An operation missing here is refused to everyone, and
`create_app` will not start with one."""

from __future__ import annotations

from partia_kit.auth import PUBLIC, Permission, Role
from partia_kit.http.access import Operations

READ_DELIVERIES = Permission(
    "read-deliveries", frozenset({Role.AUDITOR, Role.CLERK}), whole_party=True
)
"""The delivery log: which notices went to whom (by member id), when, in which language."""

RESEND_NOTICES = Permission(
    "resend-notices", frozenset({Role.CLERK, Role.OPERATIONS}), whole_party=True
)
"""Queue a failed notice again."""

READ_PREFERENCES = Permission(
    "read-preferences",
    frozenset({Role.CLERK, Role.AUDITOR}),
    own_record=frozenset({Role.MEMBER}),
    whole_party=True,
)
"""A member's choices of notices: theirs, or anyone's for the central office and the auditors."""

CHANGE_PREFERENCES = Permission(
    "change-preferences",
    frozenset({Role.CLERK}),
    own_record=frozenset({Role.MEMBER}),
    whole_party=True,
)
"""Opt in or out of reminders and information: the member, or a clerk on their written request."""

READ_BODY_ADDRESSES = Permission(
    "read-body-addresses",
    frozenset({Role.CLERK, Role.AUDITOR, Role.OPERATIONS}),
    whole_party=True,
)
"""Where the party bodies' notices go: office mailboxes, not personal data (decision 303)."""

CONFIGURE_BODY_ADDRESSES = Permission(
    "configure-body-addresses", frozenset({Role.CLERK, Role.OPERATIONS}), whole_party=True
)
"""Set or remove a body's address: the central office's clerks or operations, like resending."""

OPERATIONS: Operations = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/ready"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/members/{member_id}/deliveries"): READ_DELIVERIES,
    ("GET", "/events/{event_id}/deliveries"): READ_DELIVERIES,
    ("GET", "/deliveries/{notice_id}"): READ_DELIVERIES,
    ("POST", "/deliveries/{notice_id}/resend"): RESEND_NOTICES,
    ("GET", "/members/{member_id}/preferences"): READ_PREFERENCES,
    ("PUT", "/members/{member_id}/preferences"): CHANGE_PREFERENCES,
    ("GET", "/bodies/{organisation_id}/addresses"): READ_BODY_ADDRESSES,
    ("GET", "/bodies/{organisation_id}/addresses/{role}"): READ_BODY_ADDRESSES,
    ("PUT", "/bodies/{organisation_id}/addresses/{role}"): CONFIGURE_BODY_ADDRESSES,
    ("DELETE", "/bodies/{organisation_id}/addresses/{role}"): CONFIGURE_BODY_ADDRESSES,
}
