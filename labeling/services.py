"""Writes for labeling: one transaction per use case."""
