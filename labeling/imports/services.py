"""Import use cases: accept an items file (API upload or a path on the server) as an ImportJob,
then run the job: validate everything, insert everything in one transaction, or insert nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from core.exceptions import InvalidState, ValidationFailed
from labeling.imports.pipeline import (
    MAX_ERRORS,
    ValidationFailedStop,
    ValidationStream,
    copy_spool,
    new_spool,
    validate_file,
)
from labeling.imports.readers import FORMATS, count_lines, format_from_name
from labeling.models import ImportJob, Item
from labeling.models.jobs import JobStatus
from marketplace.models import Project
from marketplace.services import check_can_manage

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 5000


def imports_dir() -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT) / "imports"


def check_can_import(*, user: User | None, project: Project) -> None:
    """Managers and owners of the project's organization (404 outsiders, 403 lower roles);
    no import into a completed or cancelled project. `user=None` is the server's operator
    (management command)."""
    if user is not None:
        check_can_manage(user=user, project=project)
    if project.is_terminal:
        raise InvalidState("Items cannot be added to a closed project.")


def _resolve_format(name: str, file_format: str | None) -> str:
    fmt = (file_format or "").lower() or format_from_name(name)
    if fmt == "ndjson":
        fmt = "jsonl"
    if fmt not in FORMATS:
        raise ValidationFailed(
            "Unknown file format.",
            fields={
                "format": ["Use jsonl, json or csv (or name the file *.jsonl, *.json, *.csv)."]
            },
        )
    return fmt


def _check_size(size: int) -> None:
    limit = settings.PLUMBLINE_IMPORT_MAX_BYTES
    if size > limit:
        raise ValidationFailed(
            "The file is too large.",
            fields={"file": [f"The file is {size} bytes; the limit is {limit} bytes."]},
        )
    if size == 0:
        raise ValidationFailed("The file is empty.", fields={"file": ["The file is empty."]})


def _enqueue(job_id: int) -> None:
    from labeling.tasks import import_job_run_task

    queue = getattr(settings, "PLUMBLINE_LABELING_IO_QUEUE", None)
    import_job_run_task.apply_async(args=[job_id], queue=queue)


def import_job_create(
    *,
    project: Project,
    user: User,
    upload,
    file_format: str | None = None,
    request=None,
) -> ImportJob:
    """Store an uploaded file under PRIVATE_STORAGE_ROOT/imports and queue its import.
    `upload` is a Django UploadedFile (name, size, chunks())."""
    check_can_import(user=user, project=project)
    fmt = _resolve_format(upload.name, file_format)
    _check_size(upload.size)
    directory = imports_dir() / str(project.pk)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.{fmt}"
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    with transaction.atomic():
        job = ImportJob.objects.create(
            project=project,
            uploaded_by=user,
            file_name=Path(upload.name).name[:255],
            file_path=str(path),
            file_format=fmt,
            file_size=upload.size,
        )
        audit_record(
            actor=user,
            verb="items.import_queued",
            target=project,
            request=request,
            details={"job": job.pk, "file": job.file_name, "bytes": job.file_size},
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def import_job_create_from_path(
    *, project: Project, path: str | Path, file_format: str | None = None, user: User | None = None
) -> ImportJob:
    """An import job for a file already on the server (management command); not queued."""
    check_can_import(user=user, project=project)
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed("No such file.", fields={"file": [f"{path} is not a file."]})
    fmt = _resolve_format(path.name, file_format)
    size = path.stat().st_size
    _check_size(size)
    return ImportJob.objects.create(
        project=project,
        uploaded_by=user,
        file_name=path.name[:255],
        file_path=str(path.resolve()),
        file_format=fmt,
        file_size=size,
    )


def _finish_failed(job: ImportJob, errors: list[dict]) -> ImportJob:
    job.status = JobStatus.FAILED
    job.errors = errors[:MAX_ERRORS]
    job.items_created = 0
    job.gold_created = 0
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "items_created", "gold_created", "finished_at"])
    return job


def import_job_run(
    *, job_id: int, on_progress: Callable[[int, int | None], None] | None = None
) -> ImportJob:
    """Run one import job. Safe to run twice: a finished job is returned as it is; a job that
    was interrupted (worker killed) inserted nothing, since the insert is one transaction that
    also marks the job succeeded, so it simply runs again.

    Progress: `rows_processed` is saved every 5,000 rows of the validation pass; `rows_total` is
    the file's line count for JSONL/CSV (an estimate: blank lines, multi-line CSV cells) until
    validation ends, when it becomes the exact row count.
    """
    job = ImportJob.objects.select_related("project").get(pk=job_id)
    if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return job
    project = job.project
    path = Path(job.file_path)
    try:
        source = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError:
        return _finish_failed(job, [{"line": None, "field": "", "message": "File not found."}])

    with source:
        total = count_lines(source) if job.file_format in ("jsonl", "csv") else None
        if total is not None and job.file_format == "csv":
            total = max(total - 1, 0)
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.RUNNING, started_at=timezone.now(), rows_processed=0, rows_total=total
        )

        def progress(rows: int) -> None:
            ImportJob.objects.filter(pk=job.pk).update(rows_processed=rows)
            if on_progress is not None:
                on_progress(rows, total)

        # Nothing to check external ids against: validate and COPY at the same time.
        streaming = (
            connection.vendor == "postgresql" and not Item.objects.filter(project=project).exists()
        )
        run = _run_streaming if streaming else _run_sequential
        job, report = run(job=job, source=source, progress=progress)
    if on_progress is not None and job.status == JobStatus.SUCCEEDED:
        on_progress(report.rows, report.rows)
    return job


def _insert_copied(job: ImportJob, report) -> None:
    """Inside the COPY's transaction, after it: the job succeeded."""
    job.status = JobStatus.SUCCEEDED
    job.rows_total = report.rows
    job.rows_processed = report.rows
    job.items_created = report.items
    job.gold_created = report.gold
    job.errors = []
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "rows_total",
            "rows_processed",
            "items_created",
            "gold_created",
            "errors",
            "finished_at",
        ]
    )
    audit_record(
        actor=job.uploaded_by,
        verb="items.imported",
        target=job.project,
        details={"job": job.pk, "items": report.items, "gold": report.gold},
    )


def _finish_invalid(job: ImportJob, report) -> ImportJob:
    job.refresh_from_db()
    job.rows_total = report.rows
    job.rows_processed = report.rows
    job.save(update_fields=["rows_total", "rows_processed"])
    return _finish_failed(job, report.errors)


def _finish_raced(job: ImportJob) -> ImportJob:
    # Another import inserted some of the same external ids after our check.
    job.refresh_from_db()
    return _finish_failed(
        job,
        [
            {
                "line": None,
                "field": "/external_id",
                "message": "Some external_ids were imported into this project by "
                "another import at the same time; nothing was imported.",
            }
        ],
    )


def _finish_crashed(job: ImportJob) -> ImportJob:
    logger.exception("import job %s crashed while validating", job.pk)
    job.refresh_from_db()
    return _finish_failed(
        job, [{"line": None, "field": "", "message": "Internal error while reading."}]
    )


def _run_streaming(*, job: ImportJob, source, progress):
    """Validation in a thread feeding the COPY (pipeline.ValidationStream): all or nothing."""
    with ValidationStream(
        project=job.project,
        f=source,
        file_format=job.file_format,
        job_id=job.pk,
        on_progress=progress,
        progress_every=PROGRESS_EVERY,
    ) as stream:
        try:
            with transaction.atomic():
                copy_spool(stream)
                _insert_copied(job, stream.report)
        except ValidationFailedStop:
            return _finish_invalid(job, stream.report), stream.report
        except IntegrityError:
            return _finish_raced(job), stream.report
        except Exception:
            if stream.error is None:
                raise
            return _finish_crashed(job), None
    return job, stream.report


def _run_sequential(*, job: ImportJob, source, progress):
    """Validate everything into a spool file, then COPY it."""
    project = job.project
    with new_spool() as spool:
        try:
            report = validate_file(
                project=project,
                f=source,
                file_format=job.file_format,
                spool=spool,
                job_id=job.pk,
                on_progress=progress,
                progress_every=PROGRESS_EVERY,
            )
        except Exception:
            return _finish_crashed(job), None

        if not report.ok:
            return _finish_invalid(job, report), report
        job.refresh_from_db()
        try:
            with transaction.atomic():
                copy_spool(spool)
                _insert_copied(job, report)
        except IntegrityError:
            return _finish_raced(job), report
    return job, report
