"""Import and export jobs whose Celery message was lost.

A Redis restart without persistence drops queued messages, and a job whose message is gone stays
`queued` or `running` for ever. Anything older than the broker's visibility timeout can no longer
be running or be redelivered (the task time limit is far shorter), so it is marked failed with a
message that says to start it again. A late run of such a job leaves it alone: runs skip finished
jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from labeling.models import ExportJob, ImportJob
from labeling.models.jobs import JobStatus

LOST_MESSAGE = "This job was interrupted before it could finish. Please start it again."
UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


def jobs_fail_lost(*, now: datetime | None = None) -> int:
    """Mark unfinished jobs older than the visibility timeout as failed; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT)
    exports = ExportJob.objects.filter(status__in=UNFINISHED, created_at__lt=cutoff).update(
        status=JobStatus.FAILED, error=LOST_MESSAGE, finished_at=now
    )
    imports = ImportJob.objects.filter(status__in=UNFINISHED, created_at__lt=cutoff).update(
        status=JobStatus.FAILED,
        errors=[{"line": None, "field": "", "message": LOST_MESSAGE}],
        finished_at=now,
    )
    return exports + imports
