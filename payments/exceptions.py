"""Domain errors of payments (core's exception handler maps them to 4xx)."""

from core.exceptions import Conflict, DomainError, InvalidState, ValidationFailed


class UnbalancedEntry(ValidationFailed):
    code = "unbalanced_entry"
    default_message = "A journal entry's postings must sum to zero."


class CurrencyMismatch(ValidationFailed):
    code = "currency_mismatch"
    default_message = "Every posting of a journal entry must be in the entry's currency."


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    default_message = "This idempotency key was already used for a different movement."


class FundingNotAllowed(InvalidState):
    code = "funding_not_allowed"
    default_message = "This project cannot be funded now."


class PaymentGatewayError(DomainError):
    """Stripe refused or failed a request (not a transient network or rate-limit error: those
    propagate so Celery retries them)."""

    status_code = 502
    code = "payment_gateway_error"
    default_message = "The payment provider could not process the request."


class CardDeclined(PaymentGatewayError):
    status_code = 402
    code = "card_declined"
    default_message = "The card was declined."


class GatewayIdempotencyError(PaymentGatewayError):
    status_code = 409
    code = "idempotency_error"
    default_message = "The provider saw this idempotency key with different parameters."


class WebhookSignatureInvalid(DomainError):
    code = "invalid_signature"
    default_message = "The webhook signature is missing, invalid or too old."
