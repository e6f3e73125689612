"""Reads behind exports and import/export job pages: annotations to export (filtered, streamed
with a server-side cursor), and the jobs of a project."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Role, User
from accounts.services import check_org_role
from core.exceptions import ValidationFailed
from labeling.models import Annotation, ExpertProjectStats, ExportJob, ImportJob
from marketplace.models import Project

CHUNK = 2000

BASE_FIELDS = (
    "id",
    "item_id",
    "item__external_id",
    "item__is_gold",
    "item__gold_answer",
    "expert__expert_profile__pseudonym",
    "response",
    "active_seconds",
    "submitted_at",
    "review_status",
    "auto_accepted",
    "gold_correct",
)


def check_can_export(*, user: User, project: Project) -> None:
    """Reviewers, managers and owners of the project's organization may export (the data is
    theirs and reviewers already see every annotation); viewers get 403, anyone else 404."""
    check_org_role(user=user, organization=project.organization, minimum=Role.REVIEWER)


@dataclass(frozen=True)
class ExportFilters:
    """accepted_only: only annotations accepted in review; exclude_suspended: drop the work of
    experts suspended from the project; since <= submitted_at < until (a date `until` includes
    that whole day); metadata: add the `metadata` object to preference records."""

    accepted_only: bool = False
    exclude_suspended: bool = False
    since: datetime | None = None
    until: datetime | None = None
    metadata: bool = True

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("since", "until"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ExportFilters:
        return cls(
            accepted_only=bool(data.get("accepted_only")),
            exclude_suspended=bool(data.get("exclude_suspended")),
            since=_when(data.get("since"), "since"),
            until=_when(data.get("until"), "until"),
            metadata=data.get("metadata", True) not in (False, "0", "false", 0),
        )


def _when(value, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        day = value
    else:
        moment = parse_datetime(str(value))
        if moment is not None:
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        day = parse_date(str(value))
        if day is None:
            raise ValidationFailed(fields={name: ["Use an ISO date or date-time."]})
    if name == "until":
        day = day + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time.min))


def annotations_for_export(
    *, project: Project, filters: ExportFilters, with_payload: bool = False
) -> QuerySet:
    """Dict rows (values()), ordered by item then annotation, for one project's annotations."""
    qs = Annotation.objects.filter(project=project)
    if filters.accepted_only:
        qs = qs.filter(review_status=Annotation.Review.ACCEPTED)
    if filters.exclude_suspended:
        suspended = ExpertProjectStats.objects.filter(
            project_id=project.pk, expert_id=OuterRef("expert_id"), suspended_at__isnull=False
        )
        qs = qs.filter(~Exists(suspended))
    if filters.since:
        qs = qs.filter(submitted_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(submitted_at__lt=filters.until)
    fields = BASE_FIELDS + (("item__payload",) if with_payload else ())
    return qs.order_by("item_id", "id").values(*fields)


def iter_annotations(
    *, project: Project, filters: ExportFilters, with_payload: bool = False
) -> Iterator[dict]:
    """Streams rows through a server-side cursor, CHUNK rows at a time: constant memory."""
    return annotations_for_export(
        project=project, filters=filters, with_payload=with_payload
    ).iterator(chunk_size=CHUNK)


class JSONLine(Func):
    """json_build_object(key, value, ...)::text: PostgreSQL writes the JSON (keys in the given
    order), so a raw export line costs Python one string, not a decode and an encode."""

    output_field = TextField()

    def __init__(self, fields: dict):
        assert all(key.replace("_", "").isalpha() for key in fields)
        self.keys = list(fields)
        super().__init__(*fields.values())

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for key, expression in zip(self.keys, self.get_source_expressions(), strict=True):
            sql, expression_params = compiler.compile(expression)
            parts.append(f"'{key}', {sql}")
            params.extend(expression_params)
        return f"json_build_object({', '.join(parts)})::text", params


ANNOTATION_LINE = {
    "annotation_id": F("id"),
    "item_id": F("item_id"),
    "external_id": F("item__external_id"),
    "expert": F("expert__expert_profile__pseudonym"),
    "response": F("response"),
    "active_seconds": F("active_seconds"),
    "submitted_at": F("submitted_at"),
    "review_status": F("review_status"),
    "auto_accepted": F("auto_accepted"),
    "is_gold": F("item__is_gold"),
    "gold_answer": F("item__gold_answer"),
    "gold_correct": F("gold_correct"),
}


def iter_annotation_json(*, project: Project, filters: ExportFilters) -> Iterator[str]:
    """One JSON object (text, built by PostgreSQL) per annotation, streamed. Other databases
    (the SQLite demo): the same object built in Python."""
    qs = annotations_for_export(project=project, filters=filters).order_by("id")
    if connection.vendor != "postgresql":
        return _annotation_json_in_python(qs)
    return (
        qs.annotate(line=JSONLine(ANNOTATION_LINE))
        .values_list("line", flat=True)
        .iterator(chunk_size=CHUNK)
    )


def _annotation_json_in_python(qs: QuerySet[Annotation]) -> Iterator[str]:
    keys = list(ANNOTATION_LINE)
    columns = [expression.name for expression in ANNOTATION_LINE.values()]
    for row in qs.values_list(*columns).iterator(chunk_size=CHUNK):
        yield json.dumps(dict(zip(keys, row, strict=True)), default=_json_value)


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


CSV_FIELDS = (
    "id",
    "item_id",
    "item__external_id",
    "expert__expert_profile__pseudonym",
    "review_status",
    "auto_accepted",
    "active_seconds",
    "submitted_at",
    "item__is_gold",
    "gold_correct",
    "response_text",
    "gold_text",
)


def iter_annotation_tuples(*, project: Project, filters: ExportFilters) -> Iterator[tuple]:
    """Tuples in CSV_FIELDS order; JSON columns as JSON text (no decode), streamed."""
    qs = annotations_for_export(project=project, filters=filters).order_by("id")
    return (
        qs.annotate(
            response_text=Cast("response", TextField()),
            gold_text=Cast("item__gold_answer", TextField()),
        )
        .values_list(*CSV_FIELDS)
        .iterator(chunk_size=CHUNK)
    )


def export_row_count(*, project: Project, filters: ExportFilters) -> int:
    return annotations_for_export(project=project, filters=filters).order_by().count()


def import_jobs_for_project(*, project: Project) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(project=project).select_related("uploaded_by")


def import_job_get(*, project: Project, job_id: int) -> ImportJob:
    from django.http import Http404

    job = import_jobs_for_project(project=project).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def export_jobs_for_project(*, project: Project) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(project=project).select_related("requested_by")


def export_job_get(*, project: Project, job_id: int) -> ExportJob:
    from django.http import Http404

    job = export_jobs_for_project(project=project).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job
