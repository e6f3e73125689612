"""Reads for labeling, shared by pages, API and tasks (and by payments, which pulls accepted
work through these selectors)."""
