"""Labeling: items, task leases (assignments), annotations, per-expert trust, appeals, jobs."""

from labeling.models.items import Item, LabelingConfig
from labeling.models.jobs import ExportJob, ImportJob
from labeling.models.review import Appeal
from labeling.models.work import Annotation, Assignment, ExpertProjectStats

__all__ = [
    "Annotation",
    "Appeal",
    "Assignment",
    "ExpertProjectStats",
    "ExportJob",
    "ImportJob",
    "Item",
    "LabelingConfig",
]
