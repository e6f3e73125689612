"""Reads for the expert's side of labeling. Nothing here may reveal whether an item is gold."""

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from core.exceptions import NotFound
from labeling.models import Annotation, Appeal, Assignment, ExpertProjectStats


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
