"""Query parameters shared by the read endpoints, each with documented bounds.

Every integer a client sends is bounded here: PostgreSQL's bigint stops at 2^63 - 1, and a number
past it must be refused as a bad parameter (422, naming it), never reach the database (500).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

MAX_OFFSET = 1_000_000_000
"""Far beyond any party's roll; a page that far out is simply empty."""

MAX_POSITION = 2**63 - 1
"""The largest log position PostgreSQL can hold (bigint)."""

Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description=f"items to skip, 0 to {MAX_OFFSET:,}")
]
Position = Annotated[int, Query(ge=0, le=MAX_POSITION)]


def limit(maximum: int) -> Any:
    """`limit: Annotated[int, limit(1000)] = 100`: a page size from 1 to `maximum`."""
    return Query(ge=1, le=maximum, description=f"page size, 1 to {maximum:,}")
