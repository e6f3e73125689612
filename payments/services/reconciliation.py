"""Reconciliation: the ledger compared with Stripe, differences stored for staff.

Checks, for payouts: every submitted or paid payout has exactly one Stripe transfer (found by the
`payout_id` metadata and destination) of its amount; no transfer exists for a payout that failed
unless it was reversed; no transfer to one of our experts' accounts lacks a payout. For fundings:
every succeeded funding of the last 30 days has a PaymentIntent that Stripe reports succeeded
with the same amount received. And the platform's Stripe balance per currency as the ledger sees
it next to the balance Stripe reports (informative: it differs while refunds or fees are in
flight, and on a Stripe account shared with other systems).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.services import audit_record
from payments import stripe_client
from payments.exceptions import PaymentGatewayError
from payments.models import Funding, LedgerAccount, Payout, PayoutAccount, ReconciliationReport
from payments.selectors import ledger_balances
from payments.stripe_client import TransferInfo

MAX_PAGES = 200


def _all_transfers() -> list[TransferInfo]:
    out: list[TransferInfo] = []
    after = None
    for _ in range(MAX_PAGES):
        page, more = stripe_client.transfers_list(limit=100, starting_after=after)
        out.extend(page)
        if not more or not page:
            break
        after = page[-1].id
    return out


def _stripe_balance_by_currency() -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    after = None
    for _ in range(MAX_PAGES):
        page, more = stripe_client.balance_transactions_list(limit=100, starting_after=after)
        for txn in page:
            totals[txn.currency] += txn.amount
        if not more or not page:
            break
        after = page[-1].id
    return dict(totals)


def reconciliation_run() -> ReconciliationReport:
    """Read Stripe (no transaction held open), then compare and store the report."""
    now = timezone.now()
    ours = set(PayoutAccount.objects.values_list("stripe_account_id", flat=True))
    transfers = [t for t in _all_transfers() if t.destination in ours]
    stripe_balance = _stripe_balance_by_currency()
    fundings = list(
        Funding.objects.filter(
            status=Funding.Status.SUCCEEDED,
            succeeded_at__gte=now - timedelta(days=30),
            payment_intent_id__isnull=False,
        ).exclude(payment_intent_id__startswith="pi_demo_")
    )
    funding_state = {}
    for funding in fundings:
        try:
            funding_state[funding.pk] = stripe_client.payment_intent_retrieve(
                payment_intent_id=funding.payment_intent_id or ""
            )
        except PaymentGatewayError as exc:
            funding_state[funding.pk] = exc.message
    differences: list[dict] = []
    by_payout: dict[int, list[TransferInfo]] = defaultdict(list)
    for t in transfers:
        pid = t.metadata.get("payout_id", "")
        if pid.isdigit():
            by_payout[int(pid)].append(t)
        else:
            differences.append(
                {"kind": "transfer_without_payout", "transfer": t.id, "amount": t.amount}
            )
    payouts = {p.pk: p for p in Payout.objects.filter(pk__in=list(by_payout))}
    for pid, ts in by_payout.items():
        payout = payouts.get(pid)
        if payout is None:
            differences.append({"kind": "transfer_without_payout", "transfer": ts[0].id})
            continue
        live = [t for t in ts if not t.reversed]
        if len(ts) > 1:
            differences.append(
                {"kind": "duplicate_transfers", "payout": pid, "transfers": [t.id for t in ts]}
            )
        for t in ts:
            if t.amount != payout.amount or t.currency != payout.currency:
                differences.append(
                    {
                        "kind": "amount_mismatch",
                        "payout": pid,
                        "transfer": t.id,
                        "ledger": payout.amount,
                        "stripe": t.amount,
                    }
                )
        if payout.status == Payout.Status.FAILED and live:
            differences.append(
                {"kind": "transfer_for_failed_payout", "payout": pid, "transfer": live[0].id}
            )
        if payout.status in (Payout.Status.PAID, Payout.Status.SUBMITTED) and not live:
            differences.append({"kind": "payout_transfer_reversed", "payout": pid})
    quiet = now - timedelta(minutes=10)
    for payout in Payout.objects.filter(
        status__in=[Payout.Status.PAID, Payout.Status.SUBMITTED], submitted_at__lt=quiet
    ).exclude(pk__in=list(by_payout)):
        differences.append(
            {"kind": "payout_without_transfer", "payout": payout.pk, "status": payout.status}
        )
    for funding in fundings:
        state = funding_state.get(funding.pk)
        if isinstance(state, str):
            differences.append({"kind": "funding_unknown_at_stripe", "funding": funding.pk})
        elif state is not None and (
            state.status != "succeeded" or state.amount_received != funding.amount
        ):
            differences.append(
                {
                    "kind": "funding_mismatch",
                    "funding": funding.pk,
                    "ledger": funding.amount,
                    "stripe": state.amount_received,
                    "stripe_status": state.status,
                }
            )
    ledger = {
        a.currency: 0 for a in LedgerAccount.objects.filter(kind=LedgerAccount.Kind.STRIPE_BALANCE)
    }
    balances = ledger_balances(
        accounts=LedgerAccount.objects.filter(kind=LedgerAccount.Kind.STRIPE_BALANCE)
    )
    for account in LedgerAccount.objects.filter(kind=LedgerAccount.Kind.STRIPE_BALANCE):
        ledger[account.currency] = balances.get(account.pk, 0)
    with transaction.atomic():
        report = ReconciliationReport.objects.create(
            ok=not differences,
            transfers_checked=len(transfers),
            payouts_checked=len(payouts),
            fundings_checked=len(fundings),
            differences=differences,
            ledger_stripe_balance=ledger,
            stripe_balance={k.upper(): v for k, v in stripe_balance.items()},
        )
        audit_record(
            actor=None,
            verb="payments.reconciliation_run",
            target=report,
            details={"ok": report.ok, "differences": len(differences)},
        )
    return report
