"""Partia finance: donations received, checked against the prohibited-source rules with evidence,
accepted or rejected as immutable events, and every return obligation tracked until settled
(issue 11; DOMAIN.md §6)."""
