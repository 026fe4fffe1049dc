"""SQL that must commit in the same transaction as the events it follows from.

Every statement is set-based: its parameters are one array per column (`unnest`), sent in binary
form (`%b`: no text escaping), so a batch of a hundred decisions costs one round of each
statement, not a hundred.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.sql import SQL, Composed, Identifier


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement whose `%s` placeholders take, in order, the columns of `rows` as arrays, then
    the arrays in `more` (of another length, for a second `unnest`)."""

    sql: SQL | Composed
    rows: list[tuple[Any, ...]]
    more: tuple[list[Any], ...] = ()

    def parameters(self) -> list[list[Any]]:
        return [*(list(column) for column in zip(*self.rows, strict=True)), *self.more]


def table(schema: str, name: str) -> Identifier:
    return Identifier(schema, name)


@dataclass(frozen=True, slots=True)
class RowShape:
    """How one kind of event lands in an index table: a row keyed by `key`, with typed columns.
    `insert` rows are added; others update the row with that key (and also `also_set`)."""

    table: str
    key: tuple[str, str]
    columns: tuple[tuple[str, str], ...]
    insert: bool = False
    also_set: str = ""
    only_where: str = ""  # a further condition on the rows an update touches

    def sql(self, schema: str) -> Composed:
        names = [self.key[0]] + [name for name, _ in self.columns]
        arrays = ", ".join(f"%b::{pg_type}[]" for _, pg_type in (self.key, *self.columns))
        if self.insert:
            return SQL("INSERT INTO {} ({}) SELECT * FROM unnest({})").format(
                table(schema, self.table), SQL(", ".join(names)), SQL(arrays)
            )
        assignments = [f"{name} = u.{name}" for name, _ in self.columns]
        if self.also_set:
            assignments.append(self.also_set)
        condition = f" AND {self.only_where}" if self.only_where else ""
        return SQL(
            "UPDATE {} AS t SET {} FROM unnest({}) AS u({}) WHERE t.{} = u.{}" + condition
        ).format(
            table(schema, self.table),
            SQL(", ".join(assignments)),
            SQL(arrays),
            SQL(", ".join(names)),
            SQL(self.key[0]),
            SQL(self.key[0]),
        )
