"""Writes for qualifications: one transaction per use case."""
