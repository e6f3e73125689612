"""Domain errors. Services raise these; one exception handler maps them to 4xx responses.

Each error has a stable machine-readable `code` and a human message. Subclass per use case
(`ProjectNotLive(InvalidState)`, `LeaseExpired(InvalidState)`) so callers can catch precisely.
"""


class DomainError(Exception):
    status_code = 400
    code = "invalid"
    default_message = "The request could not be processed."

    def __init__(
        self, message: str | None = None, *, fields: dict | None = None, code: str | None = None
    ):
        self.message = message or self.default_message
        self.fields = fields or {}
        if code:
            self.code = code
        super().__init__(self.message)


class ValidationFailed(DomainError):
    status_code = 400
    code = "validation_failed"
    default_message = "Some fields are invalid."


class NotPermitted(DomainError):
    status_code = 403
    code = "permission_denied"
    default_message = "You do not have permission to do this."


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class InvalidState(DomainError):
    status_code = 409
    code = "invalid_state"
    default_message = "This action is not allowed in the current state."


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_message = "This conflicts with existing data."


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests; try again later."
