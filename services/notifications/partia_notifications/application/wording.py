"""A queued notice's facts made ready for its template in the reader's language: dates as dates,
and each organisation, held as an id, named in that language (decision 276). The names come from
the registry's organisation events, which this service follows into its own table; an
organisation not heard of yet (its event still on the way) makes the notice wait and try again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from partia_notifications.application.ports import Organisation, Organisations, Unreachable
from partia_notifications.domain.names import name_in
from partia_notifications.domain.notices import APPEAL_FROM, ORGANISATION_KEYS, facts
from partia_notifications.domain.policies.appeals import appeal_organisation


class NotYetKnown(Unreachable):
    """An organisation the notice names is not in the service's table yet: try again later."""


def worded(
    context: Mapping[str, Any], language: str, organisations: Organisations
) -> dict[str, Any]:
    ready = facts(context)
    for key, id_key in ORGANISATION_KEYS.items():
        if ready.get(id_key) is not None:
            ready[key] = _name(_chain(organisations, ready[id_key])[0], language)
    body = ready.get("appeal_body")
    if ready.get(APPEAL_FROM) is not None and body is not None:
        chain = _chain(organisations, ready[APPEAL_FROM])
        hears = appeal_organisation([(o.organisation_id, o.kind) for o in chain], str(body))
        found = next((o for o in chain if o.organisation_id == hears), None)
        if found is None:
            raise NotYetKnown(f"organisation above {ready[APPEAL_FROM]} not known yet")
        ready["appeal_organisation"] = _name(found, language)
    return ready


def _chain(organisations: Organisations, organisation_id: Any) -> list[Organisation]:
    chain = organisations.chain(UUID(str(organisation_id)))
    if not chain:
        raise NotYetKnown(f"organisation {organisation_id} not known yet")
    return chain


def _name(organisation: Organisation, language: str) -> str:
    name = name_in(organisation.names, language)
    if name is None:
        raise NotYetKnown(f"organisation {organisation.organisation_id} has no name")
    return name
