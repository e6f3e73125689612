"""Funding: a company pays a project's budget in through a Stripe PaymentIntent.

create (Stripe PaymentIntent, idempotency key per funding) → the customer pays (Stripe.js in
production; a server-side test card in the demo) → Stripe's current state of the PaymentIntent is
applied by `funding_apply_payment_intent`, whichever path learns it first (the webhook, the demo's
confirm, the reconciliation task): on success it posts Stripe balance → org prepaid → project
escrow exactly once (idempotency keys named after the PaymentIntent) and marks the project funded
through the marketplace's service.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from marketplace.models import Project
from marketplace.services import check_can_manage
from payments import stripe_client
from payments.exceptions import FundingNotAllowed, PaymentGatewayError
from payments.marketplace_port import (
    project_accepts_funding,
    project_budget_total_minor,
    project_mark_funded_from_escrow,
)
from payments.models import EntryKind, Funding, LedgerAccount
from payments.services.ledger import credit, debit, journal_entry_post, ledger_account_ensure
from payments.stripe_client import PaymentIntentInfo

Kind = LedgerAccount.Kind

# Stripe's smallest card charge is 0.50 in USD/EUR/GBP; its largest is 999,999.99.
MIN_FUNDING_MINOR = 50
MAX_FUNDING_MINOR = 99_999_999

# Test cards (https://docs.stripe.com/testing): one that pays, one whose charge is declined.
TEST_CARD_OK = "pm_card_visa"
TEST_CARD_DECLINED = "pm_card_chargeCustomerFail"


@dataclass(frozen=True)
class FundingStart:
    funding: Funding
    client_secret: str | None


def funded_total_minor(*, project: Project) -> int:
    return (
        Funding.objects.filter(project=project, status=Funding.Status.SUCCEEDED).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )


def funding_remaining_minor(*, project: Project) -> int:
    """What is left to pay of the budget (never negative)."""
    return max(project_budget_total_minor(project) - funded_total_minor(project=project), 0)


def check_funding_create(*, project: Project, actor: User, amount: int | None) -> int:
    """Owner/manager of the project's organization, a project still open, an amount within
    Stripe's limits (default: the remaining budget). Returns the amount."""
    check_can_manage(user=actor, project=project)
    if not project_accepts_funding(project):
        raise FundingNotAllowed("A completed or cancelled project cannot be funded.")
    if amount is None:
        amount = funding_remaining_minor(project=project)
        if amount <= 0:
            raise FundingNotAllowed(
                "The budget is fully funded; give an amount to top the escrow up.",
                fields={"amount": ["Required for a top-up."]},
            )
    if not MIN_FUNDING_MINOR <= amount <= MAX_FUNDING_MINOR:
        raise FundingNotAllowed(
            f"Fund between {MIN_FUNDING_MINOR} and {MAX_FUNDING_MINOR} minor units.",
            fields={"amount": ["Out of range."]},
        )
    return amount


def funding_create(
    *,
    project: Project,
    actor: User,
    amount: int | None = None,
    request: HttpRequest | None = None,
) -> FundingStart:
    """Create a Funding and its Stripe PaymentIntent; return the client secret for Stripe.js.

    Two short transactions around the Stripe call (no transaction is held open over the network).
    The PaymentIntent's idempotency key is derived from the funding's id, so a retry after a lost
    response gets the same PaymentIntent back; the webhook finds the funding through the
    PaymentIntent's metadata even if it arrives before the id is saved here.
    """
    amount = check_funding_create(project=project, actor=actor, amount=amount)
    with transaction.atomic():
        funding = Funding.objects.create(
            organization_id=project.organization_id,
            project=project,
            amount=amount,
            currency=project.currency.upper(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            verb="funding.created",
            target=funding,
            request=request,
            details={"project": project.pk, "amount": amount, "currency": funding.currency},
        )
    try:
        pi = stripe_client.payment_intent_create(
            amount=amount,
            currency=funding.currency,
            idempotency_key=funding.stripe_idempotency_key,
            description=f"Plumbline escrow for project #{project.pk}: {project.title}"[:200],
            metadata={
                "funding_id": str(funding.pk),
                "project_id": str(project.pk),
                "organization_id": str(project.organization_id),
            },
        )
    except stripe_client.TRANSIENT_ERRORS as exc:
        raise PaymentGatewayError("Stripe could not be reached; try again in a moment.") from exc
    except PaymentGatewayError as exc:
        Funding.objects.filter(pk=funding.pk).update(
            status=Funding.Status.FAILED,
            failure_message=exc.message[:500],
            updated_at=timezone.now(),
        )
        raise
    with transaction.atomic():
        funding = Funding.objects.select_for_update().get(pk=funding.pk)
        if not funding.payment_intent_id:
            funding.payment_intent_id = pi.id
            funding.updated_at = timezone.now()
            funding.save(update_fields=["payment_intent_id", "updated_at"])
    return FundingStart(funding=funding, client_secret=pi.client_secret)


def funding_pay_with_test_card(
    *, funding: Funding, actor: User, payment_method: str = TEST_CARD_OK, request=None
) -> Funding:
    """Demo and tests only (the demo has no Stripe.js): confirm the PaymentIntent server-side with
    a Stripe test card, then apply the state Stripe answers with. Refused with a live key."""
    if not stripe_client.is_test_mode():
        raise FundingNotAllowed("Test cards work with a Stripe test key only.")
    check_can_manage(user=actor, project=funding.project)
    if funding.status not in (Funding.Status.REQUIRES_PAYMENT, Funding.Status.FAILED):
        raise FundingNotAllowed("This funding is not waiting for a payment.")
    if not funding.payment_intent_id:
        raise FundingNotAllowed("This funding has no PaymentIntent; start a new one.")
    try:
        pi = stripe_client.payment_intent_confirm(
            payment_intent_id=funding.payment_intent_id, payment_method=payment_method
        )
    except stripe_client.TRANSIENT_ERRORS as exc:
        raise PaymentGatewayError("Stripe could not be reached; try again in a moment.") from exc
    return funding_apply_payment_intent(funding_id=funding.pk, payment_intent=pi)


def funding_sync(*, funding_id: int) -> Funding:
    """Re-read the PaymentIntent from Stripe and apply it (reconciliation, webhook processing)."""
    funding = Funding.objects.get(pk=funding_id)
    if funding.status == Funding.Status.SUCCEEDED or not funding.payment_intent_id:
        return funding
    pi = stripe_client.payment_intent_retrieve(payment_intent_id=funding.payment_intent_id)
    return funding_apply_payment_intent(funding_id=funding_id, payment_intent=pi)


_STATUS_OF_PI = {
    "processing": Funding.Status.PROCESSING,
    "canceled": Funding.Status.CANCELED,
    "requires_confirmation": Funding.Status.REQUIRES_PAYMENT,
    "requires_action": Funding.Status.REQUIRES_PAYMENT,
    "requires_capture": Funding.Status.PROCESSING,
}


@transaction.atomic
def funding_apply_payment_intent(*, funding_id: int, payment_intent: PaymentIntentInfo) -> Funding:
    """Bring a funding in line with Stripe's current PaymentIntent state. Idempotent and
    order-independent: `succeeded` is terminal, so a stale `payment_failed` (or any replay)
    arriving after the money was booked changes nothing."""
    funding = (
        Funding.objects.select_for_update()
        .select_related("project__organization", "organization")
        .get(pk=funding_id)
    )
    return do_funding_apply(funding=funding, pi=payment_intent)


def do_funding_apply(*, funding: Funding, pi: PaymentIntentInfo) -> Funding:
    """Called while holding a SELECT FOR UPDATE lock on `funding`, inside a transaction."""
    if funding.payment_intent_id and funding.payment_intent_id != pi.id:
        raise PaymentGatewayError(
            f"PaymentIntent {pi.id} does not belong to funding #{funding.pk}."
        )
    if funding.status == Funding.Status.SUCCEEDED:
        return funding
    before = funding.status
    funding.payment_intent_id = pi.id
    if pi.status == "succeeded":
        _book_succeeded(funding=funding, pi=pi)
    elif pi.status == "requires_payment_method" and (pi.failure_code or pi.failure_message):
        funding.status = Funding.Status.FAILED
        funding.failure_code = pi.failure_code[:100]
        funding.failure_message = (pi.failure_message or "The payment failed.")[:500]
    elif pi.status == "requires_payment_method":
        funding.status = Funding.Status.REQUIRES_PAYMENT
    else:
        funding.status = _STATUS_OF_PI.get(pi.status, funding.status)
    funding.updated_at = timezone.now()
    funding.save()
    if funding.status != before:
        audit_record(
            actor=None,
            verb=f"funding.{funding.status}",
            target=funding,
            details={
                "from": before,
                "payment_intent": pi.id,
                "stripe_status": pi.status,
                "failure": funding.failure_message,
            },
        )
    return funding


def _book_succeeded(*, funding: Funding, pi: PaymentIntentInfo) -> None:
    """Called while holding the funding's row lock: post the money exactly once."""
    if pi.currency != funding.currency or pi.amount_received != funding.amount:
        raise PaymentGatewayError(
            f"PaymentIntent {pi.id} received {pi.amount_received} {pi.currency}, "
            f"funding #{funding.pk} expects {funding.amount} {funding.currency}."
        )
    project, amount, currency = funding.project, funding.amount, funding.currency
    stripe_balance = ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency=currency)
    prepaid = ledger_account_ensure(
        kind=Kind.ORG_PREPAID, currency=currency, organization=funding.organization
    )
    escrow = ledger_account_ensure(kind=Kind.PROJECT_ESCROW, currency=currency, project=project)
    meta = {"funding_id": funding.pk, "payment_intent": pi.id, "project_id": project.pk}
    journal_entry_post(
        idempotency_key=f"funding:{pi.id}:received",
        kind=EntryKind.FUNDING_RECEIVED,
        currency=currency,
        lines=[debit(stripe_balance, amount), credit(prepaid, amount)],
        description=f"Payment {pi.id} from {funding.organization}",
        metadata=meta,
    )
    journal_entry_post(
        idempotency_key=f"funding:{pi.id}:escrow",
        kind=EntryKind.ESCROW_ALLOCATION,
        currency=currency,
        lines=[debit(prepaid, amount), credit(escrow, amount)],
        description=f"Escrow for project #{project.pk}",
        metadata=meta,
    )
    funding.status = Funding.Status.SUCCEEDED
    funding.succeeded_at = timezone.now()
    funding.failure_code = funding.failure_message = ""
    funding.save()  # counted by funded_total_minor below
    if funded_total_minor(project=project) >= project_budget_total_minor(project):
        project_mark_funded_from_escrow(project=project, amount_minor=amount, reference=pi.id)
