"""The registry's event store and its write-side indexes on PostgreSQL."""
