"""Test and demo support for payments (no production code imports this package)."""
