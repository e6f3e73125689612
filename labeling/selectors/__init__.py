"""Reads for labeling, shared by pages, API and tasks (and by payments, which pulls accepted
work through these selectors)."""

# Review and appeals (payments pulls accepted work through the first two).
from labeling.selectors.review import (  # noqa: E402
    annotation_accepted_ids_for_project,
    annotations_accepted_since,
)

__all__ = ["annotation_accepted_ids_for_project", "annotations_accepted_since"]
