"""The registry's rules and facts: aggregates, events and Charter policies. No I/O, no framework."""
