"""Partia notifications (issue 13): the registry's events on Kafka turned into notices for the
people they concern, in their language (Kazakh, Russian or English), each delivered once by email
and logged by the event that caused it."""
