"""Partia finance: the party's donations, checked against the prohibited-source rules (DOMAIN §6)."""
