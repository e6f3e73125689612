"""Writes for labeling: one transaction per use case."""

from labeling.services.work import (
    annotation_submit,
    assignment_draft_save,
    assignment_release,
    leases_expire,
    task_claim,
)

__all__ = [
    "annotation_submit",
    "assignment_draft_save",
    "assignment_release",
    "leases_expire",
    "task_claim",
]
