"""Company review: accept, reject (with a reason and what it cites), bulk accept, and the
auto-accept of annotations whose review window has passed.

Acceptance is one state change of the annotation row — `review_status = "accepted"` with
`reviewed_at` — which is what payments relies on. Every acceptance also calls the
`labeling.hooks.on_annotations_accepted` hooks after commit and emits an `annotation.accepted`
webhook event; every decision is audited and refreshes the organization's review record
(rejection rate and median review time) through marketplace.services.organization_stats_update.
"""

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import audit_record, check_org_role
from core.exceptions import NotFound, ValidationFailed
from labeling import hooks
from labeling.exceptions import AlreadyReviewed
from labeling.models import Annotation, Item, ReviewDecision
from labeling.selectors.review import organization_review_record
from labeling.webhooks import events
from labeling.webhooks.services import webhook_event_emit
from marketplace.models import Project
from marketplace.services import organization_stats_update

REVIEWABLE = (Annotation.Review.PENDING, Annotation.Review.HELD)
REVIEW_FIELDS = ["review_status", "reviewed_by", "reviewed_at", "rejection_reason", "auto_accepted"]


def _pseudonym(annotation: Annotation) -> str:
    profile = getattr(annotation.expert, "expert_profile", None)
    return profile.pseudonym if profile else f"expert-{annotation.expert_id}"


def _event_row(annotation: Annotation, **extra) -> dict:
    return {
        "id": annotation.pk,
        "item_id": annotation.item_id,
        "item_external_id": annotation.item.external_id,
        "expert": _pseudonym(annotation),
        "reviewed_at": annotation.reviewed_at,
        **extra,
    }


def organization_review_stats_refresh(*, organization_id: int) -> None:
    """Recompute the company's review record (one aggregate) and store it in marketplace."""
    from accounts.models import Organization

    record = organization_review_record(organization=organization_id)
    organization_stats_update(
        organization=Organization.objects.get(pk=organization_id),
        median_review_seconds=record.median_review_seconds,
        rejection_rate_bps=record.rejection_rate_bps,
        reviewed_count=record.reviewed_count,
    )


def _annotation_for_review(*, annotation_id: int, actor: User) -> Annotation:
    """Authorize (reviewer role in the owning organization), then lock the row."""
    annotation = (
        Annotation.objects.select_related("project__organization").filter(pk=annotation_id).first()
    )
    if annotation is None:
        raise NotFound("No such annotation.")
    check_org_role(user=actor, organization=annotation.project.organization, minimum=Role.REVIEWER)
    annotation = (
        Annotation.objects.select_for_update(of=("self",))
        .select_related("project__organization", "item", "expert__expert_profile")
        .get(pk=annotation_id)
    )
    if annotation.review_status not in REVIEWABLE:
        raise AlreadyReviewed()
    return annotation


def _accept(annotation: Annotation, *, actor: User | None, now: datetime, auto: bool) -> None:
    """Called while holding the annotation's row lock: the single state change."""
    annotation.review_status = Annotation.Review.ACCEPTED
    annotation.reviewed_by = actor
    annotation.reviewed_at = now
    annotation.rejection_reason = ""
    annotation.auto_accepted = auto
    annotation.save(update_fields=REVIEW_FIELDS)


@transaction.atomic
def annotation_accept(
    *, annotation_id: int, actor: User, request: HttpRequest | None = None
) -> Annotation:
    annotation = _annotation_for_review(annotation_id=annotation_id, actor=actor)
    now = timezone.now()
    _accept(annotation, actor=actor, now=now, auto=False)
    ReviewDecision.objects.create(
        annotation=annotation, outcome=ReviewDecision.Outcome.ACCEPTED, actor=actor, decided_at=now
    )
    audit_record(
        actor=actor,
        verb="annotation.accepted",
        target=annotation,
        details={"project": annotation.project_id, "expert": annotation.expert_id},
        request=request,
    )
    _after_acceptance(annotation.project, [annotation])
    return annotation


def check_rejection(
    *,
    project: Project,
    reason: str,
    reference_kind: str,
    reference_text: str,
    reference_item_id: int | None,
) -> Item | None:
    errors: dict[str, list[str]] = {}
    if not (reason or "").strip():
        errors["reason"] = ["Say why: which instruction or check item the work fails."]
    if reference_kind not in ReviewDecision.Reference.values:
        errors["reference_kind"] = ["Choose instruction, gold_item or leave empty."]
    item = None
    if reference_kind == ReviewDecision.Reference.INSTRUCTION and not reference_text.strip():
        errors["reference_text"] = ["Name the instruction section."]
    if reference_kind == ReviewDecision.Reference.GOLD_ITEM:
        item = Item.objects.filter(pk=reference_item_id, project=project, is_gold=True).first()
        if item is None:
            errors["reference_item"] = ["Choose a check (gold) item of this project."]
    if errors:
        raise ValidationFailed(fields=errors)
    return item


@transaction.atomic
def annotation_reject(
    *,
    annotation_id: int,
    actor: User,
    reason: str,
    reference_kind: str = "",
    reference_text: str = "",
    reference_item_id: int | None = None,
    request: HttpRequest | None = None,
) -> Annotation:
    """Reject with a reason (required) and, optionally, the instruction section or check item
    it cites. The expert sees the reason and can appeal."""
    annotation = _annotation_for_review(annotation_id=annotation_id, actor=actor)
    reference_kind = reference_kind or ""
    item = check_rejection(
        project=annotation.project,
        reason=reason,
        reference_kind=reference_kind,
        reference_text=reference_text or "",
        reference_item_id=reference_item_id,
    )
    now = timezone.now()
    reason = reason.strip()
    annotation.review_status = Annotation.Review.REJECTED
    annotation.reviewed_by = actor
    annotation.reviewed_at = now
    annotation.rejection_reason = reason
    annotation.auto_accepted = False
    annotation.save(update_fields=REVIEW_FIELDS)
    ReviewDecision.objects.create(
        annotation=annotation,
        outcome=ReviewDecision.Outcome.REJECTED,
        reason=reason,
        reference_kind=reference_kind,
        reference_text=(reference_text or "").strip()[:300]
        if reference_kind == ReviewDecision.Reference.INSTRUCTION
        else "",
        reference_item=item,
        actor=actor,
        decided_at=now,
    )
    audit_record(
        actor=actor,
        verb="annotation.rejected",
        target=annotation,
        details={
            "project": annotation.project_id,
            "expert": annotation.expert_id,
            "reason": reason,
            "reference_kind": reference_kind,
            "reference": reference_text or (item.external_id if item else ""),
        },
        request=request,
    )
    webhook_event_emit(
        organization=annotation.project.organization_id,
        type=events.ANNOTATION_REJECTED,
        payload={
            "project_id": annotation.project_id,
            "annotations": [
                _event_row(
                    annotation,
                    reason=reason,
                    reference_kind=reference_kind,
                    reference=reference_text or (item.external_id if item else ""),
                )
            ],
        },
    )
    organization_review_stats_refresh(organization_id=annotation.project.organization_id)
    return annotation


@transaction.atomic
def annotations_bulk_accept(
    *, project: Project, actor: User, annotation_ids: list[int], request: HttpRequest | None = None
) -> list[int]:
    """Accept the given annotations of the project that still await review; others (already
    reviewed, another project's) are skipped. Returns the ids accepted. One audit row."""
    check_org_role(user=actor, organization=project.organization, minimum=Role.REVIEWER)
    ids = sorted({int(i) for i in annotation_ids})[:1000]
    batch = list(
        Annotation.objects.select_for_update(of=("self",))
        .select_related("item", "expert__expert_profile")
        .filter(pk__in=ids, project=project, review_status__in=REVIEWABLE)
        .order_by("id")
    )
    now = timezone.now()
    for annotation in batch:
        _accept(annotation, actor=actor, now=now, auto=False)
    ReviewDecision.objects.bulk_create(
        [
            ReviewDecision(
                annotation=a, outcome=ReviewDecision.Outcome.ACCEPTED, actor=actor, decided_at=now
            )
            for a in batch
        ]
    )
    accepted = [a.pk for a in batch]
    audit_record(
        actor=actor,
        verb="annotation.bulk_accepted",
        target=project,
        details={"annotations": accepted, "requested": len(ids)},
        request=request,
    )
    _after_acceptance(project, batch)
    return accepted


def _after_acceptance(project: Project, annotations: list[Annotation], **extra) -> None:
    """Hooks, webhook event, company record. Inside the accepting transaction."""
    if not annotations:
        return
    hooks.annotations_accepted_notify([a.pk for a in annotations])
    webhook_event_emit(
        organization=project.organization_id,
        type=events.ANNOTATION_ACCEPTED,
        payload={
            "project_id": project.pk,
            "annotations": [
                _event_row(a, auto_accepted=a.auto_accepted, **extra) for a in annotations
            ],
        },
    )
    organization_review_stats_refresh(organization_id=project.organization_id)


def annotations_auto_accept(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Beat: accept pending annotations whose review window has passed (held ones never).
    Batches lock rows with SKIP LOCKED, so concurrent runs and reviewers never collide, and a
    second run finds nothing left: idempotent. One audit row per batch."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                Annotation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("project", "item", "expert__expert_profile")
                .filter(review_status=Annotation.Review.PENDING, review_due_at__lte=now)
                .order_by("review_due_at", "id")[:batch_size]
            )
            if not batch:
                return total
            for annotation in batch:
                _accept(annotation, actor=None, now=now, auto=True)
            ReviewDecision.objects.bulk_create(
                [
                    ReviewDecision(
                        annotation=a, outcome=ReviewDecision.Outcome.AUTO_ACCEPTED, decided_at=now
                    )
                    for a in batch
                ]
            )
            per_project: dict[int, list[Annotation]] = defaultdict(list)
            for annotation in batch:
                per_project[annotation.project_id].append(annotation)
            audit_record(
                actor=None,
                verb="annotation.auto_accepted",
                target=None,
                details={
                    "annotations": [a.pk for a in batch],
                    "projects": sorted(per_project),
                    "now": now.isoformat(),
                },
            )
            hooks.annotations_accepted_notify([a.pk for a in batch])
            orgs = set()
            for group in per_project.values():
                project = group[0].project
                orgs.add(project.organization_id)
                webhook_event_emit(
                    organization=project.organization_id,
                    type=events.ANNOTATION_ACCEPTED,
                    payload={
                        "project_id": project.pk,
                        "annotations": [_event_row(a, auto_accepted=True) for a in group],
                    },
                )
            for org_id in sorted(orgs):
                organization_review_stats_refresh(organization_id=org_id)
        total += len(batch)
        if len(batch) < batch_size:
            return total
