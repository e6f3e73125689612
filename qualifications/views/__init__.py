"""Server-rendered pages for experts and staff."""
