"""Telling a failure of the database from a failure one command caused, by SQLSTATE.

psycopg (and the library, which wraps its errors) put some errors one command causes in the same
classes as a lost connection: an index row too large (54000) is an `OperationalError`, a NOT NULL
violation an `IntegrityError` like a lost race. Only the first kind may fail a whole batch or be
retried; the second is the command's own answer (decision 088).
"""

from __future__ import annotations

UNIQUE_VIOLATION = "23505"  # another writer recorded the same version, key or IIN first
DATABASE_FAILED = ("08", "40", "53", "57", "58", "XX")
"""SQLSTATE classes that say the database failed, not a command: connection exception,
transaction rollback, insufficient resources, operator intervention (shutdown, cancel), system
error, internal error. Others (22 data, 23 integrity, 54 program limit, ...) are a command's."""


def sqlstate(failure: BaseException) -> str | None:
    """The SQLSTATE of the PostgreSQL error behind a failure (the library wraps psycopg's)."""
    seen: BaseException | None = failure
    while seen is not None:
        code = getattr(seen, "sqlstate", None)
        if code:
            return str(code)
        seen = seen.__cause__
    return None


def database_failed(failure: BaseException) -> bool:
    """Whether a failure is the database's (batch-wide, worth retrying) rather than a command's.
    No SQLSTATE at all means the client lost the server (psycopg reports no code then)."""
    code = sqlstate(failure)
    return code is None or code.startswith(DATABASE_FAILED)
