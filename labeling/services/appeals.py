"""Appeals: an expert contests a rejection or a suspension; staff uphold or overturn it with a
written decision. Overturning a rejection restores the annotation to accepted (the same single
state change as any acceptance); overturning a suspension lifts it, gives the expert a fresh
gold record and returns held work to the company's review queue."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from core.exceptions import Conflict, InvalidState, NotFound, ValidationFailed
from labeling.models import Annotation, Appeal, ExpertProjectStats, ReviewDecision
from labeling.selectors.review import check_staff, latest_decision, reference_label
from labeling.services.review import REVIEW_FIELDS, _after_acceptance

DECISIONS = ("uphold", "overturn")


def _check_note(note: str, field: str = "note") -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(fields={field: ["Write a few words."]})
    return note[:5000]


@transaction.atomic
def appeal_open(
    *,
    expert: User,
    note: str,
    annotation_id: int | None = None,
    project_id: int | None = None,
    request: HttpRequest | None = None,
) -> Appeal:
    """Appeal a rejected annotation (annotation_id) or a suspension (project_id). One appeal
    per rejection and per suspension; staff's decision is final."""
    note = _check_note(note)
    if (annotation_id is None) == (project_id is None):
        raise ValidationFailed("Appeal either a rejected annotation or a suspension.")
    if annotation_id is not None:
        annotation = (
            Annotation.objects.select_for_update(of=("self",))
            .filter(pk=annotation_id, expert=expert)
            .first()
        )
        if annotation is None:
            raise NotFound("No such annotation.")
        if annotation.review_status != Annotation.Review.REJECTED:
            raise InvalidState("Only a rejected annotation can be appealed.")
        if Appeal.objects.filter(annotation=annotation).exists():
            raise Conflict("This rejection has already been appealed.")
        kind, project_id = Appeal.Kind.REJECTION, annotation.project_id
        contested = annotation.rejection_reason
        reference = reference_label(latest_decision(annotation))
    else:
        stats = (
            ExpertProjectStats.objects.select_for_update()
            .filter(project_id=project_id, expert=expert, suspended_at__isnull=False)
            .first()
        )
        if stats is None:
            raise NotFound("You are not suspended from this project.")
        if Appeal.objects.filter(
            expert=expert,
            project_id=project_id,
            kind=Appeal.Kind.SUSPENSION,
            created_at__gte=stats.suspended_at,
        ).exists():
            raise Conflict("This suspension has already been appealed.")
        kind, annotation, contested, reference = (
            Appeal.Kind.SUSPENSION,
            None,
            stats.suspension_reason,
            "",
        )
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                kind=kind,
                expert=expert,
                project_id=project_id,
                annotation=annotation,
                note=note,
                contested_reason=contested,
                rejection_reference=reference,
            )
    except IntegrityError as exc:  # a concurrent appeal of the same thing
        raise Conflict("This has already been appealed.") from exc
    audit_record(
        actor=expert,
        verb="appeal.opened",
        target=appeal,
        details={"kind": kind, "project": project_id, "annotation": annotation_id},
        request=request,
    )
    return appeal


@transaction.atomic
def appeal_decide(
    *,
    appeal_id: int,
    actor: User,
    decision: str,
    text: str,
    request: HttpRequest | None = None,
) -> Appeal:
    """Staff uphold (the decision stands) or overturn, with a written decision the expert
    reads."""
    check_staff(actor)
    text = _check_note(text, field="decision")
    if decision not in DECISIONS:
        raise ValidationFailed(fields={"decision": ["Choose uphold or overturn."]})
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(pk=appeal_id)
        .first()
    )
    if appeal is None:
        raise NotFound("No such appeal.")
    if appeal.status != Appeal.Status.OPEN:
        raise InvalidState("This appeal has already been decided.")
    now = timezone.now()
    details: dict = {"kind": appeal.kind, "expert": appeal.expert_id, "decision": text}
    if appeal.kind == Appeal.Kind.REJECTION:
        if decision == "overturn":
            details["annotation"] = _overturn_rejection(appeal, actor=actor, now=now, text=text)
    else:
        details.update(_settle_suspension(appeal, lift=decision == "overturn", now=now))
    appeal.status = Appeal.Status.OVERTURNED if decision == "overturn" else Appeal.Status.UPHELD
    appeal.decision = text
    appeal.decided_by = actor
    appeal.decided_at = now
    appeal.save(update_fields=["status", "decision", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        verb=f"appeal.{appeal.status}",
        target=appeal,
        details=details,
        request=request,
    )
    return appeal


def _overturn_rejection(appeal: Appeal, *, actor: User, now, text: str) -> int:
    annotation = (
        Annotation.objects.select_for_update(of=("self",))
        .select_related("item", "expert__expert_profile")
        .get(pk=appeal.annotation_id)
    )
    if annotation.review_status != Annotation.Review.REJECTED:
        raise InvalidState("The annotation is no longer rejected.")
    annotation.review_status = Annotation.Review.ACCEPTED
    annotation.reviewed_by = actor
    annotation.reviewed_at = now
    annotation.rejection_reason = ""
    annotation.auto_accepted = False
    annotation.save(update_fields=REVIEW_FIELDS)
    ReviewDecision.objects.create(
        annotation=annotation,
        outcome=ReviewDecision.Outcome.OVERTURNED,
        reason=text,
        actor=actor,
        decided_at=now,
    )
    _after_acceptance(appeal.project, [annotation], overturned_on_appeal=True)
    return annotation.pk


def _settle_suspension(appeal: Appeal, *, lift: bool, now) -> dict:
    """Either way the held work goes back to the company's review queue with a fresh review
    window (held work is never auto-accepted, so leaving it held would leave it in limbo).
    Overturned: the suspension is lifted and the gold record starts afresh (otherwise the next
    check item would suspend again on the same evidence)."""
    stats = ExpertProjectStats.objects.select_for_update().get(
        project_id=appeal.project_id, expert_id=appeal.expert_id
    )
    due = now + timedelta(days=appeal.project.review_window_days)
    held = list(
        Annotation.objects.select_for_update(of=("self",)).filter(
            project_id=appeal.project_id,
            expert_id=appeal.expert_id,
            review_status=Annotation.Review.HELD,
        )
    )
    for annotation in held:
        annotation.review_status = Annotation.Review.PENDING
        annotation.review_due_at = max(annotation.review_due_at, due)
    Annotation.objects.bulk_update(held, ["review_status", "review_due_at"])
    details = {"released_held": [a.pk for a in held]}
    if lift and stats.is_suspended:
        details["gold_record_before"] = {
            "gold_seen": stats.gold_seen,
            "gold_correct": stats.gold_correct,
            "p_below_threshold": stats.p_below_threshold,
        }
        stats.suspended_at = None
        stats.suspension_reason = ""
        stats.gold_seen = stats.gold_correct = 0
        stats.trust_lower = stats.p_below_threshold = None
        stats.save()
    return details
