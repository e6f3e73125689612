"""Staff pages: queue, review with evidence beside the claim, grant and revoke; auditors read."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from qualifications.models import Credential, Qualification
from tests.factories import ExpertFactory
from tests.qualifications.factories import PNG_BYTES, CredentialFactory, QualificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(db):
    user = ExpertFactory(email="audrey@plumbline.example", kind="staff")
    user.groups.add(Group.objects.get_or_create(name="auditor")[0])
    return user


def test_staff_verify_a_credential_from_the_review_page(expert, staff_with_mfa, client, cardiology):
    credential = CredentialFactory(expert=expert, domain=cardiology)
    client.force_login(staff_with_mfa)
    queue = client.get(reverse("qualifications:staff_queue"))
    assert credential.title.encode() in queue.content
    page = client.get(reverse("qualifications:staff_review", args=[credential.pk]))
    evidence_url = reverse("qualifications:staff_evidence", args=[credential.pk])
    assert f'<iframe class="evidence" src="{evidence_url}"'.encode() in page.content
    response = client.post(
        reverse("qualifications:staff_review", args=[credential.pk]),
        {"decision": "verify", "grant_domain": cardiology.pk, "grant_level": 2},
    )
    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.status == Credential.Status.VERIFIED
    assert Qualification.objects.get(expert=expert).level == 2


def test_image_evidence_is_shown_inline(expert, staff_with_mfa, client):
    from django.core.files.base import ContentFile

    credential = CredentialFactory(
        expert=expert,
        evidence_content_type="image/png",
        evidence=ContentFile(PNG_BYTES, name="x.png"),
    )
    client.force_login(staff_with_mfa)
    page = client.get(reverse("qualifications:staff_review", args=[credential.pk]))
    assert b'<img class="evidence"' in page.content


def test_reject_without_reason_shows_an_error(expert, staff_with_mfa, client):
    credential = CredentialFactory(expert=expert)
    client.force_login(staff_with_mfa)
    response = client.post(
        reverse("qualifications:staff_review", args=[credential.pk]),
        {"decision": "reject", "reason": ""},
    )
    assert response.status_code == 200
    assert b"Give a reason." in response.content
    credential.refresh_from_db()
    assert credential.status == Credential.Status.PENDING


def test_auditor_sees_the_queue_read_only(expert, auditor, client):
    credential = CredentialFactory(expert=expert)
    client.force_login(auditor)
    assert client.get(reverse("qualifications:staff_queue")).status_code == 200
    page = client.get(reverse("qualifications:staff_review", args=[credential.pk]))
    assert page.status_code == 200 and b"Record decision" not in page.content
    post = client.post(
        reverse("qualifications:staff_review", args=[credential.pk]), {"decision": "verify"}
    )
    assert post.status_code == 404
    assert (
        client.get(reverse("qualifications:staff_evidence", args=[credential.pk])).status_code
        == 403
    )


def test_experts_cannot_open_staff_pages(expert, client):
    client.force_login(expert)
    for name in ("staff_queue", "staff_qualifications"):
        assert client.get(reverse(f"qualifications:{name}")).status_code == 403


def test_staff_grant_and_revoke_through_the_pages(expert, staff_with_mfa, client, contract_law):
    client.force_login(staff_with_mfa)
    response = client.post(
        reverse("qualifications:staff_qualifications"),
        {"expert_email": expert.email, "domain": contract_law.pk, "level": 2, "note": "Interview"},
    )
    assert response.status_code == 302
    q = Qualification.objects.get(expert=expert)
    response = client.post(reverse("qualifications:staff_revoke", args=[q.pk]), {"reason": "Error"})
    assert response.status_code == 302
    q.refresh_from_db()
    assert q.revoked_reason == "Error"


def test_expert_pages_render(expert, client, contract_law):
    QualificationFactory(expert=expert, domain=contract_law)
    CredentialFactory(expert=expert)
    client.force_login(expert)
    for name in ("credentials", "tests", "my_qualifications"):
        response = client.get(reverse(f"qualifications:{name}"))
        assert response.status_code == 200, name
    assert (
        "Law › Contract law"
        in client.get(reverse("qualifications:my_qualifications")).content.decode()
    )


def test_expert_uploads_through_the_page_and_sees_the_content_error(expert, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.qualifications.factories import ELF_BYTES

    client.force_login(expert)
    response = client.post(
        reverse("qualifications:credentials"),
        {
            "kind": "degree",
            "title": "MD",
            "issuer": "Uni",
            "evidence": SimpleUploadedFile("md.pdf", ELF_BYTES, "application/pdf"),
        },
    )
    assert response.status_code == 200
    assert b"not a PDF, PNG or JPEG" in response.content
    assert not Credential.objects.exists()


def test_demo_seed_is_idempotent(db):
    from demo.seed import SEEDERS

    for _ in range(2):
        for _, seeder in SEEDERS:
            seeder()
    from qualifications.models import QualificationTest

    assert Credential.objects.filter(
        expert__email="dr.ada@experts.example", status="verified"
    ).exists()
    pending = Credential.objects.get(expert__email="nia.newcomer@experts.example")
    assert pending.status == "pending"
    assert pending.evidence.open("rb").read(5) == b"%PDF-"
    assert QualificationTest.objects.filter(is_published=True).count() == 2
    assert Qualification.objects.active().filter(expert__email="dr.ada@experts.example").exists()
