"""What every Partia service shares, imported rather than copied.

- `partia_kit.broker`: the embedded Kafka-protocol broker (Tansu) for `make run` and the tests.
- `partia_kit.relay`: the outbox relay from a service's event log to Kafka.
- `partia_kit.consumer`: consumers that apply each message once in effect.
- `partia_kit.http`, `.postgres`, `.vault`, `.writer`, `.settings`, `.idempotency`, `.iin`: the
  generic parts of a service (decision 091).
- `partia_kit.testing`: pytest fixtures (a real broker and a real PostgreSQL per test session).
"""
