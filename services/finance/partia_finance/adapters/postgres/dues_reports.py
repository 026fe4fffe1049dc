"""The dues reports (issue 12 item 6; decisions 216 and 235): arrears on any date per member of a
primary organisation, per organisation at any level of the tree and for the whole party; dues
collected per month or year per regional branch (Ch. 12.4); the members without a declared
category. They read `finance_dues_positions`, which the triggers of migration f0003 keep in the
writers' transactions (a large catch-up's by the dues refresher, decision 309): per member the schedule as a few segments and the payments pre-summed, so
a member's arrears on a date are array look-ups, not a fold over months and payments."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composable, Composed, Identifier

from partia_finance.adapters.organisations import TABLE as ORGANISATIONS
from partia_finance.domain.mci import MciTable
from partia_kit.auth import Scope
from partia_kit.postgres.statements import table

Level = Literal["primary_organisation", "territorial_branch", "regional_branch", "party"]
LEVELS: tuple[Level, ...] = (
    "primary_organisation",
    "territorial_branch",
    "regional_branch",
    "party",
)
# Up to this many payments made or reversed after a date, the arrears per organisation read the
# buckets and correct their members; from it on, one pass over every member is cheaper.
FEW_PAID_AFTER = 20_000
MCI_LOCK = 0x6475_6573  # an advisory lock: one process at a time replaces the MCI table


def month_number(day: date) -> int:
    """The month of `day` as the positions count months: year * 12 + month - 1."""
    return day.year * 12 + day.month - 1


def sync_mci(conn: psycopg.Connection[Any], schema: str, mci: MciTable) -> bool:
    """Copy the configured MCI table into `finance_dues_mci`; when it changed, recompute every
    member's schedule (a rare, whole-party rewrite: a new year's MCI, or a mid-year change).
    True if it changed. Safe to run by every process at start-up."""
    wanted = sorted((r.effective_from, r.kzt) for r in mci.rates)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MCI_LOCK,))
        rows = conn.execute(
            SQL("SELECT effective_from, kzt FROM {} ORDER BY 1").format(
                table(schema, "finance_dues_mci")
            )
        ).fetchall()
        if [tuple(r) for r in rows] == wanted:
            return False
        conn.execute(SQL("DELETE FROM {}").format(table(schema, "finance_dues_mci")))
        with conn.cursor().copy(
            SQL("COPY {} (effective_from, kzt) FROM STDIN").format(
                table(schema, "finance_dues_mci")
            )
        ) as copy:
            for row in wanted:
                copy.write_row(row)
        conn.execute(
            SQL("SELECT {}(array(SELECT DISTINCT member_id FROM {}))").format(
                Identifier(schema, "finance_dues_refresh_locked"),
                table(schema, "finance_membership_spells"),
            )
        )
    return True


# What was paid by the date, when some payment was made or reversed after it: paid_tiyn counts
# the payments not reversed, so take off those paid later and add back those reversed later.
_ADJUST = """
SELECT member_id,
  sum(CASE WHEN reversed_on IS NULL THEN -amount_tiyn ELSE amount_tiyn END)::bigint AS tiyn
FROM {payments} WHERE ((paid_on > %(day)s AND reversed_on IS NULL)
  OR (paid_on <= %(day)s AND reversed_on > %(day)s))
"""

# One member's arrears in one segment (t) on the date: the months of the segment due by then
# (`q` is the last month due), their charges, what the payments left for them after the earlier
# segments (oldest first: the entrance fee, then month by month), and the months not fully paid.
_SEGMENT = """
SELECT t.organisation_id, t.first, c.due - least(c.due, greatest(0, paid - t.base)) AS owed,
  CASE WHEN t.monthly > 0 THEN c.months
    - least(c.months, greatest(0, paid - t.base - t.fee) / t.monthly) ELSE 0 END AS months_owed
FROM unnest(seg_first, seg_months, seg_monthly, seg_fee, seg_base, seg_organisation)
  AS t(first, months, monthly, fee, base, organisation_id)
CROSS JOIN LATERAL (SELECT greatest(0, least(%(q)s - t.first + 1, t.months)) AS months) m
CROSS JOIN LATERAL (SELECT m.months,
  CASE WHEN m.months > 0 THEN t.fee + t.monthly * m.months ELSE 0 END AS due) c
"""

# The same for a whole member in one go, by binary search (width_bucket) in the segment
# starts (i: the segment of the last month due) and in the running charges (s: the segment
# where the payments run out); for the reports the members of one organisation only
# (sole_organisation_id), for the clock all. A member with nothing due yet (i = 0) reads NULLs,
# which the sums and counts skip.
_WHOLE_OF = """
SELECT sole_organisation_id AS organisation_id, member_id, sign,
  greatest(0, seg_base[i] + seg_fee[i] + seg_monthly[i] * d - paid) AS owed,
  greatest(0, seg_positive_before[i] + CASE WHEN seg_monthly[i] > 0 THEN d ELSE 0 END
    - seg_positive_before[s] - CASE WHEN seg_monthly[s] > 0 AND paid - seg_base[s] - seg_fee[s] > 0
      THEN least(seg_months[s], (paid - seg_base[s] - seg_fee[s]) / seg_monthly[s]) ELSE 0 END)
    AS months_owed
FROM (SELECT *, least(%(q)s - seg_first[i] + 1, seg_months[i]) AS d FROM (
  SELECT sole_organisation_id, member_id, seg_first, seg_months, seg_monthly, seg_fee, seg_base,
    seg_positive_before, paid, sign, width_bucket(%(q)s, seg_first) AS i,
    width_bucket(paid, seg_base) AS s
  FROM {whole_from} WHERE {which}) w) x
"""
_WHOLE = _WHOLE_OF.replace("{which}", "sole_organisation_id IS NOT NULL")

# The members of one organisation only, per organisation, from the buckets the triggers keep
# (migration f0003, arrears-fast; decision 290): the rows up to the last month due, each a change
# in level (a) and in slope (b) from its month on. They were built from the payments recorded
# now; the members with a payment made or reversed after the date (`changed`) are taken out as
# the buckets count them and put back as they stood on the date, by the formula above. When
# many paid after the date (a date long past), the buckets are skipped and every member is
# taken as they stood (`whole_from` the members, `buckets_on` false): one pass, not two.
_SOLE = (
    """
SELECT organisation_id, sum(members) AS members, sum(months_owed) AS months_owed,
  sum(owed) AS owed FROM (
  SELECT organisation_id, members, months_a + months_b * (%(q)s - month) AS months_owed,
    owed_a + owed_b * (%(q)s - month) AS owed
  FROM {buckets} WHERE {buckets_on} AND month <= %(q)s AND {buckets_in}
  UNION ALL
  SELECT organisation_id, sign * (owed > 0)::int, sign * months_owed, sign * owed
  FROM ("""
    + _WHOLE
    + """) w
) f GROUP BY 1
"""
)


class DuesReports:
    def __init__(self, pool: Any, schema: str) -> None:
        self._pool = pool
        self._schema = schema
        t = {
            "positions": table(schema, "finance_dues_positions"),
            "payments": table(schema, "finance_dues_payments"),
            "spells": table(schema, "finance_membership_spells"),
            "categories": table(schema, "finance_dues_categories"),
            "collected": table(schema, "finance_dues_collected"),
            "buckets": table(schema, "finance_dues_arrears_buckets"),
            "orgs": table(schema, ORGANISATIONS),
        }
        self._t = t
        self._subtree = SQL(
            "WITH RECURSIVE down(id) AS (SELECT unnest(%(roots)s::uuid[])"
            " UNION SELECT o.organisation_id FROM {orgs} o JOIN down ON o.parent_id = down.id)"
            " SELECT id FROM down"
        ).format(orgs=t["orgs"])
        self._adjust = SQL(_ADJUST).format(payments=t["payments"])

    # --- arrears ---

    def arrears_by_organisation(
        self, scope: Scope, as_of: date, level: Level, under: UUID | None = None
    ) -> list[dict[str, Any]]:
        """Per organisation of `level` with arrears (in scope, and under `under` if given): the
        members with arrears arising there on `as_of`, the months they owe there and the amount
        (decision 216: a month's arrears belong where the month belongs)."""
        sql = SQL(
            "WITH RECURSIVE up(organisation_id, at_id, at_kind) AS ("
            " SELECT organisation_id, organisation_id, kind FROM {orgs}"
            " UNION ALL SELECT up.organisation_id, p.organisation_id, p.kind FROM up"
            " JOIN {orgs} o ON o.organisation_id = up.at_id"
            " JOIN {orgs} p ON p.organisation_id = o.parent_id),"
            " adjust AS (" + _ADJUST + " GROUP BY member_id),"
            # not materialized: read twice, by the two paths below, each with its own filter
            " members AS NOT MATERIALIZED (SELECT p.*, p.paid_tiyn + {adjusted} AS paid"
            " FROM {positions} p {adjust} WHERE {members_in}),"
            # members of one PPO only (most): per PPO from the buckets, before climbing the
            # tree; those with a payment made or reversed after the date as now and as then
            " changed AS MATERIALIZED (SELECT p.*, a.tiyn FROM {positions} p"
            " JOIN adjust a USING (member_id) WHERE {changed_in}),"
            " changed_both AS (SELECT *, paid_tiyn AS paid, -1 AS sign FROM changed"
            " UNION ALL SELECT *, paid_tiyn + tiyn, 1 FROM changed),"
            " sole AS (" + _SOLE + "),"
            " sole_up AS (SELECT up.at_id, sum(members) AS members, sum(months_owed) AS months,"
            " sum(owed) AS owed FROM sole JOIN up USING (organisation_id)"
            " WHERE up.at_kind = %(level)s GROUP BY 1),"
            # members who were in several: per segment, then per member and organisation
            " split AS (SELECT m.member_id, s.* FROM members m CROSS JOIN LATERAL ("
            + _SEGMENT
            + ") s"
            " WHERE m.sole_organisation_id IS NULL AND cardinality(m.seg_first) > 0"
            " AND m.seg_first[1] <= %(q)s),"
            " split_up AS (SELECT at_id, count(*) FILTER (WHERE owed > 0) AS members,"
            " sum(months) AS months, sum(owed) AS owed FROM (SELECT up.at_id, member_id,"
            " sum(months_owed) AS months, sum(owed) AS owed FROM split JOIN up"
            " USING (organisation_id) WHERE up.at_kind = %(level)s GROUP BY 1, 2) per_member"
            " GROUP BY 1)"
            " SELECT at_id AS organisation_id, o.kind, o.parent_id,"
            " coalesce(sum(members), 0)::bigint AS members_in_arrears,"
            " coalesce(sum(months), 0)::bigint AS months_owed,"
            " coalesce(sum(owed), 0)::bigint AS arrears_tiyn"
            " FROM (SELECT * FROM sole_up UNION ALL SELECT * FROM split_up) f"
            " JOIN {orgs} o ON o.organisation_id = f.at_id WHERE {scoped}"
            " GROUP BY at_id, o.kind, o.parent_id HAVING sum(owed) > 0 ORDER BY at_id"
        )
        scoped, params = self._scoped(scope, under, "at_id")
        members_in: Composable = SQL("true")
        buckets_in: Composable = SQL("true")
        if params:  # only the members who had a month in the subtree (the GIN index)
            members_in = SQL("p.organisations && array({})").format(self._subtree)
            buckets_in = SQL("organisation_id IN ({})").format(self._subtree)
        params |= {"day": as_of, "q": month_number(as_of) - 1, "level": level}
        adjusted, adjust = SQL("0"), SQL("")
        changed_in: Composable = SQL("false")
        buckets_on, whole_from = SQL("true"), SQL("changed_both")
        paid_after = self._paid_after(as_of)
        if paid_after:  # else the join with nothing costs a probe per member
            adjusted = SQL("coalesce(a.tiyn, 0)")
            adjust = SQL("LEFT JOIN adjust a USING (member_id)")
            changed_in = members_in
        if paid_after >= FEW_PAID_AFTER:
            buckets_on, whole_from = SQL("false"), SQL("(SELECT *, 1 AS sign FROM members) m")
        composed = sql.format(
            scoped=scoped,
            members_in=members_in,
            buckets_in=buckets_in,
            adjusted=adjusted,
            adjust=adjust,
            changed_in=changed_in,
            buckets_on=buckets_on,
            whole_from=whole_from,
            **self._t,
        )
        return self._rows(composed, params)

    def _paid_after(self, day: date) -> int:
        """How many payments were made or reversed after `day`, counted up to FEW_PAID_AFTER
        (index range scans, short for recent dates)."""
        sql = SQL(
            "SELECT (SELECT count(*) FROM (SELECT 1 FROM {p} WHERE paid_on > %(day)s"
            " LIMIT %(few)s) a) + (SELECT count(*) FROM (SELECT 1 FROM {p}"
            " WHERE reversed_on > %(day)s LIMIT %(few)s) r) AS found"
        ).format(p=self._t["payments"])
        return int(self._rows(sql, {"day": day, "few": FEW_PAID_AFTER})[0]["found"])

    def arrears_of_members(self, organisation_id: UUID, as_of: date) -> list[dict[str, Any]]:
        """The members with arrears on `as_of` who had a month in this organisation by then
        (decision 216: a month belongs to the PPO of its last day of membership): what arose
        here (months, amount) and what they owe in all (arrears follow the member)."""
        sql = SQL(
            "WITH members AS (SELECT p.*, p.paid_tiyn + coalesce(a.tiyn, 0) AS paid"
            " FROM {positions} p LEFT JOIN LATERAL (" + _ADJUST + " AND member_id = p.member_id"
            " AND p.paid_settled_on > %(day)s GROUP BY member_id) a ON true"
            " WHERE p.organisations @> ARRAY[%(organisation)s]::uuid[]"
            " AND p.seg_first[1] <= %(q)s)"
            " SELECT m.member_id, (SELECT card_number FROM {spells} sp"
            " WHERE sp.member_id = m.member_id ORDER BY from_on DESC LIMIT 1) AS card_number,"
            " coalesce(sum(s.months_owed) FILTER (WHERE s.organisation_id = %(organisation)s),"
            " 0)::bigint AS months_owed,"
            " coalesce(sum(s.owed) FILTER (WHERE s.organisation_id = %(organisation)s), 0)::bigint"
            " AS arrears_tiyn,"
            " sum(s.months_owed)::bigint AS total_months_owed, sum(s.owed)::bigint AS"
            " total_arrears_tiyn"
            " FROM members m CROSS JOIN LATERAL (" + _SEGMENT + ") s"
            " GROUP BY m.member_id HAVING sum(s.owed) > 0"
            " AND bool_or(s.organisation_id = %(organisation)s AND s.first <= %(q)s + 1)"
            " ORDER BY card_number, m.member_id"
        ).format(**self._t)
        params = {"day": as_of, "q": month_number(as_of) - 1, "organisation": organisation_id}
        return self._rows(sql, params)

    def threshold_candidates(self, on: date, threshold_months: int) -> list[UUID]:
        """The daily clock's work list (issue 12 item 6, decision 225): the members on `on`
        whose months owed reach `threshold_months` and whose account has not noted it, and the
        accounts that noted it whose months owed are now below. From the positions, for the
        whole party in one statement; the dues account decides again for each."""
        every_member = _WHOLE_OF.replace("{which}", "cardinality(seg_first) > 0").replace(
            "{whole_from}", "(SELECT *, 1 AS sign FROM members) m"
        )
        sql = SQL(
            "WITH adjust AS (" + _ADJUST + " GROUP BY member_id),"
            " members AS (SELECT p.*, p.paid_tiyn + coalesce(a.tiyn, 0) AS paid"
            " FROM {positions} p LEFT JOIN adjust a USING (member_id)),"
            " owed AS (SELECT member_id, months_owed FROM (" + every_member + ") w),"
            " noted AS (SELECT member_id FROM {accounts} WHERE threshold_reached_on IS NOT NULL)"
            " SELECT o.member_id FROM owed o WHERE o.months_owed >= %(threshold)s"
            " AND o.member_id NOT IN (SELECT member_id FROM noted)"
            " AND EXISTS (SELECT 1 FROM {spells} s WHERE s.member_id = o.member_id"
            " AND s.from_on <= %(day)s AND (s.until_on IS NULL OR s.until_on > %(day)s))"
            " UNION SELECT n.member_id FROM noted n LEFT JOIN owed o USING (member_id)"
            " WHERE coalesce(o.months_owed, 0) < %(threshold)s ORDER BY 1"
        ).format(accounts=table(self._schema, "finance_dues_accounts"), **self._t)
        params = {"day": on, "q": month_number(on) - 1, "threshold": threshold_months}
        return [row["member_id"] for row in self._rows(sql, params)]

    # --- collections and declarations ---

    def collected(
        self, scope: Scope, first: date, last: date, per: Literal["month", "year"]
    ) -> list[dict[str, Any]]:
        """Ch. 12.4: dues paid per regional branch (a payment counts for the region of the
        organisation it was paid to) and month or year, in [first, last] by the month paid, with
        those of them since reversed and what stands."""
        sql = SQL(
            "WITH RECURSIVE up(organisation_id, at_id, at_kind) AS ("
            " SELECT organisation_id, organisation_id, kind FROM {orgs}"
            " UNION ALL SELECT up.organisation_id, p.organisation_id, p.kind FROM up"
            " JOIN {orgs} o ON o.organisation_id = up.at_id"
            " JOIN {orgs} p ON p.organisation_id = o.parent_id"
            " WHERE up.at_kind <> 'regional_branch'),"
            " region AS (SELECT organisation_id, at_id AS regional_branch_id FROM up"
            " WHERE at_kind = 'regional_branch')"
            " SELECT r.regional_branch_id, date_trunc({per}, c.month)::date AS period,"
            " sum(payments)::bigint AS payments, sum(paid_tiyn)::bigint AS paid_tiyn,"
            " sum(reversed)::bigint AS reversed, sum(reversed_tiyn)::bigint AS reversed_tiyn,"
            " sum(paid_tiyn - reversed_tiyn)::bigint AS collected_tiyn"
            " FROM {collected} c LEFT JOIN region r USING (organisation_id)"
            " WHERE c.month BETWEEN %(first)s AND %(last)s AND {scoped}"
            " GROUP BY 1, 2 HAVING sum(payments) > 0 ORDER BY 1 NULLS FIRST, 2"
        )
        scoped, params = self._scoped(scope, None, "c.organisation_id")
        params |= {"first": first.replace(day=1), "last": last}
        return self._rows(sql.format(scoped=scoped, per=SQL(repr(per)), **self._t), params)

    def undeclared(
        self, scope: Scope, as_of: date, under: UUID | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """Members on `as_of` who have declared no category in force by then (they owe the
        working rate, Ch. 12.2; decision 216), with their PPO."""
        sql = SQL(
            "SELECT s.member_id, s.card_number, s.organisation_id, s.from_on AS in_organisation_since"
            " FROM {spells} s WHERE s.from_on <= %(day)s"
            " AND (s.until_on IS NULL OR s.until_on > %(day)s)"
            " AND NOT EXISTS (SELECT 1 FROM {categories} c WHERE c.member_id = s.member_id"
            " AND c.effective_from <= %(day)s) AND {scoped}"
            " ORDER BY s.organisation_id, s.card_number LIMIT %(limit)s OFFSET %(offset)s"
        )
        scoped, params = self._scoped(scope, under, "s.organisation_id")
        params |= {"day": as_of, "limit": limit, "offset": offset}
        return self._rows(sql.format(scoped=scoped, **self._t), params)

    def _scoped(
        self, scope: Scope, under: UUID | None, column: str
    ) -> tuple[Composable, dict[str, Any]]:
        """`column` within the subtree of `under` (the caller checked it is in scope), else of
        the scope's roots; no condition for the whole party."""
        roots = [under] if under is not None else scope.organisations
        if roots is None:
            return SQL("true"), {}
        condition = SQL("{} IN ({})").format(SQL(column), self._subtree)
        return condition, {"roots": list(roots)}

    def _rows(self, sql: Composed, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as curs:
            curs.execute(sql, params)
            return list(curs.fetchall())
