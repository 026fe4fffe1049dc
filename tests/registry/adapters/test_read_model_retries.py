"""A read whose generation a rebuild dropped is run again on the current one (issue 8 item 1):
as long as each look finds a newer generation, since two rebuilds in a row can drop the one the
retry landed on; a missing table that no switch explains is a real error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from psycopg.errors import UndefinedTable

from partia_registry.projections.reader import ReadModel
from partia_registry.projections.tables import Generation


def read_model(generations: Iterator[int]) -> ReadModel:
    """A read model whose every look at the current generation finds the next of `generations`."""
    model = ReadModel(connect=None, schema="registry", events_table="events")  # type: ignore[arg-type]

    def refresh() -> Generation:
        model._generation = Generation("registry", next(generations))
        return model._generation

    model.refresh = refresh  # type: ignore[method-assign]
    model._generation = Generation("registry", 1)
    return model


def test_a_read_dropped_by_two_rebuilds_in_a_row_is_answered_from_the_newest_generation() -> None:
    model = read_model(iter([2, 3]))
    seen: list[int] = []

    def read() -> Any:
        seen.append(model._generation.number if model._generation else 0)
        if len(seen) < 3:
            raise UndefinedTable("relation rm1_spells does not exist")
        return "roll"

    assert model.reading(read) == "roll"
    assert seen == [1, 2, 3]


def test_a_missing_table_no_switch_explains_is_raised() -> None:
    model = read_model(iter([1, 1]))

    def read() -> Any:
        raise UndefinedTable("relation rm1_spells does not exist")

    with pytest.raises(UndefinedTable):
        model.reading(read)
