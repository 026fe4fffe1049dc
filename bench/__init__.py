"""Benchmarks for Partia; `python -m bench.admissions` is what `make bench` runs (see README)."""
