"""The finance domain: donations, their decisions and return obligations. No I/O."""
