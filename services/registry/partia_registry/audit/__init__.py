"""The auditor's toolkit: export, verify and replay the registry's history without trusting it.

An auditor (DOMAIN §7) must be able to show that nothing in the event log was altered and to see
the registry as it stood on any past date, using only a copy of the events and this tool: no
running service, no master key, no personal data. The pieces:

- `chain`: the tamper-evident hash chain over events and the export file's line format;
- `signing`: Ed25519 keys and the signed checkpoint at the end of an export;
- `source`: reading the event table from PostgreSQL quickly (server-side cursor, binary);
- `export`, `verify`, `verify_db`: writing an export, checking a file, checking a live database
  against a trusted export;
- `replay`, `diff`: folding an export into rolls and the structure report, and comparing them with
  what the service says;
- `progress`: a small stderr progress bar for long runs.

Run it as `partia-audit ...` or `python -m partia_registry.audit ...`.
"""
