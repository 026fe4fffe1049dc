"""The read side: rolls and the structure report, built from the events and rebuildable from them."""
