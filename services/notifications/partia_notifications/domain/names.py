"""An organisation's official name in the reader's language (decision 276)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

FALLBACK: Final = ("ru", "kk", "en")
"""When a name is missing in the reader's language: the party's working language first."""


def name_in(names: Mapping[str, str], language: str) -> str | None:
    """The name in `language`, or else in the first of `FALLBACK` that has one: a notice names an
    organisation in another language rather than leave a blank. None: no name in any language."""
    for candidate in (language, *FALLBACK):
        name = (names.get(candidate) or "").strip()
        if name:
            return name
    return None
