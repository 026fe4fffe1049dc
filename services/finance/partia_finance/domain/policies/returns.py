"""Where money that may not be kept goes (DOMAIN §6)."""

from __future__ import annotations

from enum import StrEnum

from partia_finance.domain.donors import AnonymousDonor, Donor


class Disposition(StrEnum):
    RETURN_TO_DONOR = "return_to_donor"
    TRANSFER_TO_REPUBLICAN_BUDGET = "transfer_to_republican_budget"


def disposition_for(donor: Donor, anonymous: Disposition) -> Disposition:
    """An identified donor gets the money back. For an anonymous donor there is nobody to return
    it to: the election law sends it to the republican budget; the party law is silent, so the
    disposition is configuration (`anonymous`), which counsel decides."""
    if isinstance(donor, AnonymousDonor):
        return anonymous
    return Disposition.RETURN_TO_DONOR
