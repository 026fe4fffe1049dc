"""Membership dues (issue 12): finance's view of who was a member of which primary organisation
when (from the registry's member events), the dues categories members declared, and the dues
payments. The tables are read models: the facts are the registry's events and finance's own.

Revision ID: f0003
Revises: f0002
"""

from __future__ import annotations

from alembic import op

from partia_kit.migrate import quote

revision = "f0003"
down_revision = "f0002"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    s = quote(schema)
    for statement in (
        # One row per stint of a member in one primary organisation, half-open [from_on,
        # until_on): an admission, a transfer or a re-admission opens one; a transfer or the end
        # of the membership closes it (until_on = the effective date). `opened_by` 'admission'
        # marks where an entrance fee arises. Written by adapters/memberships.py.
        f"CREATE TABLE IF NOT EXISTS {s}.finance_membership_spells ("
        " member_id uuid NOT NULL, organisation_id uuid NOT NULL, from_on date NOT NULL,"
        " until_on date, opened_by text NOT NULL, closed_by text, card_number text NOT NULL,"
        " registry_position bigint NOT NULL,"
        " PRIMARY KEY (member_id, from_on, organisation_id))",
        f"CREATE INDEX IF NOT EXISTS finance_membership_spells_organisation"
        f" ON {s}.finance_membership_spells (organisation_id, from_on)",
        f"CREATE INDEX IF NOT EXISTS finance_membership_spells_card"
        f" ON {s}.finance_membership_spells (card_number)",
        # A member's dues category from a date (Ch. 12.2); monthly_tiyn is a voluntary higher
        # monthly amount, if declared. Written with the declaration's event.
        f"CREATE TABLE IF NOT EXISTS {s}.finance_dues_categories ("
        " member_id uuid NOT NULL, effective_from date NOT NULL, category text NOT NULL,"
        " monthly_tiyn bigint, evidence_reference text, declared_on date NOT NULL,"
        " PRIMARY KEY (member_id, effective_from))",
        # Each dues payment (cash collected by a PPO bureau with its receipt number, or a bank
        # credit matched from a statement); reversed_on set by the reversal's event.
        f"CREATE TABLE IF NOT EXISTS {s}.finance_dues_payments ("
        " payment_id uuid PRIMARY KEY, member_id uuid NOT NULL, organisation_id uuid NOT NULL,"
        " paid_on date NOT NULL, amount_tiyn bigint NOT NULL, channel text NOT NULL,"
        " reference text NOT NULL, reversed_on date)",
        f"CREATE INDEX IF NOT EXISTS finance_dues_payments_member"
        f" ON {s}.finance_dues_payments (member_id, paid_on)",
        f"CREATE INDEX IF NOT EXISTS finance_dues_payments_paid"
        f" ON {s}.finance_dues_payments (paid_on, organisation_id)",
        # --- slices add their statements below, each under a comment naming it ---
        # dues slice: one row per dues account (the member's id), written with its events:
        # whether arrears stand at or over the threshold since `threshold_reached_on`, so the
        # daily clock looks only at accounts whose state may change.
        f"CREATE TABLE IF NOT EXISTS {s}.finance_dues_accounts ("
        " member_id uuid PRIMARY KEY, threshold_reached_on date)",
        # dues-reports (decision 235): per member, the dues schedule as a few segments and the
        # payments pre-summed, kept by triggers in the writers' transactions, so arrears on any
        # date are lookups (partia_finance.adapters.postgres.dues_reports).
        *_dues_reports(s),
        *_arrears_buckets(s),
    ):
        op.execute(statement)


def downgrade(schema: str) -> None:
    s = quote(schema)
    for name in (
        "finance_dues_accounts",  # dues slice
        "finance_dues_collected",  # dues-reports
        "finance_dues_arrears_buckets",  # arrears-fast
        "finance_dues_positions",  # dues-reports
        "finance_dues_mci",  # dues-reports
        "finance_dues_payments",
        "finance_dues_categories",
        "finance_membership_spells",
    ):
        op.execute(f"DROP TABLE IF EXISTS {s}.{name} CASCADE")
    op.execute(f"DROP FUNCTION IF EXISTS {s}.finance_dues_refresh(uuid[]) CASCADE")


# --- dues-reports ---


def _dues_reports(s: str) -> tuple[str, ...]:
    """The tables, functions and triggers of the dues reports (decision 235)."""
    return (
        # The MCI table of the party's configuration, copied here by `sync_mci` at start-up so
        # the schedule below can be computed inside the database.
        f"CREATE TABLE IF NOT EXISTS {s}.finance_dues_mci ("
        " effective_from date PRIMARY KEY, kzt integer NOT NULL)",
        # One row per member. The schedule (decision 216) as segments: runs of consecutive months
        # in one PPO at one monthly amount, an entrance fee only on a segment's first month;
        # months are year * 12 + month - 1; an open stint's last segment has 1,000,000 months.
        # seg_base: all charges of the earlier segments; seg_positive_before: their months with
        # an amount (arrays STORAGE PLAIN: read without a copy, see dues_reports). paid_tiyn:
        # payments not reversed; paid_settled_on: the latest paid_on or
        # reversed_on of them (on a later date, paid_tiyn is what was paid by then).
        f"CREATE TABLE IF NOT EXISTS {s}.finance_dues_positions ("
        " member_id uuid PRIMARY KEY, organisations uuid[] NOT NULL DEFAULT '{{}}',"
        " sole_organisation_id uuid,"
        " seg_first integer[] STORAGE PLAIN NOT NULL DEFAULT '{{}}', seg_months integer[] STORAGE PLAIN NOT NULL DEFAULT '{{}}',"
        " seg_monthly bigint[] STORAGE PLAIN NOT NULL DEFAULT '{{}}', seg_fee bigint[] STORAGE PLAIN NOT NULL DEFAULT '{{}}',"
        " seg_base bigint[] STORAGE PLAIN NOT NULL DEFAULT '{{}}',"
        " seg_positive_before integer[] STORAGE PLAIN NOT NULL DEFAULT '{{}}',"
        " seg_organisation uuid[] NOT NULL DEFAULT '{{}}',"
        " paid_tiyn bigint NOT NULL DEFAULT 0, paid_settled_on date)",
        f"CREATE INDEX IF NOT EXISTS finance_dues_positions_organisations"
        f" ON {s}.finance_dues_positions USING gin (organisations)",
        f"CREATE INDEX IF NOT EXISTS finance_dues_positions_several"
        f" ON {s}.finance_dues_positions (member_id) WHERE sole_organisation_id IS NULL",
        # Payments pre-summed per organisation and month paid, for the collections (Ch. 12.4).
        f"CREATE TABLE IF NOT EXISTS {s}.finance_dues_collected ("
        " organisation_id uuid NOT NULL, month date NOT NULL, payments bigint NOT NULL,"
        " paid_tiyn bigint NOT NULL, reversed bigint NOT NULL, reversed_tiyn bigint NOT NULL,"
        " PRIMARY KEY (organisation_id, month))",
        f"CREATE INDEX IF NOT EXISTS finance_dues_payments_reversed"
        f" ON {s}.finance_dues_payments (reversed_on) WHERE reversed_on IS NOT NULL",
        _REFRESH.replace("{s}", s),
        *_triggers(s),
    )


# From the segments to the stored position; f0005's computation by runs of months ends alike.
SCHEDULES = """\
ordered AS (
  SELECT *,
    coalesce(sum(fee + monthly * months) OVER before, 0)::bigint AS base,
    coalesce(sum(CASE WHEN monthly > 0 THEN months ELSE 0 END) OVER before, 0)::integer
      AS positive_before
  FROM segments
  WINDOW before AS (PARTITION BY member_id ORDER BY seg
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
schedules AS (
  SELECT member_id, array_agg(DISTINCT organisation_id) AS organisations,
    CASE WHEN count(DISTINCT organisation_id) = 1 THEN (array_agg(organisation_id))[1] END
      AS sole_organisation_id,
    array_agg(first ORDER BY seg) AS seg_first, array_agg(months ORDER BY seg) AS seg_months,
    array_agg(monthly ORDER BY seg) AS seg_monthly, array_agg(fee ORDER BY seg) AS seg_fee,
    array_agg(base ORDER BY seg) AS seg_base,
    array_agg(positive_before ORDER BY seg) AS seg_positive_before,
    array_agg(organisation_id ORDER BY seg) AS seg_organisation
  FROM ordered GROUP BY member_id
  UNION ALL  -- members left with no month charged (no stint, or only before the MCI table
  -- begins) keep an empty schedule, not the one they had before
  SELECT m, '{}', NULL, '{}', '{}', '{}', '{}', '{}', '{}', '{}'
  FROM unnest(members) m WHERE m NOT IN (SELECT member_id FROM segments)
)
INSERT INTO {s}.finance_dues_positions AS p (member_id, organisations, sole_organisation_id,
  seg_first, seg_months, seg_monthly, seg_fee, seg_base, seg_positive_before, seg_organisation)
SELECT * FROM schedules
ON CONFLICT (member_id) DO UPDATE SET organisations = excluded.organisations,
  sole_organisation_id = excluded.sole_organisation_id, seg_first = excluded.seg_first,
  seg_months = excluded.seg_months, seg_monthly = excluded.seg_monthly,
  seg_fee = excluded.seg_fee, seg_base = excluded.seg_base,
  seg_positive_before = excluded.seg_positive_before,
  seg_organisation = excluded.seg_organisation
$body$
"""

_REFRESH = (
    """
CREATE OR REPLACE FUNCTION {s}.finance_dues_refresh(members uuid[]) RETURNS void
LANGUAGE sql AS $body$
WITH spells AS (  -- per stint: its entrance fees (one per admission at the working rate only,
  -- Ch. 12.2) and the month after the last change (MCI, declaration, stint): from then on an
  -- open stint's months are all alike. No self-join: a bulk build stays linear.
  SELECT sp.member_id, sp.organisation_id, sp.from_on, sp.until_on,
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
months AS (
  SELECT sp.member_id, sp.organisation_id, sp.from_on, m::date AS month,
    sp.until_on IS NULL AND m = sp.horizon AS open_end,
    CASE WHEN m = date_trunc('month', sp.from_on) THEN sp.fees ELSE 0 END AS fees
  FROM spells sp, generate_series(date_trunc('month', sp.from_on),
    coalesce(date_trunc('month', sp.until_on - 1), sp.horizon), interval '1 month') m
),
facts AS (  -- the month's PPO on its last day of membership; its first day of membership
  SELECT DISTINCT ON (member_id, month) member_id, month, organisation_id, open_end,
    min(greatest(month, from_on)) OVER w AS first_day, sum(fees) OVER w AS fees
  FROM months WINDOW w AS (PARTITION BY member_id, month)
  ORDER BY member_id, month, from_on DESC
),
priced AS (
  SELECT f.*,
    CASE coalesce(c.category, 'working') WHEN 'working' THEN r.kzt * 10
      WHEN 'student' THEN r.kzt ELSE 0 END AS rate,
    c.monthly_tiyn, f.fees * r.kzt * 10 AS fee
  FROM facts f
  CROSS JOIN LATERAL (SELECT kzt::bigint FROM {s}.finance_dues_mci
    WHERE effective_from <= f.month ORDER BY effective_from DESC LIMIT 1) r
  LEFT JOIN LATERAL (SELECT category, monthly_tiyn FROM {s}.finance_dues_categories
    WHERE member_id = f.member_id AND effective_from <= f.first_day
    ORDER BY effective_from DESC LIMIT 1) c ON true
),
marked AS (
  SELECT *, greatest(rate, coalesce(monthly_tiyn, 0)) AS amount,
    CASE WHEN fee = 0 AND lag(month) OVER w = month - interval '1 month'
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
  SELECT member_id, seg,
    (extract(year FROM min(month)) * 12 + extract(month FROM min(month)) - 1)::integer AS first,
    CASE WHEN bool_or(open_end) THEN 1000000 ELSE count(*)::integer END AS months,
    max(amount) AS monthly, sum(fee)::bigint AS fee,
    (array_agg(organisation_id))[1] AS organisation_id
  FROM numbered GROUP BY member_id, seg
),
"""
    + SCHEDULES
)


def _triggers(s: str) -> list[str]:
    """Statement triggers that keep the positions and collections right in the writer's
    transaction, whoever writes (the members consumer, the dues commands, a bulk load): one
    function and trigger per event, since transition tables differ per event."""
    found = []
    tables = {
        "insert": ("NEW TABLE AS added", "added", "SELECT *, 1 AS sign FROM added"),
        "update": (
            "OLD TABLE AS gone NEW TABLE AS added",
            "added UNION SELECT member_id FROM gone",
            "SELECT *, 1 AS sign FROM added UNION ALL SELECT *, -1 FROM gone",
        ),
        "delete": ("OLD TABLE AS gone", "gone", "SELECT *, -1 AS sign FROM gone"),
    }
    for event, (referencing, members, signed) in tables.items():
        bodies = {
            "finance_membership_spells": _refresh_members(s, members),
            "finance_dues_categories": _refresh_members(s, members),
            "finance_dues_payments": _paid(s, members) + _collected(s, signed),
        }
        for table, body in bodies.items():
            function = f"{s}.{table}_dues_{event}"
            found.append(
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql"
                f" AS $body$ BEGIN {body} RETURN NULL; END $body$"
            )
            found.append(
                f"CREATE OR REPLACE TRIGGER {table}_dues_{event} AFTER {event.upper()} ON"
                f" {s}.{table} REFERENCING {referencing} FOR EACH STATEMENT"
                f" EXECUTE FUNCTION {function}()"
            )
    return found


def _refresh_members(s: str, members: str) -> str:
    return f"PERFORM {s}.finance_dues_refresh(array(SELECT DISTINCT member_id FROM {members}));"


def _paid(s: str, members: str) -> str:
    """Payments not reversed, recomputed for the members touched (a member has few)."""
    return (
        f"INSERT INTO {s}.finance_dues_positions AS p (member_id, paid_tiyn, paid_settled_on)"
        f" SELECT m.member_id, coalesce(sum(d.amount_tiyn) FILTER (WHERE d.reversed_on IS NULL),"
        f" 0), max(greatest(d.paid_on, d.reversed_on))"
        f" FROM (SELECT DISTINCT member_id FROM {members}) m"
        f" LEFT JOIN {s}.finance_dues_payments d ON d.member_id = m.member_id GROUP BY 1"
        f" ON CONFLICT (member_id) DO UPDATE SET paid_tiyn = excluded.paid_tiyn,"
        f" paid_settled_on = excluded.paid_settled_on;"
    )


def _collected(s: str, signed: str) -> str:
    """Payments received per organisation and month, and of them those since reversed: the rows
    a statement added counted in, the rows it replaced or removed counted out."""
    return (
        f" INSERT INTO {s}.finance_dues_collected AS t (organisation_id, month, payments,"
        f" paid_tiyn, reversed, reversed_tiyn)"
        f" SELECT organisation_id, date_trunc('month', paid_on)::date, sum(sign),"
        f" sum(sign * amount_tiyn), coalesce(sum(sign) FILTER (WHERE reversed_on IS NOT NULL), 0),"
        f" coalesce(sum(sign * amount_tiyn) FILTER (WHERE reversed_on IS NOT NULL), 0)"
        f" FROM ({signed}) c GROUP BY 1, 2"
        f" ON CONFLICT (organisation_id, month) DO UPDATE SET"
        f" payments = t.payments + excluded.payments, paid_tiyn = t.paid_tiyn + excluded.paid_tiyn,"
        f" reversed = t.reversed + excluded.reversed,"
        f" reversed_tiyn = t.reversed_tiyn + excluded.reversed_tiyn;"
    )


# --- arrears-fast (decision 290) ---


def _arrears_buckets(s: str) -> tuple[str, ...]:
    """Per PPO and month, the change in its sole members' arrears from that month on (decision
    290): the whole party's arrears on month q become a range sum over the rows up to q."""
    return (
        # Σ over rows with month <= q of (a + b * (q - month)): members in arrears, their
        # amount owed and months owed on q, for the members of only this PPO (sole_organisation_id).
        f"CREATE TABLE IF NOT EXISTS {s}.finance_dues_arrears_buckets ("
        " organisation_id uuid NOT NULL, month integer NOT NULL, members bigint NOT NULL,"
        " owed_a bigint NOT NULL, owed_b bigint NOT NULL, months_a bigint NOT NULL,"
        " months_b bigint NOT NULL, PRIMARY KEY (organisation_id, month))",
        *_bucket_triggers(s),
    )


# A member's arrears as a function of the last month due q (the formula of dues_reports._WHOLE)
# are piecewise linear in q: per segment, t = q - first, owed = max(0, Ao + So * min(t, M - 1))
# and months = max(0, Am + Sm * min(t, M - 1)); they change slope only at the segment's start, at
# t = M and where they turn positive (c). Each such point is a piece (value, slope); the events
# are the differences between consecutive pieces. Rows beyond month 500,000 (year 41,666) are
# never read. `rows` yields positions rows with a `sign` column.
BUCKET_EVENTS = """
WITH k AS (
  SELECT r.sign, r.member_id, r.sole_organisation_id AS organisation_id, r.paid_tiyn AS paid,
    r.seg_first, r.seg_months, r.seg_monthly, r.seg_fee, r.seg_base, r.seg_positive_before,
    width_bucket(r.paid_tiyn, r.seg_base) AS s
  FROM ({rows}) r
  WHERE r.sole_organisation_id IS NOT NULL AND cardinality(r.seg_first) > 0
),
kept AS (
  SELECT k.*, seg_positive_before[s] + CASE WHEN seg_monthly[s] > 0
    AND paid - seg_base[s] - seg_fee[s] > 0 THEN least(seg_months[s],
    (paid - seg_base[s] - seg_fee[s]) / seg_monthly[s]) ELSE 0 END AS kept
  FROM k
),
segs AS (
  SELECT kept.sign, kept.member_id, kept.organisation_id, g.first::bigint AS first,
    g.months::bigint AS m, g.next_first - g.first AS w,
    g.fee + g.base + g.monthly - kept.paid AS ao, g.monthly AS so,
    g.positive_before + sm - kept.kept AS am, sm
  FROM kept CROSS JOIN LATERAL unnest(seg_first, seg_months, seg_monthly, seg_fee, seg_base,
    seg_positive_before, seg_first[2:]) AS g(first, months, monthly, fee, base, positive_before,
    next_first)
  CROSS JOIN LATERAL (SELECT CASE WHEN g.monthly > 0 THEN 1 ELSE 0 END AS sm) x
),
crossing AS (
  SELECT segs.*,
    CASE WHEN ao > 0 THEN 0 WHEN so > 0 THEN (-ao) / so + 1 END AS co,
    CASE WHEN am > 0 THEN 0 WHEN sm > 0 THEN (-am) / sm + 1 END AS cm
  FROM segs
),
pieces AS (
  SELECT c.sign, c.member_id, c.organisation_id, c.first + p.t AS month,
    greatest(0, ao + so * least(p.t, m - 1)) AS vo,
    CASE WHEN p.t >= co AND p.t < m THEN so ELSE 0 END AS so_,
    coalesce(greatest(0, am + sm * least(p.t, m - 1)), 0) AS vm,
    CASE WHEN p.t >= cm AND p.t < m THEN sm ELSE 0 END AS sm_
  FROM crossing c CROSS JOIN LATERAL (SELECT DISTINCT t FROM (VALUES (0::bigint), (c.co),
    (c.cm), (c.m)) v(t) WHERE t IS NOT NULL AND (c.w IS NULL OR t < c.w)) p
),
events AS (
  SELECT sign, organisation_id, month,
    (vo > 0)::int - coalesce((lag(vo) OVER w > 0)::int, 0) AS dc,
    vo - coalesce(lag(vo) OVER w + lag(so_) OVER w * (month - lag(month) OVER w), 0) AS ao,
    so_ - coalesce(lag(so_) OVER w, 0) AS bo,
    vm - coalesce(lag(vm) OVER w + lag(sm_) OVER w * (month - lag(month) OVER w), 0) AS am,
    sm_ - coalesce(lag(sm_) OVER w, 0) AS bm
  FROM pieces WINDOW w AS (PARTITION BY sign, member_id ORDER BY month)
)
SELECT organisation_id, month::integer AS month, sum(sign * dc)::bigint AS members,
  sum(sign * ao)::bigint AS owed_a, sum(sign * bo)::bigint AS owed_b,
  sum(sign * am)::bigint AS months_a, sum(sign * bm)::bigint AS months_b
FROM events WHERE month <= 500000 GROUP BY 1, 2
HAVING sum(sign * dc) <> 0 OR sum(sign * ao) <> 0 OR sum(sign * bo) <> 0
  OR sum(sign * am) <> 0 OR sum(sign * bm) <> 0
"""


def bucket_upsert(s: str, rows: str) -> str:
    """Add the events of `rows` (positions with a sign) to the buckets, in key order (two writers
    touching the same PPOs lock its rows in the same order)."""
    return (
        f"INSERT INTO {s}.finance_dues_arrears_buckets AS b (organisation_id, month, members,"
        f" owed_a, owed_b, months_a, months_b) SELECT * FROM ("
        + BUCKET_EVENTS.replace("{rows}", rows)
        + ") e ORDER BY 1, 2 ON CONFLICT (organisation_id, month) DO UPDATE SET"
        " members = b.members + excluded.members, owed_a = b.owed_a + excluded.owed_a,"
        " owed_b = b.owed_b + excluded.owed_b, months_a = b.months_a + excluded.months_a,"
        " months_b = b.months_b + excluded.months_b"
    )


def _bucket_triggers(s: str) -> list[str]:
    """Statement triggers on the positions: whatever rewrote a member's position (the refresh,
    the payments' trigger, a bulk build) moves their events in the same transaction."""
    found = []
    signed = {
        "insert": ("NEW TABLE AS added", "SELECT *, 1 AS sign FROM added"),
        "update": (
            "OLD TABLE AS gone NEW TABLE AS added",
            "SELECT *, 1 AS sign FROM added UNION ALL SELECT *, -1 FROM gone",
        ),
        "delete": ("OLD TABLE AS gone", "SELECT *, -1 AS sign FROM gone"),
    }
    for event, (referencing, rows) in signed.items():
        function = f"{s}.finance_dues_positions_buckets_{event}"
        found.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql"
            f" AS $body$ BEGIN {bucket_upsert(s, rows)}; RETURN NULL; END $body$"
        )
        found.append(
            f"CREATE OR REPLACE TRIGGER finance_dues_positions_buckets_{event} AFTER"
            f" {event.upper()} ON {s}.finance_dues_positions REFERENCING {referencing}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    return found
