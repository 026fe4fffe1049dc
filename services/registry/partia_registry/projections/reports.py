"""Member rolls and the structure and composition report (Ch. 4.3), current or as of any date."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Generator, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from psycopg import Connection, IsolationLevel
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composable, Identifier, Literal

from partia_kit.iin import Sex
from partia_registry.application.names import with_names
from partia_registry.projections.tables import Generation

T = TypeVar("T")

MIN_PPO_MEMBERS = 3  # Ch. 6.6
BRANCH_RIGHTS_MEMBERS = 1000  # Ch. 6.8: more than a thousand may be given a branch's rights
PARTY_MINIMUM = 5000  # registration threshold (reform programme, seeds/004)
REGIONAL_BRANCH_MINIMUM = 200  # per regional branch (reform programme, seeds/004)
AGE_BANDS = (
    (18, 28, "18-28"),
    (29, 35, "29-35"),
    (36, 45, "36-45"),
    (46, 60, "46-60"),
    (61, 200, "61+"),
)
"""18-28 are the "persons under the age of twenty-nine" of the list quotas (Ch. 7.8)."""

SORTS = {
    "card_number": "s.card_number",
    "name": "s.card_number",  # then by name, in Python: names are sealed (decisions 020, 021)
    "admitted_on": "s.admitted_on, s.card_number",
}

NameOpener = Callable[[Sequence[tuple[UUID, bytes | None, bytes | None]]], list[str | None]]
"""Opens (member, sealed name, wrapped key) triples: names and keys are read in one query."""
NameSorter = Callable[[Iterable[T], Callable[[T], str | None]], list[T]]
"""Items in alphabetical order of their names (those without one last), a stable sort."""
NAME_SORT_LIMIT = 20_000
EXPORT_CHUNK = 2_000
"""Rows of an export read, named and sent at a time: memory per export is about this many rows."""


@dataclass(frozen=True)
class WriteSide:
    """What the reports read beside the read model, from the write side's adapters, given by the
    composition root (this layer imports no adapter): the tables of members' sealed names,
    organisations' names and persons' wrapped keys, and how to open and sort those names."""

    member_index: str
    organisation_index: str
    key_table: str
    open_names: NameOpener
    sort_by_name: NameSorter[Any]


class RollTooLargeToSortByName(Exception):
    """A roll sorted by name is read whole and every name opened in the API process: above a
    limit it is refused (`PARTIA_NAME_SORT_LIMIT`), not left to cost tens of seconds."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"sort: a roll is sorted by name only up to {limit:,} members (names are sealed, so"
            " each must be opened); this one has more: sort by card_number or admitted_on,"
            " or ask for an organisation lower down"
        )
        self.limit = limit


@dataclass(frozen=True)
class RollExport:
    """A whole roll, read in chunks (lists of rows with names opened, in the roll's order) from
    one snapshot (decision 171). `close` ends it, read to the end or not: an export holds a
    connection and a transaction until then."""

    total: int
    chunks: Generator[list[dict[str, Any]]]
    close: Callable[[], None]


@dataclass(frozen=True)
class Day:
    """A business date to look at, or None for now."""

    on: date | None

    def spells(self) -> Composable:
        if self.on is None:
            return SQL("s.valid_to IS NULL")
        return SQL("s.valid_from <= {d} AND (s.valid_to IS NULL OR s.valid_to > {d})").format(
            d=SQL("%(on)s")
        )

    def units(self, alias: str) -> Composable:
        if self.on is None:
            return SQL("{a}.valid_to IS NULL").format(a=Identifier(alias))
        return SQL(
            "{a}.valid_from <= %(on)s AND ({a}.valid_to IS NULL OR {a}.valid_to > %(on)s)"
        ).format(a=Identifier(alias))


class Reports:
    def __init__(
        self,
        connect: Callable[[], AbstractContextManager[Connection[Any]]],
        schema: str,
        generation: Callable[[], Generation],
        write_side: WriteSide,
        *,
        export_connect: Callable[[], Connection[Any]],
        name_sort_limit: int = NAME_SORT_LIMIT,
    ) -> None:
        self._connect = connect
        self._export_connect = export_connect
        self._schema = schema
        self._generation = generation
        self._write_side = write_side
        self._open_names = write_side.open_names
        self._name_sort_limit = name_sort_limit

    def roll(
        self,
        organisation_id: UUID,
        *,
        on: date | None,
        subtree: bool,
        sort: str,
        limit: int | None,
        offset: int,
    ) -> tuple[list[dict[str, Any]], int]:
        """Who was on the organisation's roll (or anywhere in its subtree) on a date. A member
        appears once: their spells never overlap."""
        g, day = self._generation(), Day(on)
        if on is None and not subtree and sort == "card_number" and limit:
            return self._current_page(g, organisation_id, limit, offset)

        prefix, where = self._scope(g, day, subtree)
        params = {"root": organisation_id, "on": on, "limit": limit, "offset": offset}
        if sort == "name":
            return self._by_name(g, day, prefix, where, params, limit, offset)
        page = SQL(
            " ORDER BY {} LIMIT %(limit)s OFFSET %(offset)s" if limit else " ORDER BY {}"
        ).format(SQL(SORTS[sort]))
        inner = SQL(
            "SELECT s.*, count(*) OVER () AS total FROM {spells} s WHERE {where} AND {current}{page}"
        ).format(spells=g.table("spells"), where=where, current=day.spells(), page=page)
        query = SQL(
            "{prefix}SELECT s.member_id, s.organisation_id, s.card_number, m.sealed_name,"
            " s.admitted_on, s.valid_from AS on_roll_since, s.sex, s.birth_year, s.total,"
            " k.wrapped_key FROM ({inner}) s{names} ORDER BY {order}"
        ).format(prefix=prefix, inner=inner, names=self._names_join(), order=SQL(SORTS[sort]))
        with self._connect() as conn, conn.cursor(row_factory=dict_row) as curs:
            curs.execute(query, params)
            rows = list(curs.fetchall())
            if not rows and offset:  # past the last page: still say how many there are
                curs.execute(
                    SQL("SELECT count(*) AS total FROM ({}) q").format(
                        SQL("{prefix}SELECT 1 FROM {spells} s WHERE {where} AND {current}").format(
                            prefix=prefix,
                            spells=g.table("spells"),
                            where=where,
                            current=day.spells(),
                        )
                    ),
                    params,
                )
                counted = curs.fetchone()
                return [], int(counted["total"]) if counted else 0
        total = int(rows[0]["total"]) if rows else 0
        for row in rows:
            del row["total"]
        return self._with_names(rows), total

    def _scope(self, g: Generation, day: Day, subtree: bool) -> tuple[Composable, Composable]:
        """The query's prefix and condition for the organisation (`%(root)s`) or its subtree."""
        if subtree:
            prefix = SQL("WITH RECURSIVE {} ").format(self._units_sql(g, day, subtree=True))
            return prefix, SQL("s.organisation_id IN (SELECT organisation_id FROM units)")
        # one organisation: a plain equality the roll index answers directly
        return SQL(""), SQL("s.organisation_id = %(root)s")

    def roll_export(
        self,
        organisation_id: UUID,
        *,
        on: date | None,
        subtree: bool,
        sort: str,
        chunk: int = EXPORT_CHUNK,
    ) -> RollExport:
        """The whole roll (or subtree's), in the order of `roll`, for a file sent while it is read
        (decisions 170, 171): rows come off a server-side cursor `chunk` at a time and their names are
        opened a chunk at a time, so memory does not grow with the roll. Everything is read in one
        read-only REPEATABLE READ transaction on its own connection: one snapshot of one
        generation (a rebuild switching meanwhile cannot drop tables this transaction has read;
        `runner._drop_retired` waits for it), the total counted in that same snapshot. By name,
        the roll is read whole and sorted first, as for a page (bounded by the name-sort limit).
        """
        g, day = self._generation(), Day(on)
        prefix, where = self._scope(g, day, subtree)
        params = {"root": organisation_id, "on": on}
        if sort == "name":
            rows, total = self._by_name(g, day, prefix, where, params, None, 0)
            return RollExport(total, _in_chunks(rows, chunk), lambda: None)
        count = SQL("{prefix}SELECT count(*) FROM {spells} s WHERE {where} AND {current}").format(
            prefix=prefix, spells=g.table("spells"), where=where, current=day.spells()
        )
        query = SQL(
            "{prefix}SELECT s.member_id, s.organisation_id, s.card_number, m.sealed_name,"
            " s.admitted_on, s.valid_from AS on_roll_since, s.sex, s.birth_year, k.wrapped_key"
            " FROM {spells} s{names} WHERE {where} AND {current} ORDER BY {order}"
        ).format(
            prefix=prefix,
            spells=g.table("spells"),
            names=self._names_join(),
            where=where,
            current=day.spells(),
            order=SQL(SORTS[sort]),
        )
        conn = self._export_connect()
        try:
            conn.autocommit = False
            conn.isolation_level = IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            # a client that stops reading for this long ends the export (cut off), rather than
            # hold its snapshot, and with it the database's vacuum, indefinitely
            conn.execute("SET idle_in_transaction_session_timeout = '5min'")
            counted = conn.execute(count, params).fetchone()
            cursor = conn.cursor("roll_export", row_factory=dict_row)
            cursor.execute(query, params)
        except BaseException:
            conn.close()
            raise

        def chunks() -> Generator[list[dict[str, Any]]]:
            while rows := cursor.fetchmany(chunk):
                yield self._with_names(rows)

        reading = chunks()

        def close() -> None:
            reading.close()
            conn.close()  # the transaction (read only) ends with the session

        return RollExport(int(counted[0]) if counted else 0, reading, close)

    def _by_name(
        self,
        g: Generation,
        day: Day,
        prefix: Composable,
        where: Composable,
        params: dict[str, Any],
        limit: int | None,
        offset: int,
    ) -> tuple[list[dict[str, Any]], int]:
        """Names are sealed (decision 021), so PostgreSQL cannot order by them: the whole roll is
        read (as plain tuples, the cheapest form), every name opened, the roll sorted in Kazakh
        alphabetical order with the card number breaking ties, and only then the page cut
        (decision 020 has the cost). A roll above the name-sort limit is refused first, by a
        count that stops at the limit (decision 089)."""
        bounded = SQL(
            "SELECT count(*) AS n FROM ({prefix}SELECT 1 FROM {spells} s WHERE {where}"
            " AND {current} LIMIT {over}) q"
        ).format(
            prefix=prefix,
            spells=g.table("spells"),
            where=where,
            current=day.spells(),
            over=Literal(self._name_sort_limit + 1),
        )
        with self._connect() as conn, conn.cursor() as curs:
            curs.execute(bounded, params)
            counted = curs.fetchone()
        if counted and counted[0] > self._name_sort_limit:
            raise RollTooLargeToSortByName(self._name_sort_limit)
        query = SQL(
            "{prefix}SELECT s.member_id, s.organisation_id, s.card_number, m.sealed_name,"
            " s.admitted_on, s.valid_from AS on_roll_since, s.sex, s.birth_year, k.wrapped_key"
            " FROM {spells} s{names} WHERE {where} AND {current} ORDER BY s.card_number"
        ).format(
            prefix=prefix,
            spells=g.table("spells"),
            names=self._names_join(),
            where=where,
            current=day.spells(),
        )
        with self._connect() as conn, conn.cursor() as curs:
            curs.execute(query, params)
            columns = [c.name for c in curs.description or ()]
            roll = curs.fetchall()
        names = self._open_names([(row[0], row[3], row[8]) for row in roll])
        ordered = self._write_side.sort_by_name(zip(roll, names, strict=True), lambda p: p[1])
        page = ordered[offset : offset + limit] if limit else ordered[offset:]
        columns[3] = "full_name"
        return [
            dict(zip(columns[:8], (*row[:3], name, *row[4:8]), strict=True)) for row, name in page
        ], len(roll)

    def _names_join(self) -> Composable:
        """The member index's sealed name and the person's wrapped key, beside each spell."""
        return SQL(
            " LEFT JOIN {} m ON m.member_id = s.member_id LEFT JOIN {} k ON k.owner_id = s.member_id"
        ).format(
            self._table(self._write_side.member_index), self._table(self._write_side.key_table)
        )

    def _with_names(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return with_names(
            rows,
            lambda rs: self._open_names(
                [(r["member_id"], r["sealed_name"], r["wrapped_key"]) for r in rs]
            ),
        )

    def _current_page(
        self, g: Generation, organisation_id: UUID, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The common case, today's roll by card number, without reading the whole roll: the page
        straight off the (organisation, card) index of open spells, the total from today's counts
        (kept in the same transactions as the spells).

        Page and total are one statement (decision 310): one round trip and one snapshot. The
        total's row is always there; a page past the end (or an empty roll) joins no spell to it,
        leaving one row whose spell columns are NULL."""
        query = SQL(
            "SELECT t.total, s.member_id, s.organisation_id, s.card_number, m.sealed_name,"
            " s.admitted_on, s.valid_from AS on_roll_since, s.sex, s.birth_year, k.wrapped_key"
            " FROM (SELECT coalesce(sum(n), 0) AS total FROM {current}"
            "  WHERE organisation_id = %(root)s) t"
            " LEFT JOIN LATERAL (SELECT * FROM {spells} s WHERE s.organisation_id = %(root)s"
            "  AND s.valid_to IS NULL ORDER BY s.card_number LIMIT %(limit)s OFFSET %(offset)s) s"
            " ON true{names} ORDER BY s.card_number"
        ).format(current=g.table("current"), spells=g.table("spells"), names=self._names_join())
        params = {"root": organisation_id, "limit": limit, "offset": offset}
        with self._connect() as conn, conn.cursor(row_factory=dict_row) as curs:
            curs.execute(query, params)
            rows = curs.fetchall()
        total = int(rows[0].pop("total")) if rows else 0
        for row in rows[1:]:
            del row["total"]
        page = [row for row in rows if row["member_id"] is not None]
        return self._with_names(page), total

    def structure(self, *, on: date | None) -> dict[str, Any]:
        """The structure and composition report (Ch. 4.3): counts per organisation and level, the
        findings a chair or the Central Office must act on, and the legal thresholds."""
        g, day = self._generation(), Day(on)
        params = {"on": on}
        with self._connect() as conn, conn.cursor(row_factory=dict_row) as curs:
            curs.execute(
                SQL(
                    "SELECT o.organisation_id, o.kind, o.parent_id, i.names, i.code FROM {} o"
                    " JOIN {} i USING (organisation_id) WHERE {}"
                ).format(
                    g.table("organisations"),
                    self._table(self._write_side.organisation_index),
                    day.units("o"),
                ),
                params,
            )
            units = {r["organisation_id"]: r for r in curs.fetchall()}
            # One pass, two small answers: members per organisation, and per sex and birth year.
            if on is None:  # today's counts are kept up to date by the projection
                source = SQL("(SELECT organisation_id, sex, birth_year, n FROM {}) s").format(
                    g.table("current")
                )
                total = SQL("sum(n)::bigint")
            else:
                source = SQL("(SELECT * FROM {} s WHERE {}) s").format(
                    g.table("spells"), day.spells()
                )
                total = SQL("count(*)")
            curs.execute(
                SQL(
                    "SELECT organisation_id, sex, birth_year, {} AS n FROM {}"
                    " GROUP BY GROUPING SETS ((organisation_id), (sex, birth_year))"
                ).format(total, source),
                params,
            )
            groups = curs.fetchall()
        return build_structure_report(units, groups, on or date.today(), on)

    def movements(self, *, start: date, end: date) -> dict[str, Any]:
        """Admissions, exits by reason, transfers in and out, between two dates (inclusive)."""
        g = self._generation()
        with self._connect() as conn, conn.cursor(row_factory=dict_row) as curs:
            curs.execute(
                SQL(
                    "SELECT kind, coalesce(reason, '') AS reason, count(*) AS n FROM {}"
                    " WHERE on_date BETWEEN %s AND %s GROUP BY 1, 2 ORDER BY 1, 2"
                ).format(g.table("facts")),
                (start, end),
            )
            rows = curs.fetchall()
        exits = {r["reason"]: r["n"] for r in rows if r["kind"] == "ended"}
        count = Counter({r["kind"]: 0 for r in rows})
        for r in rows:
            count[r["kind"]] += r["n"]
        return {
            "from": start,
            "to": end,
            "admissions": count["admitted"],
            "exits": sum(exits.values()),
            "exits_by_reason": exits,
            "transfers_in": count["transfer_in"],
            "transfers_out": count["transfer_out"],
            "restored_on_appeal": count["restored"],
        }

    def _units_sql(self, g: Generation, day: Day, *, subtree: bool) -> Composable:
        if not subtree:
            return SQL("units AS (SELECT %(root)s::uuid AS organisation_id)")
        return SQL(
            "units AS (SELECT %(root)s::uuid AS organisation_id UNION"
            " SELECT o.organisation_id FROM {} o JOIN units u ON o.parent_id = u.organisation_id"
            " WHERE {})"
        ).format(g.table("organisations"), day.units("o"))

    def _table(self, name: str) -> Identifier:
        return Identifier(self._schema, name)


def _in_chunks(rows: list[T], size: int) -> Generator[list[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def age_band(birth_year: int, on: date) -> str:
    """By year of birth, the only date part kept after erasure: exact or one year over."""
    age = on.year - birth_year
    return next((label for low, high, label in AGE_BANDS if low <= age <= high), "under 18")


def build_structure_report(
    units: dict[UUID, dict[str, Any]], groups: list[dict[str, Any]], today: date, on: date | None
) -> dict[str, Any]:
    """The report from its inputs, wherever they come from (the read model, or an auditor's replay
    of an export): `units` maps each organisation in existence on the date to its kind, parent_id,
    names and code; `groups` counts the members on rolls that day (key "n") by organisation_id, sex
    and birth_year, or by organisation_id alone and by sex and birth_year alone (the other keys
    None), as SQL's GROUPING SETS gives them."""
    direct: Counter[UUID] = Counter()
    sexes: Counter[str] = Counter()
    ages: Counter[str] = Counter()
    for g in groups:  # a group may count by organisation, by sex and birth year, or by both
        if g["organisation_id"] is not None:
            direct[g["organisation_id"]] += g["n"]
        if g["sex"] is not None:
            sexes[g["sex"]] += g["n"]
            ages[age_band(g["birth_year"], today)] += g["n"]
    subtree: Counter[UUID] = Counter()
    for organisation_id, n in direct.items():
        node: UUID | None = organisation_id
        while node is not None and node in units:
            subtree[node] += n
            node = units[node]["parent_id"]
    by_kind: defaultdict[str, int] = defaultdict(int)
    for unit in units.values():
        by_kind[unit["kind"]] += 1
    ppos = [u for u in units.values() if u["kind"] == "primary_organisation"]
    regional = [u for u in units.values() if u["kind"] == "regional_branch"]
    total = sum(direct.values())

    def row(u: dict[str, Any]) -> dict[str, Any]:
        return {
            "organisation_id": u["organisation_id"],
            "kind": u["kind"],
            "parent_id": u["parent_id"],
            "code": u["code"],
            "name": u["names"]["en"],
            "names": u["names"],
            "members": subtree[u["organisation_id"]],
            "direct_members": direct[u["organisation_id"]],
        }

    short = [row(b) for b in regional if subtree[b["organisation_id"]] < REGIONAL_BRANCH_MINIMUM]
    return {
        "as_of": on,
        "members": total,
        "organisations": dict(sorted(by_kind.items())),
        "units": sorted((row(u) for u in units.values()), key=lambda r: (r["kind"], r["name"])),
        "findings": {
            "ppos_below_three": [
                row(u) for u in ppos if direct[u["organisation_id"]] < MIN_PPO_MEMBERS
            ],
            "ppos_above_thousand": [
                row(u) for u in ppos if direct[u["organisation_id"]] > BRANCH_RIGHTS_MEMBERS
            ],
        },
        "thresholds": {
            "party_minimum": PARTY_MINIMUM,
            "party_meets_minimum": total >= PARTY_MINIMUM,
            "regional_branch_minimum": REGIONAL_BRANCH_MINIMUM,
            "regional_branches": len(regional),
            "regional_branches_short": short,
            "meets_all": total >= PARTY_MINIMUM and not short and len(regional) >= 20,
        },
        "composition": {
            # Every sex, a zero count too: a key must not come and go with the counts.
            "by_sex": dict(sorted({**{sex.value: 0 for sex in Sex}, **sexes}.items())),
            "by_age_band": {label: ages[label] for *_, label in AGE_BANDS},
        },
    }
