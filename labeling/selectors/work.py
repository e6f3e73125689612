"""Reads for the expert's side of labeling. Nothing here may reveal whether an item is gold."""

from functools import cache

from django.db import connection
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from core.exceptions import NotFound
from core.rawsql import Columns, hot_cursor
from labeling.models import Annotation, Appeal, Assignment, ExpertProjectStats, LabelingConfig
from marketplace.models import Project, ProjectStatus


@cache
def _live_project_sql() -> tuple[str, Columns, Columns]:
    p, c = Columns(Project, "p"), Columns(LabelingConfig, "c")
    # Column lists come from the models, never from input.
    sql = f"""
SELECT {p.sql}, {c.sql}
FROM marketplace_project p LEFT JOIN labeling_labelingconfig c ON c.project_id = p.id
WHERE p.id = %s AND p.status = %s
"""  # noqa: S608
    return sql, p, c


def project_get_live(*, project_id: int) -> Project:
    """A live project with its labeling config (select_related), for the claim path: one
    hand-written statement on PostgreSQL, prepared (compiling the ORM query cost more than
    running it).
    Existence of non-live projects is not disclosed (404)."""
    if connection.vendor != "postgresql":
        project = (
            Project.objects.select_related("labeling_config")
            .filter(pk=project_id, status=ProjectStatus.LIVE)
            .first()
        )
        if project is None:
            raise NotFound("No such project.")
        return project
    sql, p, c = _live_project_sql()
    with hot_cursor() as cursor:
        cursor.execute(sql, [project_id, ProjectStatus.LIVE])
        row = cursor.fetchone()
    if row is None:
        raise NotFound("No such project.")
    n = len(p.names)
    project = p.build(row[:n])
    config = c.build(row[n:]) if row[n] is not None else None
    Project.labeling_config.related.set_cached_value(project, config)
    return project


def assignment_get_for_expert(*, expert: User, assignment_id: int) -> Assignment:
    assignment = (
        Assignment.objects.select_related("item", "project")
        .filter(pk=assignment_id, expert=expert)
        .first()
    )
    if assignment is None:
        raise NotFound("No such task.")
    return assignment


def annotations_for_expert(*, expert: User) -> QuerySet[Annotation]:
    return (
        Annotation.objects.filter(expert=expert)
        .select_related("project")
        .order_by("-submitted_at", "-id")
    )


def annotation_get_for_expert(*, expert: User, annotation_id: int) -> Annotation:
    annotation = annotations_for_expert(expert=expert).filter(pk=annotation_id).first()
    if annotation is None:
        raise NotFound("No such annotation.")
    return annotation


def annotations_for_expert_with_appeals(*, expert: User) -> QuerySet[Annotation]:
    """The expert's annotations, newest first, each with the status of its latest appeal."""
    latest_appeal = Appeal.objects.filter(annotation=OuterRef("pk")).order_by("-created_at", "-id")
    return annotations_for_expert(expert=expert).annotate(
        appeal_status=Subquery(latest_appeal.values("status")[:1])
    )


def live_leases_for_expert(*, expert: User) -> list[Assignment]:
    return list(
        Assignment.objects.filter(
            expert=expert, status=Assignment.Status.LEASED, lease_expires_at__gt=timezone.now()
        )
        .select_related("project")
        .order_by("lease_expires_at")
    )


def project_summaries_for_expert(*, expert: User) -> list[dict]:
    """Per project: annotations by review status."""
    review = Annotation.Review
    return list(
        Annotation.objects.filter(expert=expert)
        .order_by()
        .values("project_id", "project__title")
        .annotate(
            total=Count("pk"),
            pending=Count("pk", filter=Q(review_status=review.PENDING)),
            accepted=Count("pk", filter=Q(review_status=review.ACCEPTED)),
            rejected=Count("pk", filter=Q(review_status=review.REJECTED)),
            held=Count("pk", filter=Q(review_status=review.HELD)),
            last_submitted=Max("submitted_at"),
        )
        .order_by("-last_submitted")
    )


def suspensions_for_expert(*, expert: User) -> list[ExpertProjectStats]:
    return list(
        ExpertProjectStats.objects.filter(expert=expert, suspended_at__isnull=False)
        .select_related("project")
        .order_by("-suspended_at")
    )
