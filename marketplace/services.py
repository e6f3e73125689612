"""Writes for marketplace: one transaction per use case."""
