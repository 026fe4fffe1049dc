"""The finance service's HTTP API models (`api`) and integration events."""
