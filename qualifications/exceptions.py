"""Domain errors of the qualifications app (mapped to 4xx by core's exception handler)."""

from core.exceptions import InvalidState, NotPermitted, ValidationFailed


class EvidenceRejected(ValidationFailed):
    code = "evidence_rejected"
    default_message = "This file cannot be accepted as evidence."


class CredentialNotPending(InvalidState):
    code = "credential_not_pending"
    default_message = "Only a pending credential can be reviewed."


class AttemptExpired(InvalidState):
    code = "attempt_expired"
    default_message = (
        "The time limit has passed; late answers are refused. Your attempt was graded."
    )


class AttemptClosed(InvalidState):
    code = "attempt_closed"
    default_message = "This attempt is already graded."


class AttemptNotAllowed(InvalidState):
    code = "attempt_not_allowed"
    default_message = "You cannot start this test now."


class ExpertsOnly(NotPermitted):
    code = "experts_only"
    default_message = "Only experts can do this."


class StaffOnly(NotPermitted):
    code = "staff_only"
    default_message = "Only Plumbline staff can do this."
