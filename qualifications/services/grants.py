from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from core.exceptions import InvalidState, ValidationFailed
from qualifications.models import Attempt, Credential, Domain, Qualification
from qualifications.models.grants import MAX_LEVEL, MIN_LEVEL
from qualifications.services.common import check_staff


def check_grant(*, expert: User, level: int, source: str, granted_by: User | None) -> None:
    if expert.kind != User.Kind.EXPERT:
        raise ValidationFailed(
            "Qualifications are granted to experts only.", fields={"expert": ["Not an expert."]}
        )
    if not MIN_LEVEL <= int(level) <= MAX_LEVEL:
        raise ValidationFailed(
            fields={"level": [f"Choose a level from {MIN_LEVEL} to {MAX_LEVEL}."]}
        )
    if source not in Qualification.Source.values:
        raise ValidationFailed(fields={"source": ["Unknown source."]})
    if source == Qualification.Source.STAFF:
        check_staff(granted_by)


@transaction.atomic
def qualification_grant(
    *,
    expert: User,
    domain: Domain,
    level: int,
    source: str,
    granted_by: User | None = None,
    credential: Credential | None = None,
    attempt: Attempt | None = None,
    expires_at: datetime | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Qualification:
    """Grant (expert, domain, level). Earlier grants stay as history; the best active one counts."""
    check_grant(expert=expert, level=level, source=source, granted_by=granted_by)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(fields={"expires_at": ["The expiry must be in the future."]})
    qualification = Qualification.objects.create(
        expert=expert,
        domain=domain,
        level=level,
        source=source,
        credential=credential,
        attempt=attempt,
        granted_by=granted_by,
        expires_at=expires_at,
        note=note,
    )
    audit_record(
        actor=granted_by,
        verb="qualification.granted",
        target=qualification,
        details={
            "expert": expert.email,
            "domain": domain.slug,
            "level": level,
            "source": source,
            "credential": credential.pk if credential else None,
            "attempt": attempt.pk if attempt else None,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
        request=request,
    )
    return qualification


def _revoke(*, qualification: Qualification, actor: User | None, reason: str, request=None) -> None:
    """Precondition: called inside a transaction holding a row lock on the qualification."""
    qualification.revoked_at = timezone.now()
    qualification.revoked_by = actor
    qualification.revoked_reason = reason
    qualification.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    audit_record(
        actor=actor,
        verb="qualification.revoked",
        target=qualification,
        details={
            "expert": qualification.expert.email,
            "domain": qualification.domain.slug,
            "level": qualification.level,
            "reason": reason,
        },
        request=request,
    )


@transaction.atomic
def qualification_revoke(
    *, qualification: Qualification, actor: User, reason: str, request: HttpRequest | None = None
) -> Qualification:
    check_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": ["Give the reason for revoking."]})
    qualification = (
        Qualification.objects.select_for_update(of=("self",))
        .select_related("expert", "domain")
        .get(pk=qualification.pk)
    )
    if qualification.revoked_at is not None:
        raise InvalidState("This qualification is already revoked.", code="already_revoked")
    _revoke(qualification=qualification, actor=actor, reason=reason, request=request)
    return qualification
