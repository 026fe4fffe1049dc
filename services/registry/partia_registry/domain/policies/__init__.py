"""The rulebook: each Charter or constitutional rule the registry enforces, as a small pure function.

Read these modules to know what the registry refuses and why; change them when the Charter changes.
"""
