"""The registry's HTTP API (FastAPI): one router per resource, problem+json errors."""
