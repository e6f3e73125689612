"""Reads for marketplace, shared by pages, API and tasks."""
