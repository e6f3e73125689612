"""Credential upload, evidence access and the review workflow."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from qualifications import services
from qualifications.models import Credential, Qualification
from qualifications.tasks import credentials_expire
from tests.conftest import api_as
from tests.qualifications.factories import (
    ELF_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    CredentialFactory,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

CREDENTIALS_URL = "/api/v1/credentials/"


def upload(
    client, *, content=PDF_BYTES, name="licence.pdf", content_type="application/pdf", **extra
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "kind": "licence",
        "title": "Medical licence",
        "issuer": "GMC",
        "identifier": "GMC 123",
        "evidence": SimpleUploadedFile(name, content, content_type),
    }
    data.update(extra)
    return client.post(CREDENTIALS_URL, data, format="multipart")


def test_expert_uploads_a_pdf_credential_stored_privately_under_a_random_name(
    expert, _private_storage, settings
):
    response = upload(api_as(expert), name="../../etc/My Licence<script>.pdf")
    assert response.status_code == 201, response.content
    credential = Credential.objects.get(pk=response.json()["id"])
    assert credential.status == Credential.Status.PENDING
    assert credential.evidence_content_type == "application/pdf"
    assert "/" not in credential.evidence_name and "<" not in credential.evidence_name
    stored = Path(credential.evidence.path)
    assert stored.is_relative_to(Path(_private_storage))
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert "Licence" not in stored.name and stored.read_bytes() == PDF_BYTES
    assert AuditEvent.objects.filter(
        verb="credential.submitted", target_id=str(credential.pk)
    ).exists()


def test_expert_can_upload_a_png(expert):
    response = upload(api_as(expert), content=PNG_BYTES, name="scan.png", content_type="image/png")
    assert response.status_code == 201
    assert response.json()["evidence_content_type"] == "image/png"


def test_upload_with_pdf_name_but_executable_content_is_refused(expert):
    response = upload(api_as(expert), content=ELF_BYTES, name="licence.pdf")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "evidence_type_not_allowed"
    assert "PDF, PNG or JPEG" in error["message"]
    assert not Credential.objects.exists()


def test_upload_with_pdf_name_but_text_content_is_refused(expert):
    response = upload(api_as(expert), content=b"#!/bin/sh\nrm -rf /\n" * 10, name="cv.pdf")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "evidence_type_not_allowed"


def test_oversized_upload_is_refused(expert, settings):
    settings.PLUMBLINE_EVIDENCE_MAX_BYTES = 1024
    response = upload(api_as(expert), content=PDF_BYTES + b"0" * 2048)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "evidence_too_large"
    assert not Credential.objects.exists()


def test_default_evidence_limit_is_ten_megabytes(settings):
    from django.conf import settings as dj

    assert dj.PLUMBLINE_EVIDENCE_MAX_BYTES == 10 * 1024 * 1024


def test_company_user_cannot_upload_credentials(owner):
    response = upload(api_as(owner))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "experts_only"


def test_owner_and_staff_can_download_evidence(expert, staff_with_mfa):
    credential = CredentialFactory(expert=expert)
    url = f"/api/v1/credentials/{credential.pk}/evidence/"
    for user in (expert, staff_with_mfa):
        response = api_as(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert "no-store" in response["Cache-Control"]


def test_other_expert_and_company_user_get_404_for_someones_evidence(
    expert, other_expert, owner, client
):
    credential = CredentialFactory(expert=expert)
    api_url = f"/api/v1/credentials/{credential.pk}/evidence/"
    page_url = reverse("qualifications:credential_evidence", args=[credential.pk])
    for user in (other_expert, owner):
        assert api_as(user).get(api_url).status_code == 404
        client.force_login(user)
        assert client.get(page_url).status_code == 404
    client.logout()
    assert client.get(page_url).status_code == 404


def test_evidence_page_is_served_to_owner(expert, client):
    credential = CredentialFactory(expert=expert)
    client.force_login(expert)
    response = client.get(reverse("qualifications:credential_evidence", args=[credential.pk]))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"


def test_staff_evidence_embed_may_be_framed_by_our_own_pages(expert, staff_with_mfa, client):
    credential = CredentialFactory(expert=expert)
    client.force_login(staff_with_mfa)
    response = client.get(reverse("qualifications:staff_evidence", args=[credential.pk]))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    client.force_login(expert)  # the owner is not staff: the embed URL is staff-only
    assert (
        client.get(reverse("qualifications:staff_evidence", args=[credential.pk])).status_code
        == 403
    )


def test_staff_verifies_credential_with_grant_audited_and_emailed(
    expert, staff_with_mfa, cardiology, django_capture_on_commit_callbacks
):
    credential = CredentialFactory(expert=expert)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(staff_with_mfa).post(
            f"/api/v1/staff/credentials/{credential.pk}/decision/",
            {"decision": "verify", "grant_domain": cardiology.pk, "grant_level": 2},
        )
    assert response.status_code == 200, response.content
    credential.refresh_from_db()
    assert credential.status == Credential.Status.VERIFIED
    assert credential.reviewed_by == staff_with_mfa
    grant = Qualification.objects.get(expert=expert)
    assert (grant.domain, grant.level, grant.source, grant.credential) == (
        cardiology,
        2,
        Qualification.Source.CREDENTIAL,
        credential,
    )
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"credential.verified", "qualification.granted"} <= verbs
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [expert.email]
    assert "verified" in mail.outbox[0].subject


def test_rejection_requires_a_reason(expert, staff_with_mfa):
    credential = CredentialFactory(expert=expert)
    response = api_as(staff_with_mfa).post(
        f"/api/v1/staff/credentials/{credential.pk}/decision/",
        {"decision": "reject", "reason": " "},
    )
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    credential.refresh_from_db()
    assert credential.status == Credential.Status.PENDING


def test_staff_rejects_with_reason_expert_is_emailed(
    expert, staff_with_mfa, django_capture_on_commit_callbacks
):
    credential = CredentialFactory(expert=expert)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(staff_with_mfa).post(
            f"/api/v1/staff/credentials/{credential.pk}/decision/",
            {"decision": "reject", "reason": "The scan is unreadable."},
        )
    assert response.status_code == 200
    credential.refresh_from_db()
    assert credential.status == Credential.Status.REJECTED
    assert credential.rejection_reason == "The scan is unreadable."
    assert AuditEvent.objects.filter(verb="credential.rejected").exists()
    assert "The scan is unreadable." in mail.outbox[0].body


def test_a_decided_credential_cannot_be_decided_again(expert, staff_with_mfa):
    credential = CredentialFactory(
        expert=expert, status=Credential.Status.REJECTED, rejection_reason="no"
    )
    response = api_as(staff_with_mfa).post(
        f"/api/v1/staff/credentials/{credential.pk}/decision/", {"decision": "verify"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "credential_not_pending"


def test_non_staff_cannot_decide(expert, other_expert):
    credential = CredentialFactory(expert=expert)
    response = api_as(other_expert).post(
        f"/api/v1/staff/credentials/{credential.pk}/decision/", {"decision": "verify"}
    )
    assert response.status_code == 403


def test_staff_cannot_review_their_own_credential(staff_with_mfa):
    credential = CredentialFactory(expert=staff_with_mfa)
    with pytest.raises(Exception, match="own credential"):
        services.credential_verify(credential=credential, reviewer=staff_with_mfa)


def test_review_queue_is_oldest_first_and_readable_by_auditors(
    expert, other_expert, staff_with_mfa
):
    from django.contrib.auth.models import Group

    newer = CredentialFactory(expert=expert)
    older = CredentialFactory(expert=other_expert, submitted_at=timezone.now() - timedelta(days=3))
    CredentialFactory(expert=expert, status=Credential.Status.VERIFIED)
    response = api_as(staff_with_mfa).get("/api/v1/staff/credentials/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [older.pk, newer.pk]

    auditor = other_expert
    auditor.groups.add(Group.objects.get_or_create(name="auditor")[0])
    assert api_as(auditor).get("/api/v1/staff/credentials/").status_code == 200
    decision = api_as(auditor).post(
        f"/api/v1/staff/credentials/{older.pk}/decision/", {"decision": "verify"}
    )
    assert decision.status_code == 403


def test_expired_credentials_lose_their_grant_through_the_beat_task(
    expert, staff_with_mfa, cardiology, django_capture_on_commit_callbacks
):
    credential = CredentialFactory(
        expert=expert, expires_on=timezone.localdate() + timedelta(days=30)
    )
    services.credential_verify(
        credential=credential, reviewer=staff_with_mfa, grant_domain=cardiology, grant_level=3
    )
    other = CredentialFactory(
        expert=expert, title="Still valid", expires_on=timezone.localdate() + timedelta(days=300)
    )
    services.credential_verify(
        credential=other, reviewer=staff_with_mfa, grant_domain=cardiology, grant_level=1
    )
    Credential.objects.filter(pk=credential.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1), issued_on=None
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert credentials_expire.apply().get() == 1
    credential.refresh_from_db()
    assert credential.status == Credential.Status.EXPIRED
    grant = Qualification.objects.get(credential=credential)
    assert grant.revoked_at is not None and "expired" in grant.revoked_reason
    assert Qualification.objects.get(credential=other).revoked_at is None
    assert AuditEvent.objects.filter(verb="credential.expired").count() == 1
    assert AuditEvent.objects.filter(verb="qualification.revoked").count() == 1
    assert any("expired" in m.subject for m in mail.outbox)
    assert credentials_expire.apply().get() == 0  # idempotent


def test_pending_credentials_are_not_expired_by_the_task(expert):
    credential = CredentialFactory(expert=expert)
    Credential.objects.filter(pk=credential.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    assert services.credentials_expire_due() == 0


def test_service_rejects_expiry_before_issue(expert):
    from core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.credential_submit(
            expert=expert,
            kind="degree",
            title="BSc",
            issuer="Uni",
            evidence=pdf_upload(),
            issued_on=timezone.localdate() - timedelta(days=10),
            expires_on=timezone.localdate() - timedelta(days=20),
        )
