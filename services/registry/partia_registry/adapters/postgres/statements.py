"""SQL that must commit in the same transaction as the events it follows from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.sql import SQL, Composed, Identifier


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement run once per row of parameters (executemany)."""

    sql: SQL | Composed
    rows: list[tuple[Any, ...]]


def table(schema: str, name: str) -> Identifier:
    return Identifier(schema, name)
