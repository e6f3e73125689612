"""Reads for review, appeals and suspension notices, shared by pages, API, tasks and payments.

Payments pulls accepted work through `annotations_accepted_since` and
`annotation_accepted_ids_for_project`: an annotation is payable when `review_status ==
"accepted"`; `reviewed_at` is when it became so (a reviewer, the auto-accept task, or staff
overturning a rejection on appeal, which counts as accepted like any other acceptance).
"""

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, F, Q, QuerySet
from django.db.models import ExpressionWrapper as EW
from django.utils import timezone

from accounts.models import Membership, Organization, Role, User
from accounts.services import check_org_role
from core.exceptions import NotFound, NotPermitted
from labeling.models import Annotation, Appeal, ExpertProjectStats, ReviewDecision
from marketplace.models import Project

REVIEW_STATS_WINDOW = timedelta(days=180)

# --- For payments --------------------------------------------------------------------------------


def annotations_accepted_since(
    *, since: datetime | None = None, project: Project | None = None
) -> QuerySet[Annotation]:
    """Accepted annotations (reviewed_at > since, oldest first) with project, expert and item.
    Overturned rejections are included: they are `accepted` from the overturn on."""
    qs = Annotation.objects.filter(review_status=Annotation.Review.ACCEPTED)
    if since is not None:
        qs = qs.filter(reviewed_at__gt=since)
    if project is not None:
        qs = qs.filter(project=project)
    return qs.select_related("project", "expert", "item").order_by("reviewed_at", "id")


def annotation_accepted_ids_for_project(project: Project) -> list[int]:
    return list(
        Annotation.objects.filter(project=project, review_status=Annotation.Review.ACCEPTED)
        .order_by("id")
        .values_list("id", flat=True)
    )


# --- Company review ------------------------------------------------------------------------------


def review_queue(*, project: Project, status: str = Annotation.Review.PENDING):
    """Annotations of a project awaiting review (oldest first), with item and expert."""
    return (
        Annotation.objects.filter(project=project, review_status=status)
        .select_related("item", "expert__expert_profile")
        .order_by("submitted_at", "id")
    )


def annotation_get_for_member(
    *, user: User, annotation_id: int, minimum: str = Role.VIEWER
) -> Annotation:
    """An annotation of a project of the user's organization; 404 for anyone else (experts
    included: an expert reads their own work through annotation_get_for_expert)."""
    annotation = (
        Annotation.objects.select_related(
            "project__organization", "item", "expert__expert_profile", "reviewed_by"
        )
        .filter(pk=annotation_id)
        .first()
    )
    if annotation is None:
        raise NotFound("No such annotation.")
    check_org_role(user=user, organization=annotation.project.organization, minimum=minimum)
    return annotation


def annotation_get_for_expert(*, expert: User, annotation_id: int) -> Annotation:
    """The expert's own annotation; 404 for anyone else's."""
    annotation = (
        Annotation.objects.select_related("project", "item")
        .filter(pk=annotation_id, expert=expert)
        .first()
    )
    if annotation is None:
        raise NotFound("No such annotation.")
    return annotation


def latest_decision(annotation: Annotation) -> ReviewDecision | None:
    return annotation.review_decisions.select_related("reference_item").first()


def reference_label(decision: ReviewDecision | None, *, for_expert: bool = False) -> str:
    """What a rejection cites, in words. Experts are told a check item was cited, not which."""
    if decision is None or not decision.reference_kind:
        return ""
    if decision.reference_kind == ReviewDecision.Reference.INSTRUCTION:
        return f"Instructions: {decision.reference_text}"
    if for_expert or decision.reference_item is None:
        return "A check item of this project"
    return f"Check item {decision.reference_item.external_id}"


def annotations_rejected_for_expert(*, expert: User) -> QuerySet[Annotation]:
    return (
        Annotation.objects.filter(expert=expert, review_status=Annotation.Review.REJECTED)
        .select_related("project", "item")
        .order_by("-reviewed_at", "-id")
    )


# --- Company review record -----------------------------------------------------------------------


class Median(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


@dataclass(frozen=True)
class ReviewRecord:
    reviewed_count: int
    rejected_count: int
    median_review_seconds: int

    @property
    def rejection_rate_bps(self) -> int:
        if not self.reviewed_count:
            return 0
        return round(10_000 * self.rejected_count / self.reviewed_count)


def organization_review_record(
    *, organization: Organization | int, now: datetime | None = None
) -> ReviewRecord:
    """Rejection rate and median time from submission to review over the organization's
    annotations reviewed in the last 180 days (auto-accepted ones count as reviewed: they
    measure how long experts waited)."""
    now = now or timezone.now()
    org_id = organization if isinstance(organization, int) else organization.pk
    reviewed = Annotation.objects.filter(
        project__organization_id=org_id,
        review_status__in=[Annotation.Review.ACCEPTED, Annotation.Review.REJECTED],
        reviewed_at__gte=now - REVIEW_STATS_WINDOW,
    )
    counts = {
        "n": Count("id"),
        "rejected": Count("id", filter=Q(review_status=Annotation.Review.REJECTED)),
    }
    if connection.vendor == "postgresql":
        row = reviewed.aggregate(
            **counts,
            median=Median(EW(F("reviewed_at") - F("submitted_at"), output_field=DurationField())),
        )
        median = row["median"]
    else:  # no PERCENTILE_CONT (the SQLite demo): the same median in Python
        row = reviewed.aggregate(**counts)
        waits = [r - s for r, s in reviewed.values_list("reviewed_at", "submitted_at").iterator()]
        median = statistics.median(waits) if waits else None
    return ReviewRecord(
        reviewed_count=row["n"],
        rejected_count=row["rejected"],
        median_review_seconds=max(0, int(median.total_seconds())) if median else 0,
    )


# --- Appeals -------------------------------------------------------------------------------------

APPEAL_RELATED = (
    "project__organization",
    "expert__expert_profile",
    "annotation__item",
    "decided_by",
)


def appeals_open_queue() -> QuerySet[Appeal]:
    """Open appeals, oldest first (staff)."""
    return (
        Appeal.objects.filter(status=Appeal.Status.OPEN)
        .select_related(*APPEAL_RELATED)
        .order_by("created_at", "id")
    )


def check_staff(user: User, *, write: bool = True) -> None:
    if user.is_staff or (not write and user.is_auditor):
        return
    raise NotPermitted("Only Plumbline staff decide appeals.")


def appeal_get_for_staff(*, user: User, appeal_id: int) -> Appeal:
    check_staff(user, write=False)
    appeal = Appeal.objects.select_related(*APPEAL_RELATED).filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound("No such appeal.")
    return appeal


def appeals_for_expert(*, expert: User) -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(expert=expert)
        .select_related("project", "annotation__item")
        .order_by("-created_at", "-id")
    )


def appeal_get_for_expert(*, expert: User, appeal_id: int) -> Appeal:
    appeal = appeals_for_expert(expert=expert).filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound("No such appeal.")
    return appeal


# --- Suspension notice ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MissedGold:
    annotation_id: int
    item_id: int
    payload: dict
    your_answer: object
    expected_answer: object
    submitted_at: datetime


@dataclass(frozen=True)
class SuspensionNotice:
    project: Project
    suspended_at: datetime
    reason: str
    gold_seen: int
    gold_correct: int
    held_count: int
    missed: list[MissedGold] = field(default_factory=list)
    open_appeal: Appeal | None = None
    last_appeal: Appeal | None = None

    @property
    def can_appeal(self) -> bool:
        return self.last_appeal is None


def suspensions_for_expert(*, expert: User) -> QuerySet[ExpertProjectStats]:
    return (
        ExpertProjectStats.objects.filter(expert=expert, suspended_at__isnull=False)
        .select_related("project")
        .order_by("-suspended_at")
    )


def suspension_notice(*, expert: User, project_id: int) -> SuspensionNotice:
    """Why the expert is suspended from the project: the check (gold) items they missed with
    the expected answers. Only for the suspended expert themself and only while suspended;
    404 otherwise (gold answers are never shown before)."""
    stats = (
        ExpertProjectStats.objects.select_related("project")
        .filter(expert=expert, project_id=project_id, suspended_at__isnull=False)
        .first()
    )
    if stats is None:
        raise NotFound("You are not suspended from this project.")
    missed = [
        MissedGold(
            annotation_id=a.pk,
            item_id=a.item_id,
            payload=a.item.payload,
            your_answer=a.response,
            expected_answer=a.item.gold_answer,
            submitted_at=a.submitted_at,
        )
        for a in Annotation.objects.filter(
            expert=expert, project_id=project_id, item__is_gold=True, gold_correct=False
        )
        .select_related("item")
        .order_by("submitted_at", "id")
    ]
    last_appeal = (
        Appeal.objects.filter(
            expert=expert,
            project_id=project_id,
            kind=Appeal.Kind.SUSPENSION,
            created_at__gte=stats.suspended_at,
        )
        .order_by("-created_at")
        .first()
    )
    return SuspensionNotice(
        project=stats.project,
        suspended_at=stats.suspended_at,
        reason=stats.suspension_reason,
        gold_seen=stats.gold_seen,
        gold_correct=stats.gold_correct,
        held_count=Annotation.objects.filter(
            expert=expert, project_id=project_id, review_status=Annotation.Review.HELD
        ).count(),
        missed=missed,
        open_appeal=last_appeal if last_appeal and last_appeal.status == "open" else None,
        last_appeal=last_appeal,
    )


def is_member(*, user: User, organization: Organization) -> bool:
    return Membership.objects.filter(user=user, organization=organization).exists()
