"""The notifications service's integration events."""
