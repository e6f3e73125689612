"""Reads for qualifications, shared by pages, API and tasks."""
