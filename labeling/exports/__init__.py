"""Exports: one module per format, a pair-record builder (pairs.py) shared by the preference
formats, and the use cases (services.py). Every writer is a generator of lines over a
server-side cursor, so memory stays constant whatever the size of the project."""
