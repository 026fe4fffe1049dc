"""Adapters to the outside world: PostgreSQL now; Kafka and SMTP when the services need them."""
