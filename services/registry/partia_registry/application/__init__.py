"""Commands and queries: load what a decision needs, let the domain decide, save the facts."""
