"""Credential workflow: submit (with evidence) → verify (optionally granting) | reject → expire."""

import os
import re
import unicodedata
from datetime import date, datetime

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from core.exceptions import NotPermitted, ValidationFailed
from qualifications.exceptions import CredentialNotPending, EvidenceRejected
from qualifications.models import Credential, Domain, Qualification
from qualifications.services.common import check_expert, check_staff, email_on_commit
from qualifications.services.grants import _revoke, qualification_grant

ALLOWED_EVIDENCE_TYPES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
SNIFF_BYTES = 8192


def _max_bytes() -> int:
    return getattr(settings, "PLUMBLINE_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)


def sanitize_filename(name: str) -> str:
    """A display-only version of the client's file name: no path, no control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = unicodedata.normalize("NFKC", name)
    name = re.sub(r"[^\w.\- ()]+", "_", name).strip(" .")
    return (name or "evidence")[:120]


def evidence_check(*, upload: UploadedFile) -> str:
    """Refuse oversized files and anything that is not, by content, a PDF, PNG or JPEG.

    The client's file name and declared content type are ignored. Returns the sniffed MIME type.
    """
    limit = _max_bytes()
    if upload.size is None or upload.size > limit:
        raise EvidenceRejected(
            f"The file is too large: the limit is {limit // (1024 * 1024)} MB.",
            code="evidence_too_large",
            fields={"evidence": [f"At most {limit} bytes."]},
        )
    if upload.size == 0:
        raise EvidenceRejected(
            "The file is empty.", code="evidence_empty", fields={"evidence": ["Empty file."]}
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime not in ALLOWED_EVIDENCE_TYPES:
        raise EvidenceRejected(
            "This file is not a PDF, PNG or JPEG (its content was checked, not its name).",
            code="evidence_type_not_allowed",
            fields={"evidence": ["Upload a PDF, PNG or JPEG file."]},
        )
    return mime


def check_credential_dates(issued_on: date | None, expires_on: date | None) -> None:
    if issued_on and issued_on > timezone.localdate():
        raise ValidationFailed(fields={"issued_on": ["The issue date is in the future."]})
    if issued_on and expires_on and expires_on < issued_on:
        raise ValidationFailed(fields={"expires_on": ["The expiry is before the issue date."]})
    if expires_on and expires_on < timezone.localdate():
        raise ValidationFailed(fields={"expires_on": ["This credential has already expired."]})


@transaction.atomic
def credential_submit(
    *,
    expert: User,
    kind: str,
    title: str,
    issuer: str,
    evidence: UploadedFile,
    identifier: str = "",
    issued_on: date | None = None,
    expires_on: date | None = None,
    domain: Domain | None = None,
    request: HttpRequest | None = None,
) -> Credential:
    check_expert(expert)
    if kind not in Credential.Kind.values:
        raise ValidationFailed(fields={"kind": ["Unknown kind."]})
    if not title.strip() or not issuer.strip():
        raise ValidationFailed(fields={"title": ["Required."], "issuer": ["Required."]})
    check_credential_dates(issued_on, expires_on)
    mime = evidence_check(upload=evidence)
    credential = Credential(
        expert=expert,
        kind=kind,
        title=title.strip(),
        issuer=issuer.strip(),
        identifier=identifier.strip(),
        issued_on=issued_on,
        expires_on=expires_on,
        domain=domain,
        evidence_name=sanitize_filename(evidence.name),
        evidence_content_type=mime,
        evidence_size=evidence.size,
    )
    # Streams the upload in chunks to PRIVATE_STORAGE_ROOT under a random name.
    credential.evidence.save("evidence", evidence, save=False)
    try:
        credential.save()
    except Exception:
        credential.evidence.storage.delete(credential.evidence.name)
        raise
    audit_record(
        actor=expert,
        verb="credential.submitted",
        target=credential,
        details={"kind": kind, "content_type": mime, "size": evidence.size},
        request=request,
    )
    return credential


def _lock_pending(credential: Credential) -> Credential:
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("expert", "domain")
        .get(pk=credential.pk)
    )
    if credential.status != Credential.Status.PENDING:
        raise CredentialNotPending()
    return credential


def check_reviewer(*, reviewer: User, credential: Credential) -> None:
    check_staff(reviewer)
    if credential.expert_id == reviewer.pk:
        raise NotPermitted("You cannot review your own credential.")


@transaction.atomic
def credential_verify(
    *,
    credential: Credential,
    reviewer: User,
    grant_domain: Domain | None = None,
    grant_level: int | None = None,
    grant_expires_at: datetime | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Credential:
    """Verify a pending credential; optionally grant (domain, level) sourced from it. A grant
    without its own expiry ends with the credential (the daily expiry task revokes it)."""
    check_reviewer(reviewer=reviewer, credential=credential)
    if (grant_domain is None) != (grant_level is None):
        raise ValidationFailed(
            fields={"grant_level": ["Give both a domain and a level, or neither."]}
        )
    credential = _lock_pending(credential)
    credential.status = Credential.Status.VERIFIED
    credential.reviewed_by = reviewer
    credential.reviewed_at = timezone.now()
    credential.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit_record(
        actor=reviewer,
        verb="credential.verified",
        target=credential,
        details={"expert": credential.expert.email, "note": note},
        request=request,
    )
    granted = None
    if grant_domain is not None:
        granted = qualification_grant(
            expert=credential.expert,
            domain=grant_domain,
            level=grant_level,
            source=Qualification.Source.CREDENTIAL,
            credential=credential,
            granted_by=reviewer,
            expires_at=grant_expires_at,
            note=note,
            request=request,
        )
    body = f"Your credential “{credential.title}” ({credential.issuer}) was verified."
    if granted:
        body += f"\n\nYou now hold a qualification: {grant_domain.name}, level {grant_level}."
    email_on_commit(to=credential.expert, subject="Your credential was verified", body=body)
    return credential


@transaction.atomic
def credential_reject(
    *, credential: Credential, reviewer: User, reason: str, request: HttpRequest | None = None
) -> Credential:
    check_reviewer(reviewer=reviewer, credential=credential)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("A rejection needs a reason.", fields={"reason": ["Give a reason."]})
    credential = _lock_pending(credential)
    credential.status = Credential.Status.REJECTED
    credential.reviewed_by = reviewer
    credential.reviewed_at = timezone.now()
    credential.rejection_reason = reason
    credential.save(update_fields=["status", "reviewed_by", "reviewed_at", "rejection_reason"])
    audit_record(
        actor=reviewer,
        verb="credential.rejected",
        target=credential,
        details={"expert": credential.expert.email, "reason": reason},
        request=request,
    )
    email_on_commit(
        to=credential.expert,
        subject="Your credential was not verified",
        body=f"Your credential “{credential.title}” ({credential.issuer}) was not verified.\n\n"
        f"Reason: {reason}\n\nYou can upload a corrected credential at any time.",
    )
    return credential


@transaction.atomic
def credentials_expire_due(*, today: date | None = None) -> int:
    """Expire verified credentials whose expiry date has passed and revoke the grants they
    sourced. Safe to run twice: already-expired credentials are skipped. Returns the count."""
    today = today or timezone.localdate()
    due = list(
        Credential.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("expert")
        .filter(status=Credential.Status.VERIFIED, expires_on__lt=today)
    )
    now = timezone.now()
    for credential in due:
        credential.status = Credential.Status.EXPIRED
        credential.expired_at = now
        credential.save(update_fields=["status", "expired_at"])
        audit_record(
            actor=None,
            verb="credential.expired",
            target=credential,
            details={
                "expert": credential.expert.email,
                "expires_on": credential.expires_on.isoformat(),
            },
        )
        grants = (
            Qualification.objects.select_for_update(of=("self",))
            .select_related("expert", "domain")
            .filter(credential=credential, revoked_at__isnull=True)
        )
        for qualification in grants:
            _revoke(
                qualification=qualification,
                actor=None,
                reason=f"Credential “{credential.title}” expired on {credential.expires_on}.",
            )
        email_on_commit(
            to=credential.expert,
            subject="Your credential has expired",
            body=f"Your credential “{credential.title}” expired on {credential.expires_on}. "
            "Qualifications based on it were withdrawn; upload a renewed credential "
            "to restore them.",
        )
    return len(due)
