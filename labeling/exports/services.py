"""Export use cases: stream a format (sync download) or write it to a file (async job)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from core.exceptions import InvalidState, ValidationFailed
from labeling.exports.base import ExportFormat
from labeling.exports.registry import EXPORT_FORMATS
from labeling.models import ExportJob
from labeling.models.jobs import JobStatus
from labeling.selectors.exports import ExportFilters, check_can_export, export_row_count
from marketplace.models import Project

logger = logging.getLogger(__name__)

#: Bytes per chunk handed to the HTTP response or the file.
CHUNK_BYTES = 64 * 1024
PROGRESS_EVERY = 10_000


class ExportTooLarge(InvalidState):
    code = "export_too_large"
    default_message = "This export is too large to download directly; start an export job."


def sync_max_rows() -> int:
    return getattr(settings, "PLUMBLINE_EXPORT_SYNC_MAX_ROWS", 100_000)


def exports_dir() -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT) / "exports"


def export_format_get(*, project: Project, name: str) -> ExportFormat:
    fmt = EXPORT_FORMATS.get(name)
    if fmt is None:
        raise ValidationFailed(
            "Unknown export format.",
            fields={"format": [f"Choose one of {', '.join(EXPORT_FORMATS)}."]},
        )
    if not fmt.applies_to(project):
        raise ValidationFailed(
            "This format does not apply to this project's task type.",
            fields={"format": [f"{name} needs a {' or '.join(fmt.task_types)} project."]},
        )
    return fmt


def chunks(lines: Iterator[str]) -> Iterator[bytes]:
    """Join lines into ~64 KB byte chunks."""
    buf: list[str] = []
    size = 0
    for line in lines:
        buf.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield "".join(buf).encode("utf-8")
            buf, size = [], 0
    if buf:
        yield "".join(buf).encode("utf-8")


def export_stream(
    *, project: Project, user: User, format_name: str, filters: ExportFilters
) -> tuple[ExportFormat, Iterator[bytes]]:
    """A sync download: checks (reviewers and above; small enough), then a byte stream."""
    check_can_export(user=user, project=project)
    fmt = export_format_get(project=project, name=format_name)
    limit = sync_max_rows()
    if export_row_count(project=project, filters=filters) > limit:
        raise ExportTooLarge(
            f"More than {limit} annotations match; start an export job and download its file."
        )
    audit_record(
        actor=user,
        verb="labeling.exported",
        target=project,
        details={"format": fmt.name, "filters": filters.as_dict(), "mode": "sync"},
    )
    return fmt, chunks(fmt.lines(project=project, filters=filters))


def _enqueue(job_id: int) -> None:
    from labeling.tasks import export_job_run_task

    queue = getattr(settings, "PLUMBLINE_LABELING_IO_QUEUE", None)
    export_job_run_task.apply_async(args=[job_id], queue=queue)


def export_job_create(
    *, project: Project, user: User, format_name: str, filters: ExportFilters, request=None
) -> ExportJob:
    check_can_export(user=user, project=project)
    fmt = export_format_get(project=project, name=format_name)
    with transaction.atomic():
        job = ExportJob.objects.create(
            project=project, requested_by=user, export_format=fmt.name, filters=filters.as_dict()
        )
        audit_record(
            actor=user,
            verb="labeling.export_queued",
            target=project,
            request=request,
            details={"job": job.pk, "format": fmt.name, "filters": job.filters},
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def export_write(
    *, project: Project, fmt: ExportFormat, filters: ExportFilters, out, on_rows=None
) -> int:
    """Write a whole export to a binary file object; returns the number of rows."""
    lines = 0
    for_progress = PROGRESS_EVERY

    def counted(source: Iterator[str]) -> Iterator[str]:
        nonlocal lines, for_progress
        for line in source:
            lines += 1
            if on_rows is not None and lines >= for_progress:
                on_rows(lines - fmt.header_lines)
                for_progress += PROGRESS_EVERY
            yield line

    for chunk in chunks(counted(fmt.lines(project=project, filters=filters))):
        out.write(chunk)
    return max(lines - fmt.header_lines, 0)


def export_job_run(*, job_id: int) -> ExportJob:
    """Write the job's file under PRIVATE_STORAGE_ROOT/exports/<project>/. Safe to run twice:
    a finished job is left alone; an interrupted one is written again from the start (to a
    temporary name, renamed into place when complete)."""
    job = ExportJob.objects.select_related("project").get(pk=job_id)
    if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return job
    project = job.project
    ExportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, rows_written=0)
    directory = exports_dir() / str(project.pk)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"export-{job.pk}-{job.export_format}"
    partial = final.with_name(final.name + ".part")
    try:
        fmt = export_format_get(project=project, name=job.export_format)
        filters = ExportFilters.from_dict(job.filters)
        with open(partial, "wb") as out:
            rows = export_write(
                project=project,
                fmt=fmt,
                filters=filters,
                out=out,
                on_rows=lambda n: ExportJob.objects.filter(pk=job.pk).update(rows_written=n),
            )
        os.replace(partial, final)
    except Exception as exc:
        logger.exception("export job %s failed", job.pk)
        partial.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            error=getattr(exc, "message", None) or "Internal error while exporting.",
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        return job
    ExportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        rows_written=rows,
        file_path=str(final),
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def export_job_file(*, job: ExportJob, user: User) -> Path:
    """The finished file of a job the user may download."""
    check_can_export(user=user, project=job.project)
    if job.status != JobStatus.SUCCEEDED or not job.file_path:
        raise InvalidState("This export is not ready.")
    path = Path(job.file_path)
    if exports_dir() not in path.parents or not path.is_file():
        raise InvalidState("This export's file is no longer available.")
    return path
