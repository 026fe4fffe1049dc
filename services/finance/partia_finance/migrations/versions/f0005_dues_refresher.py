"""The dues positions of a large catch-up are refreshed beside the consumer, not inside it
(decision 309): a statement on the membership spells or the dues categories that touches at most
`IN_TRANSACTION` members refreshes their positions in its own transaction, as before; a larger
one (a consumer catching up on the registry's history, a bulk load) only queues the members in
`finance_dues_stale` and wakes the dues refresher (`partia_finance.adapters.postgres.
dues_refresher`), which refreshes them in batches of its own.

Every refresh takes one lock per schema first, so two refreshes of one member never compute from
snapshots that miss each other's changes (the later writer would otherwise overwrite the earlier
with a schedule computed without it); a member queued while a refresh runs stays queued for the
next one. A small statement that finds the lock taken (the refresher is at work) queues its
members too rather than wait for it.

Revision ID: f0005
Revises: f0004
"""

from __future__ import annotations

from alembic import op

from partia_finance.migrations.versions.f0003_dues import SCHEDULES
from partia_kit.migrate import quote

revision = "f0005"
down_revision = "f0004"
branch_labels = None
depends_on = None

IN_TRANSACTION = 100
"""The most members a statement refreshes in its own transaction: a live event touches one, a
poll of a consumer catching up thousands."""


def channel(schema: str) -> str:
    """The notification channel the dues refresher listens on (at most 63 bytes, PostgreSQL's
    limit: two long schema names may share one, which only wakes a refresher for nothing)."""
    return f"finance_dues_stale_{schema}".encode()[:63].decode(errors="ignore")


def upgrade(schema: str) -> None:
    s = quote(schema)
    lock = f"pg_advisory_xact_lock(hashtext({_literal(schema + '.finance_dues_refresh')}))"
    try_lock = lock.replace("pg_advisory_xact_lock", "pg_try_advisory_xact_lock")
    wake = f"pg_notify({_literal(channel(schema))}, '')"
    statements = [
        _REFRESH.replace("{s}", s),
        f"CREATE TABLE IF NOT EXISTS {s}.finance_dues_stale ("
        " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, member_id uuid NOT NULL)",
        # The refresh every writer calls: the schema's lock, then the computation (below), whose
        # statements see whatever was committed before the lock was granted.
        f"CREATE OR REPLACE FUNCTION {s}.finance_dues_refresh_locked(members uuid[])"
        f" RETURNS void LANGUAGE plpgsql AS $body$ BEGIN PERFORM {lock};"
        f" PERFORM {s}.finance_dues_refresh(members); END $body$",
        # The refresher's step: the oldest `batch` queued entries, taken out and refreshed in one
        # transaction; the number of members refreshed.
        f"CREATE OR REPLACE FUNCTION {s}.finance_dues_refresh_queued(batch integer)"
        f" RETURNS integer LANGUAGE plpgsql AS $body$ DECLARE members uuid[]; BEGIN"
        f" IF NOT EXISTS (SELECT FROM {s}.finance_dues_stale) THEN RETURN 0; END IF;"
        f" PERFORM {lock};"
        f" WITH gone AS (DELETE FROM {s}.finance_dues_stale WHERE id IN (SELECT id FROM"
        f" {s}.finance_dues_stale ORDER BY id LIMIT batch) RETURNING member_id)"
        f" SELECT coalesce(array_agg(DISTINCT member_id), '{{}}') INTO members FROM gone;"
        f" IF cardinality(members) > 0 THEN PERFORM {s}.finance_dues_refresh(members); END IF;"
        f" RETURN cardinality(members); END $body$",
    ]
    for table in ("finance_membership_spells", "finance_dues_categories"):
        for event, members in _TOUCHED.items():
            statements.append(
                f"CREATE OR REPLACE FUNCTION {s}.{table}_dues_{event}() RETURNS trigger"
                f" LANGUAGE plpgsql AS $body$ DECLARE members uuid[] := array({members}); BEGIN"
                f" IF cardinality(members) <= {IN_TRANSACTION} THEN"  # nested: the lock last
                f" IF {try_lock} THEN PERFORM {s}.finance_dues_refresh(members); RETURN NULL;"
                f" END IF; END IF;"
                f" INSERT INTO {s}.finance_dues_stale (member_id) SELECT unnest(members);"
                f" PERFORM {wake}; RETURN NULL; END $body$"
            )
    for statement in statements:
        op.execute(statement)


# f0003's computation of the schedule, by runs of months instead of month by month: the result
# is the same (tests/finance/adapters: the SQL equals the domain and the oracle), at a few rows a
# stint instead of one a month. Every month between two of a stint's breakpoints is alike: the same
# PPO, first day of membership (the month's first), MCI and category, and no entrance fee. The
# breakpoints: each stint's first and second month and an open stint's horizon (from it on, months
# are alike: f0003), the months from which an MCI rate or one of the member's categories applies
# (the first month starting on or after its date), all of them for every stint of the member (a
# transfer's month belongs to two); a run also ends where its stint does.
_REFRESH = (
    """
CREATE OR REPLACE FUNCTION {s}.finance_dues_refresh(members uuid[]) RETURNS void
LANGUAGE sql AS $body$
WITH spells AS (
  SELECT sp.member_id, sp.organisation_id, sp.from_on, sp.until_on,
    date_trunc('month', sp.from_on)::date AS m0,
    CASE WHEN sp.opened_by = 'admission' AND coalesce(a.category, 'working') = 'working'
    THEN 1 ELSE 0 END AS fees,
    (date_trunc('month', greatest(r.last, cl.last,
      max(sp.from_on) OVER (PARTITION BY sp.member_id))) + interval '1 month')::date AS horizon
  FROM {s}.finance_membership_spells sp
  CROSS JOIN (SELECT max(effective_from) AS last FROM {s}.finance_dues_mci) r
  LEFT JOIN LATERAL (SELECT category FROM {s}.finance_dues_categories
    WHERE member_id = sp.member_id AND effective_from <= sp.from_on
    ORDER BY effective_from DESC LIMIT 1) a ON true
  LEFT JOIN LATERAL (SELECT max(effective_from) AS last FROM {s}.finance_dues_categories
    WHERE member_id = sp.member_id) cl ON true
  WHERE sp.member_id = ANY(members) AND (sp.until_on IS NULL OR sp.until_on > sp.from_on)
),
bounded AS (
  SELECT sp.*, CASE WHEN sp.until_on IS NULL THEN (sp.horizon + interval '1 month')::date
    ELSE (date_trunc('month', sp.until_on - 1) + interval '1 month')::date END AS stop
  FROM spells sp
),
points AS (  -- the member's breakpoints: every stint's, since stints share a transfer's month
  SELECT DISTINCT sp.member_id, c.month
  FROM bounded sp CROSS JOIN LATERAL (
    SELECT sp.m0 AS month
    UNION ALL SELECT (sp.m0 + interval '1 month')::date
    UNION ALL SELECT sp.horizon WHERE sp.until_on IS NULL
    UNION ALL SELECT (date_trunc('month', effective_from - 1) + interval '1 month')::date
      FROM {s}.finance_dues_mci
    UNION ALL SELECT (date_trunc('month', effective_from - 1) + interval '1 month')::date
      FROM {s}.finance_dues_categories WHERE member_id = sp.member_id
  ) c
),
months AS (
  SELECT sp.member_id, sp.organisation_id, sp.from_on, sp.stop, p.month,
    sp.until_on IS NULL AND p.month = sp.horizon AS open_end,
    CASE WHEN p.month = sp.m0 THEN sp.fees ELSE 0 END AS fees
  FROM bounded sp
  JOIN points p ON p.member_id = sp.member_id AND p.month >= sp.m0 AND p.month < sp.stop
),
facts AS (  -- the month's PPO on its last day of membership; its first day of membership
  SELECT DISTINCT ON (member_id, month) member_id, month, organisation_id, open_end,
    min(greatest(month, from_on)) OVER w AS first_day, sum(fees) OVER w AS fees,
    max(stop) OVER w AS stop
  FROM months WINDOW w AS (PARTITION BY member_id, month)
  ORDER BY member_id, month, from_on DESC
),
ends AS (  -- the months alike from this one: up to the next breakpoint or the end of the stint
  SELECT f.*, least(coalesce(lead(f.month) OVER w, f.stop), f.stop) AS until_month
  FROM facts f WINDOW w AS (PARTITION BY f.member_id ORDER BY f.month)
),
runs AS (
  SELECT e.*, (extract(year FROM month) * 12 + extract(month FROM month) - 1)::integer AS number,
    ((extract(year FROM until_month) - extract(year FROM month)) * 12
      + extract(month FROM until_month) - extract(month FROM month))::integer AS n
  FROM ends e
),
priced AS (
  SELECT f.*,
    CASE coalesce(c.category, 'working') WHEN 'working' THEN r.kzt * 10
      WHEN 'student' THEN r.kzt ELSE 0 END AS rate,
    c.monthly_tiyn, f.fees * r.kzt * 10 AS fee
  FROM runs f
  CROSS JOIN LATERAL (SELECT kzt::bigint FROM {s}.finance_dues_mci
    WHERE effective_from <= f.month ORDER BY effective_from DESC LIMIT 1) r
  LEFT JOIN LATERAL (SELECT category, monthly_tiyn FROM {s}.finance_dues_categories
    WHERE member_id = f.member_id AND effective_from <= f.first_day
    ORDER BY effective_from DESC LIMIT 1) c ON true
),
marked AS (
  SELECT *, greatest(rate, coalesce(monthly_tiyn, 0)) AS amount,
    CASE WHEN fee = 0 AND lag(number + n) OVER w = number
      AND lag(organisation_id) OVER w = organisation_id
      AND lag(greatest(rate, coalesce(monthly_tiyn, 0))) OVER w
        = greatest(rate, coalesce(monthly_tiyn, 0))
    THEN 0 ELSE 1 END AS starts
  FROM priced WINDOW w AS (PARTITION BY member_id ORDER BY month)
),
numbered AS (
  SELECT *, sum(starts) OVER (PARTITION BY member_id ORDER BY month) AS seg FROM marked
),
segments AS (
  SELECT member_id, seg, min(number) AS first,
    CASE WHEN bool_or(open_end) THEN 1000000 ELSE sum(n)::integer END AS months,
    max(amount) AS monthly, sum(fee)::bigint AS fee,
    (array_agg(organisation_id))[1] AS organisation_id
  FROM numbered GROUP BY member_id, seg
),
"""
    + SCHEDULES
)


# The members a statement touched, by trigger event (the transition tables of f0003's triggers).
_TOUCHED = {
    "insert": "SELECT DISTINCT member_id FROM added",
    "update": "SELECT member_id FROM added UNION SELECT member_id FROM gone",
    "delete": "SELECT DISTINCT member_id FROM gone",
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def downgrade(schema: str) -> None:
    s = quote(schema)
    refresh = f"PERFORM {s}.finance_dues_refresh(array({{members}}));"
    for table in ("finance_membership_spells", "finance_dues_categories"):
        for event, members in _TOUCHED.items():
            op.execute(
                f"CREATE OR REPLACE FUNCTION {s}.{table}_dues_{event}() RETURNS trigger"
                f" LANGUAGE plpgsql AS $body$ BEGIN {refresh.format(members=members)}"
                f" RETURN NULL; END $body$"
            )
    op.execute(f"DROP FUNCTION IF EXISTS {s}.finance_dues_refresh_queued(integer)")
    op.execute(f"DROP FUNCTION IF EXISTS {s}.finance_dues_refresh_locked(uuid[])")
    op.execute(f"DROP TABLE IF EXISTS {s}.finance_dues_stale")
