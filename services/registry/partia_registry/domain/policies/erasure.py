"""Erasing a person's personal data (Constitution Art. 21; DOMAIN §8): once, and only for someone
the party no longer has to keep accurate records of."""

from __future__ import annotations

from partia_registry.domain.rules import StateConflict


def check_may_erase(*, erased: bool, appeal_pending: bool, current_as: str | None) -> None:
    """Art. 21: erased once. Ch. 5.1: not while an appeal that could restore the membership is
    pending. Ch. 4.4: not while the person is a current member or applicant (`current_as`), whose
    data the party must keep accurate."""
    if erased:
        raise StateConflict(
            "already-erased",
            "Constitution Art. 21",
            "this person's personal data has already been erased",
        )
    if appeal_pending:
        raise StateConflict(
            "erasure-during-appeal",
            "Ch. 5.1",
            "an appeal is pending and could restore the membership; decide it first",
        )
    if current_as is not None:
        raise StateConflict(
            "erasure-while-active",
            "Ch. 4.4",
            f"the person is a current {current_as}; the party must keep the data of its current "
            "members and applicants accurate, so end the membership or decide the application first",
        )
