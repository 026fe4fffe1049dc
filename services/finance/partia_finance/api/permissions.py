"""Every operation of the finance service and the permission it needs, in one table (decision 142,
as the registry's `partia_registry.api.permissions`), and which roles hold each permission (issue 11
item 1; decision 192). A treasurer acts for the organisations of their subtree: a donation's
receiving organisation must lie in it (decision 165), else 404 as for an unknown donation. The
auditor (the control and audit commission, Ch. 11, 12.3) reads everything and changes nothing;
operations reads no personal data (no donor's name or IIN); a member nothing yet. An operation
missing here is refused to everyone, and `create_app` will not start with one."""

from __future__ import annotations

from partia_kit.auth import PUBLIC, Permission, Role
from partia_kit.http.access import Operations

RECORD_DONATIONS = Permission("record-donations", frozenset({Role.TREASURER}))
"""Donations received (from the bank statement), their evidence, the decisions on them, and the
settlement of the return obligations they open."""

READ_DONATIONS = Permission("read-donations", frozenset({Role.TREASURER, Role.AUDITOR}))
"""Donations with their donors (personal data: a person's name and IIN), decisions and the rules
checked; return obligations."""

READ_REPORTS = Permission("read-finance-reports", frozenset({Role.TREASURER, Role.AUDITOR}))
"""Registers and statements in figures (no personal data), of the reader's organisations."""

READ_ACCESS_LOG = Permission("read-finance-access-log", frozenset({Role.AUDITOR}), whole_party=True)
"""Who read which donor's personal data (decision 247): the control and audit commission's."""

RECORD_DUES = Permission("record-dues", frozenset({Role.TREASURER}))
"""Members' dues categories (with their evidence), payments and reversals (Ch. 10.4: the PPO
bureau collects dues); a treasurer of the member's PPO or of an organisation above it."""

READ_DUES = Permission("read-dues", frozenset({Role.TREASURER, Role.AUDITOR}))
"""A member's statement of account and arrears (rate classes, never the declared category)."""

OPERATIONS: Operations = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/ready"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    # donations (DOMAIN §6; Constitution Art. 6(4), Law Art. 18(2))
    ("POST", "/donations"): RECORD_DONATIONS,
    ("GET", "/donations"): READ_DONATIONS,
    ("GET", "/donations/{donation_id}"): READ_DONATIONS,
    ("POST", "/donations/{donation_id}/evidence"): RECORD_DONATIONS,
    ("POST", "/donations/{donation_id}/erasure"): RECORD_DONATIONS,
    ("POST", "/donations/{donation_id}/finding"): RECORD_DONATIONS,
    # bank statements (issue 11 item 8)
    ("POST", "/statements"): RECORD_DONATIONS,
    # registers and reports (issue 11 item 7)
    ("GET", "/reports/annual-statement"): READ_REPORTS,
    ("GET", "/reports/monthly-receipts"): READ_REPORTS,
    ("GET", "/reports/refused-donations"): READ_REPORTS,
    # per donor (a digest of the IIN or BIN): figures; the names only with read-donations
    ("GET", "/reports/donors"): READ_REPORTS,
    # dues reports (issue 12 item 6): figures per organisation; per member, card numbers only
    ("GET", "/reports/dues-arrears"): READ_REPORTS,
    ("GET", "/reports/dues-arrears/members"): READ_REPORTS,
    ("GET", "/reports/dues-collected"): READ_REPORTS,
    ("GET", "/reports/dues-undeclared"): READ_REPORTS,
    # return obligations
    ("GET", "/obligations"): READ_DONATIONS,
    ("POST", "/obligations/{obligation_id}/settlement"): RECORD_DONATIONS,
    # who read donors' personal data (decision 247)
    ("GET", "/access-log"): READ_ACCESS_LOG,
    # membership dues (Ch. 12.2, 3.2, 5.2, 10.4; issue 12)
    ("POST", "/members/{member_id}/dues/categories"): RECORD_DUES,
    ("POST", "/members/{member_id}/dues/payments"): RECORD_DUES,
    ("POST", "/members/{member_id}/dues/payments/{payment_id}/reversal"): RECORD_DUES,
    ("GET", "/members/{member_id}/dues/statement"): READ_DUES,
    ("GET", "/members/{member_id}/dues/arrears"): READ_DUES,
}
