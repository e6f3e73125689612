from django.conf import settings
from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """An uploaded items file and what became of it. All-or-nothing: either every row is
    inserted or none, with up to the first 50 errors and their line numbers."""

    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500)
    file_format = models.CharField(max_length=8)  # jsonl | json | csv
    file_size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_processed = models.PositiveIntegerField(default=0)
    items_created = models.PositiveIntegerField(default=0)
    gold_created = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"


class ExportJob(models.Model):
    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    export_format = models.CharField(max_length=32)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    rows_written = models.PositiveIntegerField(default=0)
    file_path = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.export_format}, {self.status})"
