"""Server-rendered labeling pages."""
