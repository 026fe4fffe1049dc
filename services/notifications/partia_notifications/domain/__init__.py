"""The notifications service's domain: what a notice says and to whom (no I/O)."""
