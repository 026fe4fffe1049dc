"""Issue 11's remaining figures and duties: receipts pre-summed per month, organisation, fund and
donor kind (decision 245), kept by triggers on the donation index in the transaction that writes
it, so the annual statement (Ch. 12.10) and the monthly receipts (Ch. 12.4) read a few thousand
rows instead of half a million; two indexes that find what was decided or found after a date (the
correction that keeps those reports exact as of any date); and finance's own access log of who
read a donor's name (`partia_kit.access_log`, decision 247) with the name columns it guards.

Revision ID: f0004
Revises: f0003
"""

from __future__ import annotations

from alembic import op

from partia_kit.access_log import create_statements
from partia_kit.migrate import quote

revision = "f0004"
down_revision = "f0003"
branch_labels = None
depends_on = None

ACCESS_LOG = "finance_access_log"

# A donation's share of the totals "as of the end of time": the annual statement's figures for a
# row decided at some point and (for `accepted`) not found impermissible. The reports subtract
# what was decided or found after their date (`FinanceQueries`), which keeps them exact.
_SHARE = (
    "date_trunc('month', credited_on::timestamp)::date, organisation_id, fund, donor_kind,"
    " {sign} (decided_on IS NOT NULL)::int,"
    " {sign} (accepted_tiyn > 0 AND decided_on IS NOT NULL AND found_on IS NULL)::int,"
    " {sign} CASE WHEN decided_on IS NOT NULL AND found_on IS NULL THEN accepted_tiyn ELSE 0 END,"
    " {sign} (status = 'rejected' AND decided_on IS NOT NULL)::int,"
    " {sign} CASE WHEN status = 'rejected' AND decided_on IS NOT NULL THEN amount_tiyn ELSE 0 END"
)


def _adding(totals: str, shares: str) -> str:
    """Add the summed shares to the totals; ordered, so two writers lock rows in one order."""
    return (
        f"INSERT INTO {totals} (credited_month, organisation_id, fund, donor_kind, decided,"
        " accepted, accepted_tiyn, rejected, rejected_tiyn)"
        " SELECT m, o, f, k, sum(d), sum(a), sum(at), sum(r), sum(rt)"
        f" FROM ({shares}) s(m, o, f, k, d, a, at, r, rt) GROUP BY m, o, f, k"
        " HAVING sum(d) <> 0 OR sum(a) <> 0 OR sum(at) <> 0 OR sum(r) <> 0 OR sum(rt) <> 0"
        " ORDER BY m, o, f, k"
        " ON CONFLICT (credited_month, organisation_id, fund, donor_kind) DO UPDATE SET"
        f" decided = {totals}.decided + excluded.decided,"
        f" accepted = {totals}.accepted + excluded.accepted,"
        f" accepted_tiyn = {totals}.accepted_tiyn + excluded.accepted_tiyn,"
        f" rejected = {totals}.rejected + excluded.rejected,"
        f" rejected_tiyn = {totals}.rejected_tiyn + excluded.rejected_tiyn"
    )


def _trigger_statements(s: str) -> list[str]:
    totals = f"{s}.finance_receipt_totals"
    index = f"{s}.finance_donation_index"
    new = f"SELECT {_SHARE.format(sign='')} FROM new_rows"
    old = f"SELECT {_SHARE.format(sign='-')} FROM old_rows"
    found = []
    for name, event, referencing, shares in (
        ("inserted", "INSERT", "NEW TABLE AS new_rows", new),
        (
            "updated",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            f"{new} UNION ALL {old}",
        ),
        ("deleted", "DELETE", "OLD TABLE AS old_rows", old),
    ):
        function = f"{s}.finance_receipt_totals_{name}"
        found += [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {_adding(totals, shares)}; RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS finance_receipt_totals_{name} ON {index}",
            f"CREATE TRIGGER finance_receipt_totals_{name} AFTER {event} ON {index}"
            f" REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    return found


def upgrade(schema: str) -> None:
    s = quote(schema)
    for statement in (
        # --- donations-finish: the pre-summed receipts (decision 245) ---
        f"CREATE TABLE IF NOT EXISTS {s}.finance_receipt_totals ("
        " credited_month date NOT NULL, organisation_id uuid NOT NULL, fund text NOT NULL,"
        " donor_kind text NOT NULL, decided bigint NOT NULL, accepted bigint NOT NULL,"
        " accepted_tiyn bigint NOT NULL, rejected bigint NOT NULL, rejected_tiyn bigint NOT NULL,"
        " PRIMARY KEY (credited_month, organisation_id, fund, donor_kind))",
        # what was decided, or found impermissible, after a report's date: subtracted
        f"CREATE INDEX IF NOT EXISTS finance_donation_index_decided"
        f" ON {s}.finance_donation_index (decided_on) WHERE decided_on IS NOT NULL",
        f"CREATE INDEX IF NOT EXISTS finance_donation_index_found"
        f" ON {s}.finance_donation_index (found_on) WHERE found_on IS NOT NULL",
        *_trigger_statements(s),
        # the rows written before the triggers existed, once (a second run finds totals there)
        _adding(
            f"{s}.finance_receipt_totals",
            f"SELECT {_SHARE.format(sign='')} FROM {s}.finance_donation_index"
            f" WHERE NOT EXISTS (SELECT FROM {s}.finance_receipt_totals)",
        ),
        # --- donations-finish: donors' names in the register, and who read them (decision 247) ---
        # a person's full name sealed with the donation's key (erasure makes it unreadable and
        # clears it); an organisation's name is not personal data
        f"ALTER TABLE {s}.finance_donation_index ADD COLUMN IF NOT EXISTS donor_name_sealed bytea,"
        " ADD COLUMN IF NOT EXISTS donor_name text",
        *create_statements(schema, ACCESS_LOG),
    ):
        op.execute(statement)


def downgrade(schema: str) -> None:
    s = quote(schema)
    for name in ("inserted", "updated", "deleted"):
        op.execute(
            f"DROP TRIGGER IF EXISTS finance_receipt_totals_{name} ON {s}.finance_donation_index"
        )
        op.execute(f"DROP FUNCTION IF EXISTS {s}.finance_receipt_totals_{name}()")
    op.execute(f"DROP TABLE IF EXISTS {s}.finance_receipt_totals")
    op.execute(f"DROP INDEX IF EXISTS {s}.finance_donation_index_decided")
    op.execute(f"DROP INDEX IF EXISTS {s}.finance_donation_index_found")
    op.execute(
        f"ALTER TABLE {s}.finance_donation_index DROP COLUMN IF EXISTS donor_name_sealed,"
        " DROP COLUMN IF EXISTS donor_name"
    )
    # the access log is kept: an auditor's record is not undone
