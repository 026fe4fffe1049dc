"""The business date of each fact: the day it took effect, as opposed to the day it was recorded."""

from __future__ import annotations

from datetime import date
from typing import Any

_OWN_DATE_FIELDS = ("effective_on", "moved_on", "requested_on", "opened_on", "filed_on", "ended_on")


def effective_on(event: Any) -> date:
    """The day the fact names as its effect (a withdrawal's, which a later decision formalises);
    else a decision's date when the fact rests on one; else the date the fact names (the day a
    member moved, an appeal was filed, ...); else the signed document's; else the day recorded."""
    own = getattr(event, "effective_on", None)
    if isinstance(own, date):
        return own
    decision = getattr(event, "decision", None)
    if decision is not None:
        return decision.decided_on  # type: ignore[no-any-return]
    for name in _OWN_DATE_FIELDS:
        value = getattr(event, name, None)
        if isinstance(value, date):
            return value
    mandate = getattr(event, "mandate", None)
    if mandate is not None:
        return mandate.started_on  # type: ignore[no-any-return]
    document = getattr(event, "application_document", None)
    if document is not None:
        return document.signed_on  # type: ignore[no-any-return]
    return event.timestamp.date()  # type: ignore[no-any-return]
