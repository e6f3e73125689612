"""Import and export jobs whose Celery message was lost end as failed, not queued for ever."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from config.beat import BEAT_SCHEDULE
from labeling.models import ExportJob, ImportJob
from labeling.models.jobs import JobStatus
from labeling.services.job_recovery import LOST_MESSAGE
from labeling.tasks import jobs_fail_lost_task
from tests.labeling.factories import live_project

pytestmark = pytest.mark.django_db


def _jobs(project, *, age: timedelta, status: str):
    created = timezone.now() - age
    export = ExportJob.objects.create(
        project=project, export_format="annotations", status=status, created_at=created
    )
    imported = ImportJob.objects.create(
        project=project,
        file_name="items.jsonl",
        file_path="/nonexistent",
        file_format="jsonl",
        status=status,
        created_at=created,
    )
    return export, imported


def test_unfinished_jobs_older_than_the_visibility_timeout_fail_with_a_retry_message(
    organization,
):
    project = live_project(organization)
    timeout = timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT)
    lost = [
        *_jobs(project, age=timeout + timedelta(minutes=1), status=JobStatus.QUEUED),
        *_jobs(project, age=timeout + timedelta(minutes=1), status=JobStatus.RUNNING),
    ]
    recent = _jobs(project, age=timedelta(minutes=5), status=JobStatus.RUNNING)
    done = _jobs(project, age=timeout * 3, status=JobStatus.SUCCEEDED)

    assert jobs_fail_lost_task.apply().get() == 4

    for job in lost:
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED and job.finished_at
    assert lost[0].error == LOST_MESSAGE
    assert lost[1].errors == [{"line": None, "field": "", "message": LOST_MESSAGE}]
    for job in (*recent, *done):
        before = job.status
        job.refresh_from_db()
        assert job.status == before
    assert jobs_fail_lost_task.apply().get() == 0


def test_beat_runs_the_recovery():
    assert any(e["task"] == "labeling.tasks.jobs_fail_lost" for e in BEAT_SCHEDULE.values())
