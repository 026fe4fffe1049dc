"""The auditor's toolkit: export, verify and replay the registry's history without trusting it.

An auditor (DOMAIN §7) must be able to show that nothing in the event log was altered and to see
the registry as it stood on any past date, using only a copy of the events and this tool: no
running service, no master key, no personal data. The parts that know nothing of the registry
(the hash chain, signing, reading an event table, export, verify, verify-db) are in
`partia_kit.audit`, shared with every service (`partia-audit export --service finance ...`);
what is here understands the registry's events:

- `replay`, `diff`: folding an export into rolls and the structure report, and comparing them with
  what the service says;
- `commands`, `__main__`: the `partia-audit` command line.

Run it as `partia-audit ...` or `python -m partia_registry.audit ...`.
"""
