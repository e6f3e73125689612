"""Closing a project: after the last review window and the final fair-pay settlement, the unused
escrow goes back to the company as Stripe refunds of the project's payments.

`project_close_settle` runs from the daily beat for completed or cancelled projects whose
review window has passed (closed_at + review_window_days) and that have no annotation left
awaiting review: it posts the last earnings, runs the final fair-pay settlement, then refunds the
escrow left, newest payment first. Each refund is an EscrowRefund row (Stripe idempotency key
`refund:<id>`): `refund:<id>:reserve` moves escrow → refunds before Stripe is called,
`refund:<id>:sent` moves refunds → Stripe balance once Stripe accepted it; a refused refund posts
the reverse (`refund:<id>:failed`) and the money stays in escrow for staff to look at.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.services import audit_record
from labeling.models import Annotation
from marketplace.models import Project, ProjectStatus
from payments import stripe_client
from payments.exceptions import PaymentGatewayError
from payments.models import EntryKind, EscrowRefund, FairPayAudit, Funding, LedgerAccount
from payments.selectors import project_escrow_balance
from payments.services.fairpay import fairpay_settle
from payments.services.ledger import credit, debit, journal_entry_post, ledger_account_ensure

logger = logging.getLogger(__name__)
Kind = LedgerAccount.Kind
CLOSED = (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED)


def project_ready_to_close(project: Project, now=None) -> bool:
    now = now or timezone.now()
    if project.status not in CLOSED or project.closed_at is None:
        return False
    if now < project.closed_at + timedelta(days=project.review_window_days):
        return False
    return not Annotation.objects.filter(
        project=project, review_status__in=[Annotation.Review.PENDING, Annotation.Review.HELD]
    ).exists()


def projects_to_close() -> list[int]:
    candidates = Project.objects.filter(status__in=CLOSED, closed_at__isnull=False)
    done = set(
        EscrowRefund.objects.filter(status=EscrowRefund.Status.SUCCEEDED).values_list(
            "project_id", flat=True
        )
    )
    out = []
    for project in candidates.exclude(pk__in=done):
        if project_ready_to_close(project) and (
            project_escrow_balance(project=project) > 0
            or not FairPayAudit.objects.filter(project=project, final=True).exists()
        ):
            out.append(project.pk)
    return out


def project_close_settle(*, project_id: int) -> list[EscrowRefund]:
    project = Project.objects.select_related("organization").get(pk=project_id)
    if not project_ready_to_close(project):
        return []
    if not FairPayAudit.objects.filter(project=project, final=True).exists():
        fairpay_settle(project_id=project.pk, final=True)
    refunds = _plan_refunds(project)
    for refund in refunds:
        _send(refund)
    return refunds


@transaction.atomic
def _plan_refunds(project: Project) -> list[EscrowRefund]:
    """Under the project lock: reserve the escrow left into refunds, split over the project's
    payments (newest first, never more than a payment minus what was refunded of it)."""
    project = Project.objects.select_for_update().select_related("organization").get(pk=project.pk)
    pending = list(EscrowRefund.objects.filter(project=project, status=EscrowRefund.Status.PENDING))
    if pending:
        return pending
    left = project_escrow_balance(project=project)
    if left <= 0:
        return []
    currency = project.currency.upper()
    escrow = ledger_account_ensure(kind=Kind.PROJECT_ESCROW, currency=currency, project=project)
    refunds_acct = ledger_account_ensure(
        kind=Kind.REFUNDS, currency=currency, organization=project.organization
    )
    planned = []
    fundings = Funding.objects.filter(
        project=project, status=Funding.Status.SUCCEEDED, payment_intent_id__isnull=False
    ).order_by("-succeeded_at", "-id")
    for funding in fundings:
        if left <= 0:
            break
        refunded = (
            EscrowRefund.objects.filter(funding=funding)
            .exclude(status=EscrowRefund.Status.FAILED)
            .aggregate(t=Sum("amount"))["t"]
            or 0
        )
        amount = min(left, funding.amount - refunded)
        if amount <= 0:
            continue
        refund = EscrowRefund.objects.create(
            project=project, funding=funding, amount=amount, currency=currency
        )
        journal_entry_post(
            idempotency_key=f"{refund.idempotency_key}:reserve",
            kind=EntryKind.REFUND,
            currency=currency,
            lines=[debit(escrow, amount), credit(refunds_acct, amount)],
            description=f"Unused escrow of project #{project.pk} to refund",
            metadata={"refund_id": refund.pk, "project_id": project.pk},
        )
        audit_record(
            actor=None,
            verb="payments.escrow_refund_planned",
            target=project,
            details={"refund": refund.pk, "amount": amount, "funding": funding.pk},
        )
        planned.append(refund)
        left -= amount
    return planned


def _send(refund: EscrowRefund) -> EscrowRefund:
    try:
        info = stripe_client.refund_create(
            payment_intent_id=refund.funding.payment_intent_id or "",
            amount=refund.amount,
            idempotency_key=refund.idempotency_key,
            metadata={"refund_id": str(refund.pk), "project_id": str(refund.project_id)},
        )
    except stripe_client.TRANSIENT_ERRORS:
        raise
    except PaymentGatewayError as exc:
        return _finish(refund.pk, stripe_refund_id="", error=exc.message)
    return _finish(refund.pk, stripe_refund_id=info.id, error="")


@transaction.atomic
def _finish(refund_id: int, *, stripe_refund_id: str, error: str) -> EscrowRefund:
    refund = (
        EscrowRefund.objects.select_for_update()
        .select_related("project__organization")
        .get(pk=refund_id)
    )
    if refund.status != EscrowRefund.Status.PENDING:
        return refund
    currency = refund.currency
    org = refund.project.organization
    refunds_acct = ledger_account_ensure(kind=Kind.REFUNDS, currency=currency, organization=org)
    if error:
        escrow = ledger_account_ensure(
            kind=Kind.PROJECT_ESCROW, currency=currency, project=refund.project
        )
        journal_entry_post(
            idempotency_key=f"{refund.idempotency_key}:failed",
            kind=EntryKind.REFUND,
            currency=currency,
            lines=[debit(refunds_acct, refund.amount), credit(escrow, refund.amount)],
            description=f"Refund #{refund.pk} refused: {error}"[:300],
            metadata={"refund_id": refund.pk},
        )
        refund.status = EscrowRefund.Status.FAILED
        refund.failure_message = error[:500]
    else:
        stripe_balance = ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency=currency)
        journal_entry_post(
            idempotency_key=f"{refund.idempotency_key}:sent",
            kind=EntryKind.REFUND,
            currency=currency,
            lines=[debit(refunds_acct, refund.amount), credit(stripe_balance, refund.amount)],
            description=f"Refund {stripe_refund_id} of project #{refund.project_id}",
            metadata={"refund_id": refund.pk, "stripe_refund": stripe_refund_id},
        )
        refund.status = EscrowRefund.Status.SUCCEEDED
        refund.stripe_refund_id = stripe_refund_id
    refund.completed_at = timezone.now()
    refund.save()
    audit_record(
        actor=None,
        verb=f"payments.escrow_refund_{refund.status}",
        target=refund.project,
        details={"refund": refund.pk, "amount": refund.amount, "error": error},
    )
    return refund
