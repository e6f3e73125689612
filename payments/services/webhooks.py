"""Stripe webhooks: store each verified event once, process it once.

The view verifies the signature and calls `stripe_event_record` (one short transaction); the
processing runs in a Celery task enqueued on commit (`stripe_event_process`), so Stripe gets its
2xx at once, Stripe API calls made while processing are retried with backoff, and a beat task
re-enqueues any event whose enqueue was lost. Processing re-reads the object from Stripe and
applies its current state, which makes out-of-order delivery harmless.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from payments import stripe_client
from payments.models import Funding, StripeEvent
from payments.services.funding import funding_apply_payment_intent
from payments.stripe_client import PaymentIntentInfo, VerifiedEvent

logger = logging.getLogger(__name__)


def _enqueue(event_pk: int) -> None:
    from payments.tasks import stripe_event_process_task

    stripe_event_process_task.delay(event_pk)


@transaction.atomic
def stripe_event_record(*, event: VerifiedEvent) -> tuple[StripeEvent, bool]:
    """Store a verified event by its id. Returns (row, created). A redelivery of a processed event
    changes nothing; one still unprocessed is enqueued again (processing is idempotent)."""
    try:
        with transaction.atomic():
            row = StripeEvent.objects.create(
                event_id=event.id,
                type=event.type,
                object_id=event.object_id,
                api_version=event.api_version,
                livemode=event.livemode,
                payload=event.payload,
                created=event.created,
            )
        created = True
    except IntegrityError:
        row = StripeEvent.objects.get(event_id=event.id)
        created = False
    if row.processed_at is None:
        transaction.on_commit(lambda: _enqueue(row.pk))
    return row, created


def _funding_for(event: StripeEvent) -> Funding | None:
    funding = Funding.objects.filter(payment_intent_id=event.object_id).first()
    if funding is None:
        obj = event.payload.get("data", {}).get("object", {}) or {}
        funding_id = str((obj.get("metadata") or {}).get("funding_id") or "")
        if funding_id.isdigit():
            funding = Funding.objects.filter(pk=int(funding_id), payment_intent_id=None).first()
    return funding


class PaymentIntentHandler:
    """payment_intent.*: sync the funding with the PaymentIntent's current state."""

    @staticmethod
    def prepare(event: StripeEvent) -> PaymentIntentInfo | None:
        """Outside any transaction: read the object's current state from Stripe (not the event's
        possibly stale snapshot)."""
        funding = _funding_for(event)
        if funding is None or funding.status == Funding.Status.SUCCEEDED:
            return None
        return stripe_client.payment_intent_retrieve(payment_intent_id=event.object_id)

    @staticmethod
    def apply(event: StripeEvent, pi: PaymentIntentInfo | None) -> str:
        funding = _funding_for(event)
        if funding is None:
            return "ignored: no funding for this PaymentIntent"
        if pi is None:
            return f"funding {funding.pk} already succeeded"
        funding = funding_apply_payment_intent(funding_id=funding.pk, payment_intent=pi)
        return f"funding {funding.pk} {funding.status}"


class AccountHandler:
    """account.updated: a Connect account's current state (onboarding done, capabilities)."""

    @staticmethod
    def prepare(event: StripeEvent):
        from payments.models import PayoutAccount

        if not PayoutAccount.objects.filter(stripe_account_id=event.object_id).exists():
            return None
        return stripe_client.connect_account_retrieve(account_id=event.object_id)

    @staticmethod
    def apply(event: StripeEvent, info) -> str:
        from payments.services.payouts import payout_account_apply

        if info is None:
            return "ignored: not one of our payout accounts"
        account = payout_account_apply(info=info)
        return (
            f"payout account {account.pk if account else '?'} {account.status if account else ''}"
        )


class TransferHandler:
    """transfer.created / transfer.reversed: the transfer's current state settles its payout."""

    @staticmethod
    def prepare(event: StripeEvent):
        return stripe_client.transfer_retrieve(transfer_id=event.object_id)

    @staticmethod
    def apply(event: StripeEvent, transfer) -> str:
        from payments.services.payouts import payout_apply_transfer

        return payout_apply_transfer(transfer=transfer)


HANDLERS = {
    "account.updated": AccountHandler,
    "transfer.created": TransferHandler,
    "transfer.updated": TransferHandler,
    "transfer.reversed": TransferHandler,
    "payment_intent.succeeded": PaymentIntentHandler,
    "payment_intent.payment_failed": PaymentIntentHandler,
    "payment_intent.processing": PaymentIntentHandler,
    "payment_intent.canceled": PaymentIntentHandler,
    "payment_intent.requires_action": PaymentIntentHandler,
}


def stripe_event_process(*, event_pk: int) -> StripeEvent:
    """Process a stored event once. Safe to run twice and concurrently: Stripe is read first,
    outside any transaction; then the event row is locked, `processed_at` checked under the lock,
    and the handler's writes commit together with `processed_at`. Handlers are idempotent too.

    Transient Stripe errors propagate (the task retries them with backoff); every failure is
    recorded on the event (attempts, last_error) and re-raised."""
    try:
        event = StripeEvent.objects.get(pk=event_pk)
        if event.processed_at is not None:
            return event
        handler = HANDLERS.get(event.type)
        prepared = handler.prepare(event) if handler else None
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().get(pk=event_pk)
            if event.processed_at is not None:
                return event
            outcome = handler.apply(event, prepared) if handler else "ignored: no handler"
            event.processed_at = timezone.now()
            event.outcome = outcome[:200]
            event.attempts += 1
            event.last_error = ""
            event.save(update_fields=["processed_at", "outcome", "attempts", "last_error"])
            return event
    except Exception as exc:
        StripeEvent.objects.filter(pk=event_pk, processed_at=None).update(
            attempts=F("attempts") + 1, last_error=repr(exc)[:2000]
        )
        logger.warning("Stripe event %s failed: %r", event_pk, exc)
        raise
