"""Partia registry: the party's organisations and its members, as an immutable history of facts."""
