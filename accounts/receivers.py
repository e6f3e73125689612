"""allauth.mfa announces MFA changes only through signals. These receivers only write the audit
row; they hold no business logic."""

from allauth.mfa import signals as mfa_signals
from django.dispatch import receiver

from accounts.services import audit_record


def _audit(verb: str, request, user, authenticator) -> None:
    audit_record(
        actor=user, verb=verb, target=user, details={"type": authenticator.type}, request=request
    )


@receiver(mfa_signals.authenticator_added)
def audit_mfa_added(sender, request, user, authenticator, **kwargs):
    _audit("mfa.added", request, user, authenticator)


@receiver(mfa_signals.authenticator_removed)
def audit_mfa_removed(sender, request, user, authenticator, **kwargs):
    _audit("mfa.removed", request, user, authenticator)


@receiver(mfa_signals.authenticator_reset)
def audit_mfa_reset(sender, request, user, authenticator, **kwargs):
    _audit("mfa.reset", request, user, authenticator)
