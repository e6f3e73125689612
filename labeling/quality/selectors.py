"""Quality analytics reads. Pages and the API read stored snapshots only: nothing here computes
a statistic over annotations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Membership, Role, User
from labeling.models import (
    Annotation,
    Item,
    ItemAggregateBlock,
    JudgeUpload,
    QualityFlag,
    QualitySnapshot,
)
from marketplace.models import Project, ProjectStatus

SWEEP_STATUSES = (ProjectStatus.LIVE, ProjectStatus.PAUSED, ProjectStatus.COMPLETED)


def can_see_all_quality(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_staff or user.is_auditor))


def quality_project_get(*, user: User, project_id: int) -> Project:
    """The project if the user is a member of its organization (any role), staff or an auditor;
    404 otherwise (another organization's project is not disclosed)."""
    qs = Project.objects.select_related("organization")
    if not can_see_all_quality(user):
        qs = qs.filter(organization__memberships__user=user)
    project = qs.filter(pk=project_id).first()
    if project is None:
        raise Http404
    return project


def quality_can_manage(*, user: User, project: Project) -> bool:
    """Managers and owners (and staff) upload verdicts, retire gold and review flags."""
    if user.is_staff:
        return True
    role = (
        Membership.objects.filter(organization_id=project.organization_id, user=user)
        .values_list("role", flat=True)
        .first()
    )
    return role in (Role.OWNER, Role.MANAGER)


def quality_snapshot_latest(*, project: Project) -> QualitySnapshot | None:
    return QualitySnapshot.objects.filter(project=project).order_by("-computed_at", "-id").first()


def quality_flags_for_project(*, project: Project, status: str | None = None) -> QuerySet:
    qs = QualityFlag.objects.filter(project=project).select_related(
        "expert__expert_profile", "reviewed_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def judge_uploads_for_project(*, project: Project) -> QuerySet[JudgeUpload]:
    return JudgeUpload.objects.filter(project=project).select_related("uploaded_by")


def gold_items_for_project(*, project: Project) -> QuerySet[Item]:
    return Item.objects.filter(project=project, is_gold=True).order_by("gold_retired", "id")


def quality_projects_dirty() -> list[int]:
    """Projects with an annotation newer than the one their latest snapshot covers (or with
    annotations and no snapshot). One query; the EXISTS probes the annotation primary key from
    the snapshot's last id upwards, so it stops at the first newer annotation."""
    last = (
        QualitySnapshot.objects.filter(project=OuterRef("pk"))
        .order_by("-computed_at", "-id")
        .values("last_annotation_id")[:1]
    )
    newer = Annotation.objects.filter(project=OuterRef("pk"), id__gt=OuterRef("covered"))
    return list(
        Project.objects.filter(status__in=SWEEP_STATUSES)
        .annotate(covered=Coalesce(Subquery(last), Value(0)))
        .filter(Exists(newer))
        .order_by("id")
        .values_list("id", flat=True)
    )


@dataclass(frozen=True)
class ProjectQualityRow:
    project: Project
    snapshot: QualitySnapshot | None
    open_flags: int


def quality_overview_for_staff(*, user: User) -> list[ProjectQualityRow]:
    """Staff and auditors: the latest snapshot of every project that has one, with open flags.
    Three queries whatever the number of projects."""
    if not can_see_all_quality(user):
        raise Http404
    latest = QualitySnapshot.objects.order_by("project_id", "-computed_at", "-id")
    if connection.vendor == "postgresql":
        latest_ids = Subquery(latest.distinct("project_id").values_list("id", flat=True))
    else:  # no DISTINCT ON (the SQLite demo): the first id of each project, in Python
        firsts: dict[int, int] = {}
        for project_id, snapshot_id in latest.values_list("project_id", "id").iterator():
            firsts.setdefault(project_id, snapshot_id)
        latest_ids = list(firsts.values())
    snapshots = {
        s.project_id: s
        for s in QualitySnapshot.objects.filter(id__in=latest_ids).select_related(
            "project__organization"
        )
    }
    flags = dict(
        QualityFlag.objects.filter(status=QualityFlag.Status.OPEN)
        .values("project_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("project_id", "n")
    )
    rows = [ProjectQualityRow(s.project, s, flags.get(pid, 0)) for pid, s in snapshots.items()]
    rows.sort(key=lambda r: (-r.open_flags, r.project.title))
    return rows


# --- exports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AggregatedLabel:
    """One item's aggregated label, in the project's response shape.

    `method`: "dawid_skene" (classification, pairwise, trajectory success) or "median"
    (rubric scores, ranking). `confidence`: the Dawid–Skene posterior of the chosen label (the
    lowest over criteria; None for median). `majority`: the plain majority vote on the primary
    criterion and its vote share.
    """

    item_id: int
    label: dict
    confidence: float | None
    criteria_confidence: dict
    method: str
    n_annotations: int
    majority: dict | None
    majority_confidence: float | None


def aggregated_labels_for_export(*, project: Project) -> Iterator[AggregatedLabel]:
    """Aggregated labels of the project's latest snapshot, in ascending item id order; items
    without annotations are absent. Reads ~1 row per 1000 items (streamed)."""
    snapshot_id = (
        QualitySnapshot.objects.filter(project=project)
        .order_by("-computed_at", "-id")
        .values_list("id", flat=True)
        .first()
    )
    if snapshot_id is None:
        return
    blocks = (
        ItemAggregateBlock.objects.filter(snapshot_id=snapshot_id)
        .order_by("seq")
        .values_list("data", flat=True)
    )
    for data in blocks.iterator(chunk_size=20):
        for k, item_id in enumerate(data["item"]):
            yield AggregatedLabel(
                item_id=item_id,
                label=data["label"][k],
                confidence=data["confidence"][k],
                criteria_confidence=data["criteria_confidence"][k],
                method=data["method"][k],
                n_annotations=data["n"][k],
                majority=data["majority"][k],
                majority_confidence=data["majority_confidence"][k],
            )


def open_flag_counts(*, project: Project) -> dict[str, int]:
    return dict(
        QualityFlag.objects.filter(project=project, status=QualityFlag.Status.OPEN)
        .values("kind")
        .annotate(n=Count("id", filter=Q()))
        .order_by()
        .values_list("kind", "n")
    )
