"""Partia notifications: members and bodies told what happened and what is due (issue 13)."""
