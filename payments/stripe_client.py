"""The Stripe gateway: the only module of Plumbline that imports `stripe`.

Everything else calls these functions and gets plain dataclasses back, so no Stripe object leaks
into services, tasks or templates. The client points at `settings.STRIPE_API_BASE`: the real API
in production, localstripe (payments/testing/localstripe_server.py) in tests and the demo.

Errors: card declines and invalid requests become payments.exceptions domain errors; transient
errors (`TRANSIENT_ERRORS`: connection problems, rate limits) propagate unchanged so Celery
tasks can `autoretry_for` them with backoff.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import stripe
from django.conf import settings
from stripe.params import (
    AccountCreateParams,
    AccountLinkCreateParams,
    BalanceTransactionListParams,
    PaymentIntentConfirmParams,
    PaymentIntentCreateParams,
    RefundCreateParams,
    TransferCreateParams,
)

from payments.exceptions import (
    CardDeclined,
    GatewayIdempotencyError,
    PaymentGatewayError,
    WebhookSignatureInvalid,
)

# Celery tasks retry these with exponential backoff; nothing else is retried blindly.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (stripe.APIConnectionError, stripe.RateLimitError)


@lru_cache(maxsize=4)
def _client_for(api_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base, "connect": api_base},
        # Network retries reuse the same Idempotency-Key, so they are safe for POSTs.
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def client() -> stripe.StripeClient:
    return _client_for(settings.STRIPE_API_KEY, settings.STRIPE_API_BASE)


def is_test_mode() -> bool:
    return settings.STRIPE_API_KEY.startswith("sk_test_")


# --- plain results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentIntentInfo:
    id: str
    status: str
    amount: int
    amount_received: int
    currency: str  # upper case, like the ledger
    client_secret: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    failure_code: str = ""
    failure_message: str = ""


@dataclass(frozen=True)
class RefundInfo:
    id: str
    status: str
    amount: int
    currency: str
    payment_intent_id: str | None


@dataclass(frozen=True)
class ConnectAccountInfo:
    id: str
    details_submitted: bool
    charges_enabled: bool
    payouts_enabled: bool
    transfers_active: bool


@dataclass(frozen=True)
class AccountLinkInfo:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class TransferInfo:
    id: str
    amount: int
    amount_reversed: int
    currency: str
    destination: str
    reversed: bool
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BalanceTransactionInfo:
    id: str
    amount: int
    currency: str
    type: str
    source: str | None
    created: datetime


@dataclass(frozen=True)
class VerifiedEvent:
    """A webhook event whose signature was checked."""

    id: str
    type: str
    created: datetime
    livemode: bool
    api_version: str
    object_id: str
    payload: dict[str, Any]


def _ts(value: int | None) -> datetime:
    return datetime.fromtimestamp(int(value or 0), tz=UTC)


def _id_of(value: Any) -> str | None:
    """An expandable field: an id string, an expanded object, or nothing."""
    if value is None or isinstance(value, str):
        return value
    return str(value.id)


def _metadata(obj: Any) -> dict[str, str]:
    raw = getattr(obj, "metadata", None)
    if not raw:
        return {}
    data = raw.to_dict() if hasattr(raw, "to_dict") else dict(raw)
    return {str(k): str(v) for k, v in data.items()}


def _payment_intent(pi: stripe.PaymentIntent) -> PaymentIntentInfo:
    error = pi.last_payment_error
    return PaymentIntentInfo(
        id=pi.id,
        status=pi.status,
        amount=pi.amount,
        amount_received=pi.amount_received or 0,
        currency=pi.currency.upper(),
        client_secret=pi.client_secret,
        metadata=_metadata(pi),
        failure_code=(error.code or "") if error else "",
        failure_message=(error.message or "") if error else "",
    )


def _translate(exc: stripe.StripeError) -> PaymentGatewayError:
    message = exc.user_message or str(exc) or None
    if isinstance(exc, stripe.CardError):
        return CardDeclined(message)
    if isinstance(exc, stripe.IdempotencyError):
        return GatewayIdempotencyError(message)
    return PaymentGatewayError(message)


@contextmanager
def _stripe_errors() -> Iterator[None]:
    """Around every Stripe call: transient errors propagate unchanged (Celery retries them with
    backoff); any other Stripe error becomes our domain error."""
    try:
        yield
    except TRANSIENT_ERRORS:
        raise
    except stripe.StripeError as exc:
        raise _translate(exc) from exc


# --- PaymentIntents --------------------------------------------------------------------------


def payment_intent_create(
    *,
    amount: int,
    currency: str,
    idempotency_key: str,
    metadata: dict[str, str],
    description: str,
) -> PaymentIntentInfo:
    params: PaymentIntentCreateParams = {
        "amount": amount,
        "currency": currency.lower(),
        "description": description,
        # Cards only, confirmed without redirects: server-side confirmation needs no return_url.
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        "metadata": metadata,
    }
    with _stripe_errors():
        pi = client().v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
    return _payment_intent(pi)


def payment_intent_retrieve(*, payment_intent_id: str) -> PaymentIntentInfo:
    with _stripe_errors():
        pi = client().v1.payment_intents.retrieve(payment_intent_id)
    return _payment_intent(pi)


def payment_intent_confirm(
    *, payment_intent_id: str, payment_method: str, idempotency_key: str | None = None
) -> PaymentIntentInfo:
    """Confirm server-side with a payment method (test cards such as `pm_card_visa` in test
    mode). A decline is not an exception here: the returned state carries the failure.
    Without `idempotency_key` the SDK generates one, reused across its own network retries."""
    params: PaymentIntentConfirmParams = {"payment_method": payment_method}
    options: stripe.RequestOptions = {"idempotency_key": idempotency_key} if idempotency_key else {}
    try:
        pi = client().v1.payment_intents.confirm(payment_intent_id, params, options)
    except TRANSIENT_ERRORS:
        raise
    except stripe.CardError:
        return payment_intent_retrieve(payment_intent_id=payment_intent_id)
    except stripe.StripeError as exc:
        raise _translate(exc) from exc
    return _payment_intent(pi)


def refund_create(
    *, payment_intent_id: str, amount: int, idempotency_key: str, metadata: dict[str, str]
) -> RefundInfo:
    params: RefundCreateParams = {
        "payment_intent": payment_intent_id,
        "amount": amount,
        "metadata": metadata,
    }
    with _stripe_errors():
        refund = client().v1.refunds.create(params, {"idempotency_key": idempotency_key})
    return RefundInfo(
        id=refund.id,
        status=refund.status or "",
        amount=refund.amount,
        currency=refund.currency.upper(),
        payment_intent_id=_id_of(refund.payment_intent),
    )


# --- Connect ---------------------------------------------------------------------------------


def _account(acct: stripe.Account) -> ConnectAccountInfo:
    capabilities = acct.capabilities
    return ConnectAccountInfo(
        id=acct.id,
        details_submitted=bool(acct.details_submitted),
        charges_enabled=bool(acct.charges_enabled),
        payouts_enabled=bool(acct.payouts_enabled),
        transfers_active=bool(capabilities and capabilities.transfers == "active"),
    )


def connect_account_create(
    *, email: str, country: str, idempotency_key: str, metadata: dict[str, str]
) -> ConnectAccountInfo:
    """An Express connected account able to receive transfers."""
    params: AccountCreateParams = {
        "type": "express",
        "email": email,
        "country": country,
        "capabilities": {"transfers": {"requested": True}},
        "metadata": metadata,
    }
    with _stripe_errors():
        acct = client().v1.accounts.create(params, {"idempotency_key": idempotency_key})
    return _account(acct)


def connect_account_retrieve(*, account_id: str) -> ConnectAccountInfo:
    with _stripe_errors():
        acct = client().v1.accounts.retrieve(account_id)
    return _account(acct)


def account_link_create(*, account_id: str, refresh_url: str, return_url: str) -> AccountLinkInfo:
    """A single-use onboarding URL (it expires after a few minutes: create one per visit)."""
    params: AccountLinkCreateParams = {
        "account": account_id,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "type": "account_onboarding",
    }
    with _stripe_errors():
        link = client().v1.account_links.create(params)
    return AccountLinkInfo(url=link.url, expires_at=_ts(link.expires_at))


# --- Transfers and balance -------------------------------------------------------------------


def _transfer(tr: stripe.Transfer) -> TransferInfo:
    destination = tr.destination
    return TransferInfo(
        id=tr.id,
        amount=tr.amount,
        amount_reversed=tr.amount_reversed,
        currency=tr.currency.upper(),
        destination=_id_of(destination) or "",
        reversed=tr.reversed,
        metadata=_metadata(tr),
    )


def transfer_create(
    *,
    amount: int,
    currency: str,
    destination: str,
    idempotency_key: str,
    metadata: dict[str, str],
    transfer_group: str | None = None,
) -> TransferInfo:
    params: TransferCreateParams = {
        "amount": amount,
        "currency": currency.lower(),
        "destination": destination,
        "metadata": metadata,
    }
    if transfer_group:
        params["transfer_group"] = transfer_group
    with _stripe_errors():
        tr = client().v1.transfers.create(params, {"idempotency_key": idempotency_key})
    return _transfer(tr)


def transfer_retrieve(*, transfer_id: str) -> TransferInfo:
    with _stripe_errors():
        tr = client().v1.transfers.retrieve(transfer_id)
    return _transfer(tr)


def transfers_list(
    *, limit: int = 100, starting_after: str | None = None, destination: str | None = None
) -> tuple[list[TransferInfo], bool]:
    """One page of transfers, newest first, and whether more pages exist."""
    params: dict[str, Any] = {"limit": limit}
    if starting_after:
        params["starting_after"] = starting_after
    if destination:
        params["destination"] = destination
    with _stripe_errors():
        page = client().v1.transfers.list(params)  # type: ignore[arg-type]
    return [_transfer(tr) for tr in page.data], bool(page.has_more)


def balance_transactions_list(
    *, limit: int = 100, starting_after: str | None = None
) -> tuple[list[BalanceTransactionInfo], bool]:
    """One page of balance transactions, newest first, and whether more pages exist."""
    params: BalanceTransactionListParams = {"limit": limit}
    if starting_after:
        params["starting_after"] = starting_after
    with _stripe_errors():
        page = client().v1.balance_transactions.list(params)
    rows = [
        BalanceTransactionInfo(
            id=txn.id,
            amount=txn.amount,
            currency=txn.currency.upper(),
            type=txn.type,
            source=_id_of(txn.source),
            created=_ts(txn.created),
        )
        for txn in page.data
    ]
    return rows, bool(page.has_more)


# --- Webhooks --------------------------------------------------------------------------------


def construct_event(*, payload: bytes, sig_header: str | None) -> VerifiedEvent:
    """Verify a webhook's `Stripe-Signature` (HMAC with STRIPE_WEBHOOK_SECRET, timestamp within
    STRIPE_WEBHOOK_TOLERANCE seconds) and parse it. Raises WebhookSignatureInvalid otherwise."""
    try:
        event = client().construct_event(
            payload,
            sig_header,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureInvalid() from exc
    except ValueError as exc:  # not JSON
        raise WebhookSignatureInvalid("The webhook body is not valid JSON.") from exc
    data = event.to_dict()
    obj = data.get("data", {}).get("object", {}) or {}
    return VerifiedEvent(
        id=event.id,
        type=event.type,
        created=_ts(event.created),
        livemode=bool(event.livemode),
        api_version=event.api_version or "",
        object_id=str(obj.get("id") or ""),
        payload=data,
    )
