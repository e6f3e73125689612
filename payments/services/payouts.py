"""Payouts: expert payable → Stripe Connect transfer.

- Experts connect an Express account (`payout_account_onboarding_link`); its state follows the
  `account.updated` webhook (`payout_account_apply`).
- Weekly (`payouts_create_batch`) and on demand (`payout_request`, above the minimum) one Payout
  row per expert and currency is created for the payable balance; an expert suspended from a
  project with an appeal still open gets a `held` payout (not forfeited: released when the
  appeal is decided). A partial unique index allows one waiting payout per expert and currency.
- `payout_execute` (one Celery task per payout, takes the id): under the row lock it posts
  `payout:<id>` (Dr payable, Cr Stripe balance) and marks the payout submitted; then, outside any
  transaction, creates the transfer with idempotency key `payout:<id>`, so a task redelivered
  after a worker died mid-call gets the same transfer back from Stripe, never a second one; then
  marks it paid. Stripe transfers have no paid/failed events (since API 2017-04-06 a created
  transfer has moved the money); `transfer.created` confirms, `transfer.reversed` fails it.
- A refused or reversed transfer posts `payout-failed:<id>` (Dr Stripe balance, Cr payable):
  the money is back on the expert's balance for the next payout.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from core.exceptions import InvalidState
from labeling.models import Appeal, ExpertProjectStats
from payments import stripe_client
from payments.exceptions import GatewayIdempotencyError, PaymentGatewayError
from payments.models import EntryKind, LedgerAccount, Payout, PayoutAccount, Posting
from payments.selectors import ledger_account_balance
from payments.services.ledger import credit, debit, journal_entry_post, ledger_account_ensure
from payments.stripe_client import ConnectAccountInfo, TransferInfo

logger = logging.getLogger(__name__)
Kind = LedgerAccount.Kind
Status = Payout.Status


# --- Connect accounts ----------------------------------------------------------------------------


def payout_account_onboarding_link(*, expert: User, refresh_url: str, return_url: str) -> str:
    """Create the expert's Express account on first use, then a fresh single-use onboarding
    link (the Stripe-hosted page; the harness's fake page in tests and the demo)."""
    account = PayoutAccount.objects.filter(expert=expert).first()
    if account is None:
        profile = getattr(expert, "expert_profile", None)
        info = stripe_client.connect_account_create(
            email=expert.email,
            country=(getattr(profile, "country", "") or "US").upper(),
            idempotency_key=f"payout-account:{expert.pk}",
            metadata={"user_id": str(expert.pk)},
        )
        with transaction.atomic():
            account, _ = PayoutAccount.objects.get_or_create(
                expert=expert, defaults={"stripe_account_id": info.id}
            )
            _apply(account, info)
            audit_record(
                actor=expert,
                verb="payments.payout_account_created",
                target=expert,
                details={"account": info.id},
            )
    link = stripe_client.account_link_create(
        account_id=account.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )
    return link.url


def _apply(account: PayoutAccount, info: ConnectAccountInfo) -> PayoutAccount:
    account.details_submitted = info.details_submitted
    account.charges_enabled = info.charges_enabled
    account.payouts_enabled = info.payouts_enabled
    account.transfers_active = info.transfers_active
    if info.transfers_active and info.payouts_enabled:
        account.status = PayoutAccount.Status.ACTIVE
    elif info.details_submitted:
        account.status = PayoutAccount.Status.RESTRICTED
    else:
        account.status = PayoutAccount.Status.ONBOARDING
    account.updated_at = timezone.now()
    account.save()
    return account


@transaction.atomic
def payout_account_apply(*, info: ConnectAccountInfo) -> PayoutAccount | None:
    """Bring a PayoutAccount in line with Stripe's current account state."""
    account = PayoutAccount.objects.select_for_update().filter(stripe_account_id=info.id).first()
    if account is None:
        return None
    before = account.status
    _apply(account, info)
    if account.status != before:
        audit_record(
            actor=None,
            verb=f"payments.payout_account_{account.status}",
            target=account.expert,
            details={"account": info.id, "from": before},
        )
    return account


def payout_account_refresh(*, expert: User) -> PayoutAccount | None:
    account = PayoutAccount.objects.filter(expert=expert).first()
    if account is None:
        return None
    info = stripe_client.connect_account_retrieve(account_id=account.stripe_account_id)
    return payout_account_apply(info=info)


# --- balances ------------------------------------------------------------------------------------


def payable_balance(*, expert: User | int, currency: str) -> int:
    uid = expert if isinstance(expert, int) else expert.pk
    account = LedgerAccount.objects.filter(
        kind=Kind.EXPERT_PAYABLE, currency=currency.upper(), owner_key=f"user:{uid}"
    ).first()
    return ledger_account_balance(account=account) if account else 0


def held_expert_ids() -> set[int]:
    """Experts suspended from a project whose suspension appeal is still open."""
    open_appeals = set(
        Appeal.objects.filter(kind=Appeal.Kind.SUSPENSION, status=Appeal.Status.OPEN).values_list(
            "expert_id", "project_id"
        )
    )
    if not open_appeals:
        return set()
    suspended = set(
        ExpertProjectStats.objects.filter(suspended_at__isnull=False).values_list(
            "expert_id", "project_id"
        )
    )
    return {expert for expert, project in open_appeals & suspended}


# --- creating payouts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    batch: str
    pending_ids: list[int]
    held: int
    released: int


def _payable_rows(minimum: int, expert_id: int | None = None) -> list[tuple[int, str, int]]:
    """(user_id, currency, payable) for payable balances ≥ minimum, set-based."""
    qs = Posting.objects.filter(account__kind=Kind.EXPERT_PAYABLE)
    if expert_id is not None:
        qs = qs.filter(account__user_id=expert_id)
    rows = qs.values("account__user_id", "account__currency").annotate(total=Sum("amount"))
    return [
        (r["account__user_id"], r["account__currency"], -r["total"])
        for r in rows
        if -r["total"] >= minimum
    ]


@transaction.atomic
def payouts_create_batch(*, enqueue: bool = True, minimum: int | None = None) -> BatchResult:
    """The weekly batch: one payout per expert (and currency) whose payable balance is at least
    the minimum and who has an active payout account; `held` for experts under an open
    suspension appeal. Held payouts whose appeal was decided are released. Experts who already
    have a waiting payout are skipped (partial unique index). Payouts are enqueued on commit."""
    minimum = settings.PLUMBLINE_PAYOUT_MINIMUM_MINOR if minimum is None else minimum
    batch = timezone.now().strftime("%Y%m%d%H%M%S-") + uuid.uuid4().hex[:6]
    held = held_expert_ids()
    released = _release_held(held)
    active = dict(
        PayoutAccount.objects.filter(status=PayoutAccount.Status.ACTIVE).values_list(
            "expert_id", "stripe_account_id"
        )
    )
    now = timezone.now()
    rows = [
        Payout(
            expert_id=uid,
            amount=amount,
            currency=currency,
            status=Status.HELD if uid in held else Status.PENDING,
            hold_reason="Suspension appeal open" if uid in held else "",
            batch=batch,
            stripe_account_id=active.get(uid, ""),
            created_at=now,
        )
        for uid, currency, amount in _payable_rows(minimum)
        if uid in active or uid in held
    ]
    Payout.objects.bulk_create(rows, ignore_conflicts=True, batch_size=5000)
    pending = list(
        Payout.objects.filter(batch=batch, status=Status.PENDING).values_list("pk", flat=True)
    )
    held_count = Payout.objects.filter(batch=batch, status=Status.HELD).count()
    audit_record(
        actor=None,
        verb="payments.payout_batch_created",
        target=None,
        details={"batch": batch, "pending": len(pending), "held": held_count},
    )
    if enqueue:
        ids = pending + released
        transaction.on_commit(lambda: _enqueue(ids))
    return BatchResult(batch=batch, pending_ids=pending, held=held_count, released=len(released))


def _release_held(still_held: set[int]) -> list[int]:
    ids = list(
        Payout.objects.filter(status=Status.HELD)
        .exclude(expert_id__in=still_held)
        .values_list("pk", flat=True)
    )
    if ids:
        Payout.objects.filter(pk__in=ids).update(status=Status.PENDING, hold_reason="")
    return ids


def _enqueue(ids: list[int]) -> None:
    from payments.tasks import payout_execute_task

    for pk in ids:
        payout_execute_task.apply_async((pk,), queue=settings.PAYMENTS_QUEUE)


@transaction.atomic
def payout_request(
    *, expert: User, currency: str = "USD", request: HttpRequest | None = None
) -> Payout:
    """'Pay me now': one payout of the whole payable balance, if at least the minimum."""
    currency = currency.upper()
    account = PayoutAccount.objects.filter(expert=expert).first()
    if account is None or not account.can_receive:
        raise InvalidState("Connect a payout account first.")
    # Serialise one expert's requests: lock their payable account row.
    ledger_account_ensure(kind=Kind.EXPERT_PAYABLE, currency=currency, user=expert)
    LedgerAccount.objects.select_for_update().get(
        kind=Kind.EXPERT_PAYABLE, currency=currency, owner_key=f"user:{expert.pk}"
    )
    if Payout.objects.filter(
        expert=expert, currency=currency, status__in=["pending", "held"]
    ).exists():
        raise InvalidState("A payout is already on its way.")
    amount = payable_balance(expert=expert, currency=currency)
    minimum = settings.PLUMBLINE_PAYOUT_MINIMUM_MINOR
    if amount < minimum:
        raise InvalidState(
            f"Your balance is below the payout minimum of {minimum / 100:.2f} {currency}."
        )
    held = expert.pk in held_expert_ids()
    payout = Payout.objects.create(
        expert=expert,
        amount=amount,
        currency=currency,
        on_demand=True,
        status=Status.HELD if held else Status.PENDING,
        hold_reason="Suspension appeal open" if held else "",
        stripe_account_id=account.stripe_account_id,
    )
    audit_record(
        actor=expert,
        verb="payments.payout_requested",
        target=payout,
        request=request,
        details={"amount": amount, "currency": currency, "held": held},
    )
    if not held:
        transaction.on_commit(lambda: _enqueue([payout.pk]))
    return payout


# --- executing payouts ---------------------------------------------------------------------------


def _submit(payout_id: int) -> Payout | None:
    """Under the row lock: pending → submitted, posting payable → Stripe balance once. Returns
    the payout if a transfer must be (re)requested, None when there is nothing to do."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status == Status.SUBMITTED:
            # Stripe keeps idempotency keys for 24 hours: past that, a retry could create a
            # second transfer, so a stale submission is left to reconciliation and staff.
            if payout.submitted_at and timezone.now() - payout.submitted_at > timedelta(hours=23):
                logger.error("Payout %s submitted over 23 h ago; not retried", payout.pk)
                return None
            return payout
        if payout.status != Status.PENDING:
            return None
        account = PayoutAccount.objects.filter(expert_id=payout.expert_id).first()
        if account is None or not account.can_receive:
            _fail_locked(payout, "The payout account cannot receive transfers.")
            return None
        if payable_balance(expert=payout.expert_id, currency=payout.currency) < payout.amount:
            _fail_locked(payout, "The payable balance is smaller than the payout.")
            return None
        currency = payout.currency
        payable = ledger_account_ensure(
            kind=Kind.EXPERT_PAYABLE, currency=currency, user=payout.expert
        )
        stripe_balance = ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency=currency)
        journal_entry_post(
            idempotency_key=payout.idempotency_key,
            kind=EntryKind.PAYOUT,
            currency=currency,
            lines=[debit(payable, payout.amount), credit(stripe_balance, payout.amount)],
            description=f"Payout #{payout.pk} to {account.stripe_account_id}",
            metadata={"payout_id": payout.pk, "expert_id": payout.expert_id},
        )
        payout.status = Status.SUBMITTED
        payout.stripe_account_id = account.stripe_account_id
        payout.submitted_at = timezone.now()
        payout.attempts += 1
        payout.save(update_fields=["status", "stripe_account_id", "submitted_at", "attempts"])
        audit_record(
            actor=None,
            verb="payments.payout_submitted",
            target=payout,
            details={"amount": payout.amount, "currency": currency},
        )
        return payout


def payout_execute(*, payout_id: int) -> Payout:
    """Safe to run twice and after a crash at any point (see the module docstring). Transient
    Stripe errors and a key still in flight propagate: the task retries with the same key."""
    payout = _submit(payout_id)
    if payout is None:
        return Payout.objects.get(pk=payout_id)
    try:
        transfer = stripe_client.transfer_create(
            amount=payout.amount,
            currency=payout.currency,
            destination=payout.stripe_account_id,
            idempotency_key=payout.idempotency_key,
            metadata={"payout_id": str(payout.pk), "expert_id": str(payout.expert_id)},
            transfer_group=f"payout:{payout.pk}",
        )
    except stripe_client.TRANSIENT_ERRORS:
        raise
    except GatewayIdempotencyError:
        raise
    except PaymentGatewayError as exc:
        return payout_fail(payout_id=payout.pk, message=exc.message)
    return payout_mark_paid(payout_id=payout.pk, transfer=transfer)


@transaction.atomic
def payout_mark_paid(*, payout_id: int, transfer: TransferInfo) -> Payout:
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status != Status.SUBMITTED:
        return payout
    if transfer.reversed:
        return _fail_locked(payout, "The transfer was reversed.")
    payout.status = Status.PAID
    payout.stripe_transfer_id = transfer.id
    payout.paid_at = timezone.now()
    payout.save(update_fields=["status", "stripe_transfer_id", "paid_at"])
    audit_record(
        actor=None,
        verb="payments.payout_paid",
        target=payout,
        details={"transfer": transfer.id, "amount": payout.amount},
    )
    return payout


@transaction.atomic
def payout_fail(*, payout_id: int, message: str) -> Payout:
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    return _fail_locked(payout, message)


def _fail_locked(payout: Payout, message: str) -> Payout:
    """Mark failed; if the payable was debited, credit it back (`payout-failed:<id>`)."""
    if payout.status == Status.FAILED:
        return payout
    if payout.status in (Status.SUBMITTED, Status.PAID):
        currency = payout.currency
        payable = ledger_account_ensure(
            kind=Kind.EXPERT_PAYABLE, currency=currency, user=payout.expert
        )
        stripe_balance = ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency=currency)
        journal_entry_post(
            idempotency_key=f"payout-failed:{payout.pk}",
            kind=EntryKind.PAYOUT_FAILED,
            currency=currency,
            lines=[debit(stripe_balance, payout.amount), credit(payable, payout.amount)],
            description=f"Payout #{payout.pk} failed: {message}"[:300],
            metadata={"payout_id": payout.pk, "expert_id": payout.expert_id},
        )
    before = payout.status
    payout.status = Status.FAILED
    payout.failure_message = message[:500]
    payout.failed_at = timezone.now()
    payout.save(update_fields=["status", "failure_message", "failed_at"])
    audit_record(
        actor=None,
        verb="payments.payout_failed",
        target=payout,
        details={"from": before, "message": message, "recredited": before != Status.PENDING},
    )
    return payout


def payout_for_transfer(transfer: TransferInfo) -> Payout | None:
    payout = Payout.objects.filter(stripe_transfer_id=transfer.id).first()
    if payout is None and transfer.metadata.get("payout_id", "").isdigit():
        payout = Payout.objects.filter(pk=int(transfer.metadata["payout_id"])).first()
    return payout


def payout_apply_transfer(*, transfer: TransferInfo) -> str:
    """Webhook: a transfer's current state. Created → paid; fully reversed → failed + re-credit."""
    payout = payout_for_transfer(transfer)
    if payout is None:
        return "ignored: no payout for this transfer"
    if transfer.reversed:
        payout = payout_fail(payout_id=payout.pk, message="The transfer was reversed.")
    else:
        payout = payout_mark_paid(payout_id=payout.pk, transfer=transfer)
    return f"payout {payout.pk} {payout.status}"


def payouts_stuck_ids(*, older_than_minutes: int = 10) -> list[int]:
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return list(
        Payout.objects.filter(status__in=[Status.PENDING, Status.SUBMITTED], created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )


def database_is_postgres() -> bool:
    return connection.vendor == "postgresql"
