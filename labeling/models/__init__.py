"""Labeling: items, task leases (assignments), annotations, per-expert trust, appeals, jobs."""

from labeling.models.items import Item, LabelingConfig
from labeling.models.jobs import ExportJob, ImportJob
from labeling.models.review import Appeal, ReviewDecision
from labeling.models.webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent
from labeling.models.work import Annotation, Assignment, ExpertProjectStats
from labeling.quality.models import (  # noqa: E402 - quality analytics tables
    ItemAggregateBlock,
    JudgeUpload,
    JudgeVerdict,
    QualityFlag,
    QualitySnapshot,
)

__all__ = [
    "Annotation",
    "Appeal",
    "Assignment",
    "ExpertProjectStats",
    "ExportJob",
    "ImportJob",
    "Item",
    "ItemAggregateBlock",
    "JudgeUpload",
    "JudgeVerdict",
    "LabelingConfig",
    "QualityFlag",
    "QualitySnapshot",
    "ReviewDecision",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
