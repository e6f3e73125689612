"""Reads for payments, shared by pages, API and tasks."""
