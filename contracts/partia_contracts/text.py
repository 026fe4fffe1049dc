"""Text PostgreSQL can store: no NUL character, no unpaired surrogate (neither has a UTF-8 form).

`StorableText` is the type of every free-text field of the registry's API requests. It is a
pattern, so the OpenAPI document states the rule and clients that validate with these models refuse
the same input; pydantic checks it in its core, and a str that holds an unpaired surrogate cannot
be matched against any pattern, so pydantic refuses that too ("string_unicode"). A field with a
stricter pattern of its own keeps it (it must refuse NUL as well: the contract tests check).

`unstorable` finds such text anywhere in parsed JSON, for a check at a boundary that also covers
the integration-event shapes (`Decision`, `OrganisationNames`, ...) that requests reuse: their
schemas are frozen by the compatibility check, and events already stored may hold such text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

__all__ = ["MESSAGE", "RULE", "STORABLE_PATTERN", "StorableText", "storable", "unstorable"]

RULE = "text-not-storable"
MESSAGE = "text must not contain NUL characters (\\u0000) or unpaired surrogates"
STORABLE_PATTERN = r"^[^\u0000]*$"

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

StorableText = Annotated[str, Field(pattern=STORABLE_PATTERN)]


def storable(value: str) -> bool:
    return _UNSTORABLE.search(value) is None


def unstorable(value: Any, path: str = "") -> str | None:
    """The dotted path of the first text (a key or a value) in parsed JSON that cannot be
    stored, or None."""
    if isinstance(value, str):
        return None if storable(value) else path
    if isinstance(value, Mapping):
        for key, child in value.items():
            where = f"{path}.{key}" if path else str(key)
            if not storable(str(key)):
                return where
            found = unstorable(child, where)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for n, child in enumerate(value):
            found = unstorable(child, f"{path}.{n}" if path else str(n))
            if found is not None:
                return found
    return None
