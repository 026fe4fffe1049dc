"""The auditor's toolkit, for any service's event store: export, verify and check a live table
without trusting the service (DOMAIN §7). Nothing here knows a service's events: a line is the
row as stored (position, originator, version, topic, sealed state), so personal data stays
sealed and erasing it (destroying a person's key) changes no row.

- `chain`: the tamper-evident hash chain over events and the export file's line format;
- `signing`: Ed25519 keys and the signed checkpoint at the end of an export;
- `source`: reading one service's event table (`EventTable`) from PostgreSQL quickly;
- `export`, `verify`, `verify_db`: writing an export, checking a file, checking a live table
  against a trusted export;
- `exportfile`, `parallel`, `findings`, `progress`: reading exports, checking big ones on every
  core, the report, a stderr progress bar.

- `replay`: what every replay shares (whole history only, sealed decoding, verified first).

Folding events into a service's reports needs the service's event classes: that part lives with
each service (`partia_registry.audit`, `partia_finance.audit`). Run the tool as `partia-audit`.
"""
