"""Sealed names in query rows, opened: one place for every list that shows members' names."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Rows = list[dict[str, Any]]


def with_names(rows: Rows, open_names: Callable[[Rows], Sequence[str | None]]) -> Rows:
    """The rows with `sealed_name` opened (None once erased) as `full_name`, in its place; a
    `wrapped_key` read beside it (to open it without a second query) is left out."""
    names = open_names(rows)
    return [
        {
            ("full_name" if k == "sealed_name" else k): (name if k == "sealed_name" else v)
            for k, v in row.items()
            if k != "wrapped_key"
        }
        for row, name in zip(rows, names, strict=True)
    ]
