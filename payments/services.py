"""Writes for payments: one transaction per use case."""
