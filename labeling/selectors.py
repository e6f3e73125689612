"""Reads for labeling, shared by pages, API and tasks."""
