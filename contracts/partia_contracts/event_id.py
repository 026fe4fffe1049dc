"""Deterministic integration-event ids, so that a redelivered event keeps its id."""

from uuid import NAMESPACE_URL, UUID, uuid5

EVENT_ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:partia:integration-event")
"""Fixed forever: changing it would give already-published events new ids."""


def derive_event_id(aggregate_id: UUID, aggregate_version: int) -> UUID:
    """The `event_id` of the integration event published for this aggregate version.

    A UUIDv5 of `"<aggregate_id>/<aggregate_version>"`: every producer (and every retry of
    one) computes the same id, so consumers can deduplicate on it.
    """
    return uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}/{aggregate_version}")
