"""Payments tasks: thin, take ids, safe to run twice (rows are locked, money moves under
idempotency keys). Reliability settings (acks_late, reject on worker lost, prefetch 1,
visibility timeout) are global: config/celery_app.py."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from payments import services
from payments.exceptions import GatewayIdempotencyError
from payments.models import Funding, StripeEvent
from payments.stripe_client import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

# Stripe connection problems and rate limits: exponential backoff with jitter, capped well under
# the broker's visibility timeout (a test checks it), so a waiting retry is never redelivered.
STRIPE_RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": settings.PAYMENTS_RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": 12,
}


@shared_task(name="payments.tasks.stripe_event_process", **STRIPE_RETRY)
def stripe_event_process_task(event_pk: int) -> str:
    if not StripeEvent.objects.filter(pk=event_pk).exists():
        logger.warning("Stripe event %s does not exist (any more)", event_pk)
        return "missing"
    event = services.stripe_event_process(event_pk=event_pk)
    return event.outcome


# An event whose processing keeps failing for a non-transient reason (last_error says why) is
# left for staff after this many attempts instead of being retried every five minutes forever.
MAX_SWEEP_ATTEMPTS = 10


@shared_task(name="payments.tasks.stripe_events_process_pending")
def stripe_events_process_pending() -> int:
    """Beat: re-enqueue events stored but not processed a while after receipt (an enqueue lost
    between commit and the broker, or a task that gave up)."""
    cutoff = timezone.now() - timedelta(minutes=2)
    pks = list(
        StripeEvent.objects.filter(
            processed_at=None, received_at__lt=cutoff, attempts__lt=MAX_SWEEP_ATTEMPTS
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in pks:
        stripe_event_process_task.delay(pk)
    return len(pks)


@shared_task(name="payments.tasks.funding_sync", **STRIPE_RETRY)
def funding_sync_task(funding_id: int) -> str:
    if not Funding.objects.filter(pk=funding_id).exists():
        return "missing"
    return services.funding_sync(funding_id=funding_id).status


@shared_task(name="payments.tasks.fundings_sync_pending")
def fundings_sync_pending() -> int:
    """Beat: reconcile fundings still waiting on Stripe (in case a webhook never arrives)."""
    now = timezone.now()
    pks = list(
        Funding.objects.filter(
            status__in=[Funding.Status.REQUIRES_PAYMENT, Funding.Status.PROCESSING],
            payment_intent_id__isnull=False,
            updated_at__lt=now - timedelta(minutes=10),
            created_at__gt=now - timedelta(days=7),
        ).values_list("pk", flat=True)[:500]
    )
    for pk in pks:
        funding_sync_task.delay(pk)
    return len(pks)


# --- earnings, fair pay, payouts, closing, reconciliation ----------------------------------------
# Each task takes ids (or nothing), locks what it changes and posts under idempotency keys: a
# redelivery after a worker died (acks_late + reject_on_worker_lost) changes nothing twice.

EARNINGS_SWEEP_LAG = timedelta(minutes=30)


@shared_task(name="payments.tasks.earnings_post_for_annotations")
def earnings_post_for_annotations(annotation_ids: list[int]) -> int:
    """Enqueued on commit by labeling's on_annotations_accepted hook."""
    return services.earnings_post(annotation_ids=annotation_ids)


@shared_task(name="payments.tasks.earnings_settle")
def earnings_settle(full: bool = False) -> int:
    """Beat: post earnings of annotations accepted since the cursor (minus a lag for slow
    commits); `full` (nightly) re-checks every accepted annotation. Idempotent either way."""
    from django.db import transaction

    from payments.models import TaskCursor

    started = timezone.now()
    cursor = TaskCursor.objects.filter(name="earnings").first()
    since = None if full or cursor is None else cursor.value - EARNINGS_SWEEP_LAG
    posted = services.earnings_post_all(since=since)
    with transaction.atomic():
        TaskCursor.objects.update_or_create(name="earnings", defaults={"value": started})
    return posted


@shared_task(name="payments.tasks.project_spend_check")
def project_spend_check_task(project_id: int) -> str:
    return str(services.project_spend_check(project_id=project_id))


@shared_task(name="payments.tasks.projects_spend_check")
def projects_spend_check() -> int:
    """Beat: re-evaluate spend blocking of open projects (leases expire, fundings arrive)."""
    from marketplace.models import Project, ProjectStatus

    pks = list(
        Project.objects.filter(
            status__in=[ProjectStatus.FUNDED, ProjectStatus.LIVE, ProjectStatus.PAUSED],
            ledger_accounts__kind="project_escrow",
        ).values_list("pk", flat=True)
    )
    for pk in pks:
        project_spend_check_task.delay(pk)
    return len(pks)


@shared_task(name="payments.tasks.fairpay_settle")
def fairpay_settle_task(project_id: int, final: bool = False) -> str:
    audit = services.fairpay_settle(project_id=project_id, final=final)
    return f"audit {audit.pk}: {audit.total_minor}" if audit else "nothing to settle"


@shared_task(name="payments.tasks.fairpay_settle_projects")
def fairpay_settle_projects_task(project_ids: list[int]) -> int:
    return len(services.fairpay_settle_projects(project_ids=project_ids))


@shared_task(name="payments.tasks.fairpay_settle_due")
def fairpay_settle_due() -> int:
    """Beat: settle fair pay of projects with accepted work newer than their last settlement,
    a batch of projects per task (one transaction and one top-up statement per batch)."""
    from payments.services.fairpay import FAIRPAY_BATCH_PROJECTS, projects_due_for_fairpay

    pks = projects_due_for_fairpay()
    for i in range(0, len(pks), FAIRPAY_BATCH_PROJECTS):
        fairpay_settle_projects_task.delay(pks[i : i + FAIRPAY_BATCH_PROJECTS])
    return len(pks)


@shared_task(name="payments.tasks.payouts_weekly")
def payouts_weekly() -> int:
    """Beat (weekly): create the payout batch; one payout_execute task per payout, on commit."""
    return len(services.payouts_create_batch().pending_ids)


@shared_task(
    name="payments.tasks.payout_execute",
    **{**STRIPE_RETRY, "autoretry_for": (*TRANSIENT_ERRORS, GatewayIdempotencyError)},
)
def payout_execute_task(payout_id: int) -> str:
    from payments.models import Payout

    if not Payout.objects.filter(pk=payout_id).exists():
        return "missing"
    return services.payout_execute(payout_id=payout_id).status


@shared_task(name="payments.tasks.payouts_resume")
def payouts_resume() -> int:
    """Beat: re-enqueue payouts left pending or submitted (a lost enqueue, retries exhausted)."""
    from payments.services.payouts import payouts_stuck_ids

    pks = payouts_stuck_ids()
    for pk in pks:
        payout_execute_task.delay(pk)
    return len(pks)


@shared_task(name="payments.tasks.project_close_settle", **STRIPE_RETRY)
def project_close_settle_task(project_id: int) -> int:
    return len(services.project_close_settle(project_id=project_id))


@shared_task(name="payments.tasks.projects_close_settle")
def projects_close_settle() -> int:
    """Beat (daily): final settlement and escrow refund of closed projects past review."""
    from payments.services.closing import projects_to_close

    pks = projects_to_close()
    for pk in pks:
        project_close_settle_task.delay(pk)
    return len(pks)


@shared_task(name="payments.tasks.reconciliation_run", **STRIPE_RETRY)
def reconciliation_run_task() -> str:
    report = services.reconciliation_run()
    return f"report {report.pk}: {len(report.differences)} difference(s)"
