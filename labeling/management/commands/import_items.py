"""manage.py import_items <project_id> <file> [--format jsonl|json|csv]

Imports a file from the server's disk into a project, synchronously, with a progress bar on
stderr, and prints the report (counts, or the errors with their line numbers). All or nothing,
exactly like an upload through the API. Exit status 1 when the file was refused.
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from labeling.imports import import_job_create_from_path, import_job_run
from marketplace.models import Project


class ProgressBar:
    """A small text progress bar (rows validated of rows expected)."""

    def __init__(self, stream, width: int = 30):
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self.last = 0.0

    def update(self, done: int, total: int | None, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-6)
        if total:
            share = min(done / total, 1.0)
            bar = "#" * int(share * self.width)
            text = f"[{bar:<{self.width}}] {done}/{total} rows ({share:.0%}, {rate:,.0f}/s)"
        else:
            text = f"{done} rows ({rate:,.0f}/s)"
        self.stream.write("\r" + text)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import items (and gold items) from a JSONL, JSON array or CSV file: all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("project_id", type=int)
        parser.add_argument("file")
        parser.add_argument("--format", choices=["jsonl", "json", "csv"], default=None)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args, **options):
        project = Project.objects.filter(pk=options["project_id"]).first()
        if project is None:
            raise CommandError(f"No project {options['project_id']}.")
        try:
            job = import_job_create_from_path(
                project=project, path=options["file"], file_format=options["format"]
            )
        except DomainError as exc:
            details = " ".join(m for msgs in exc.fields.values() for m in msgs)
            raise CommandError(f"{exc.message} {details}".strip()) from None

        bar = None if options["no_progress"] else ProgressBar(self.stderr._out)
        started = time.monotonic()
        job = import_job_run(
            job_id=job.pk,
            on_progress=(lambda done, total: bar.update(done, total)) if bar else None,
        )
        if bar is not None:
            bar.update(job.rows_processed, job.rows_total, force=True)
            bar.close()
        seconds = time.monotonic() - started
        if job.status == "succeeded":
            self.stdout.write(
                self.style.SUCCESS(
                    f"Import #{job.pk}: {job.rows_total} rows imported — {job.items_created} "
                    f"items, {job.gold_created} gold items in {seconds:.1f}s."
                )
            )
            return
        self.stdout.write(
            self.style.ERROR(f"Import #{job.pk} refused: nothing was imported. Errors:")
        )
        for error in job.errors:
            where = f"line {error['line']}" if error.get("line") else "file"
            field = f" {error['field']}" if error.get("field") else ""
            self.stdout.write(f"  {where}{field}: {error['message']}")
        sys.exit(1)
