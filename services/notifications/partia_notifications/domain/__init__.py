"""What the notifications service decides without I/O: which notices an event causes, when a
failed delivery is tried again, how a notice reads in each language."""
