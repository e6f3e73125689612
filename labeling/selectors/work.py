"""Reads for the expert's side of labeling. Nothing here may reveal whether an item is gold."""

from django.db.models import QuerySet

from accounts.models import User
from core.exceptions import NotFound
from labeling.models import Annotation, Assignment


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
