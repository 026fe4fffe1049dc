"""Partia's shared contracts: the integration events other systems consume.

- `partia_contracts.registry`: the member registry's integration events (pydantic models).
- `partia_contracts.schemas`: their committed JSON Schemas, and the compatibility check
  (`python -m partia_contracts.schemas check`).
"""
