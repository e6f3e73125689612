"""Expert profile (own only, completeness), domains API, staff grants and revocations."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from qualifications.models import Qualification
from tests.conftest import api_as
from tests.qualifications.factories import QualificationFactory

pytestmark = pytest.mark.django_db


def test_domains_are_seeded_with_paths(expert):
    rows = api_as(expert).get("/api/v1/domains/").json()
    paths = {row["path"] for row in rows}
    assert {
        "Medicine › Cardiology",
        "Law › Contract law",
        "Software engineering › Python",
        "Mathematics",
        "AI safety and red-teaming",
        "Translation › English → German",
    } <= paths


def test_expert_edits_own_profile_and_completeness_rises(expert, cardiology):
    client = api_as(expert)
    before = client.get("/api/v1/profile/").json()
    assert before["completeness"]["percent"] < 100
    response = client.patch(
        "/api/v1/profile/",
        {
            "headline": "Cardiologist",
            "bio": "Twelve years in a London teaching hospital, echo lead.",
            "country": "gb",
            "timezone": "Europe/London",
            "weekly_availability_hours": 10,
            "domains": [{"domain": cardiology.pk, "years_experience": 12}],
            "languages": [{"language": "en", "proficiency": "native"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["country"] == "GB"
    assert body["domains"][0]["domain"]["path"] == "Medicine › Cardiology"
    assert body["completeness"] == {
        "percent": 100,
        "done": body["completeness"]["done"],
        "missing": [],
    }


def test_profile_rejects_bad_values(expert):
    client = api_as(expert)
    assert (
        client.patch("/api/v1/profile/", {"timezone": "Mars/Olympus"}, format="json").status_code
        == 400
    )
    assert (
        client.patch(
            "/api/v1/profile/",
            {"languages": [{"language": "eng", "proficiency": "native"}]},
            format="json",
        ).status_code
        == 400
    )


def test_company_user_has_no_expert_profile(owner):
    assert api_as(owner).get("/api/v1/profile/").status_code == 403
    assert (
        api_as(owner).patch("/api/v1/profile/", {"headline": "x"}, format="json").status_code == 403
    )


def test_profile_wizard_walks_through_the_steps(expert, client, cardiology):
    client.force_login(expert)
    response = client.get(reverse("qualifications:profile"), follow=True)
    assert b"complete" in response.content
    response = client.post(
        reverse("qualifications:profile_step", args=["basics"]),
        {"headline": "Cardiologist", "bio": "x" * 50, "country": "GB"},
    )
    assert response.url == reverse("qualifications:profile_step", args=["domains"])
    response = client.post(
        reverse("qualifications:profile_step", args=["domains"]),
        {
            "domains-TOTAL_FORMS": "1",
            "domains-INITIAL_FORMS": "0",
            "domains-0-domain": str(cardiology.pk),
            "domains-0-years_experience": "12",
        },
    )
    assert response.url == reverse("qualifications:profile_step", args=["languages"])
    response = client.post(
        reverse("qualifications:profile_step", args=["languages"]),
        {
            "languages-TOTAL_FORMS": "1",
            "languages-INITIAL_FORMS": "0",
            "languages-0-language": "en",
            "languages-0-proficiency": "native",
        },
    )
    assert response.url == reverse("qualifications:profile_step", args=["availability"])
    response = client.post(
        reverse("qualifications:profile_step", args=["availability"]),
        {"timezone": "Europe/London", "weekly_availability_hours": "8"},
        follow=True,
    )
    assert b"100% complete" in response.content


def test_staff_grant_and_revoke_are_audited_and_kept_as_history(
    expert, staff_with_mfa, contract_law
):
    staff = api_as(staff_with_mfa)
    response = staff.post(
        "/api/v1/staff/qualifications/",
        {
            "expert": expert.pk,
            "domain": contract_law.pk,
            "level": 2,
            "note": "Bar admission checked",
        },
    )
    assert response.status_code == 201, response.content
    qid = response.json()["id"]
    no_reason = staff.post(f"/api/v1/staff/qualifications/{qid}/revoke/", {"reason": ""})
    assert no_reason.status_code == 400
    revoked = staff.post(
        f"/api/v1/staff/qualifications/{qid}/revoke/", {"reason": "Licence suspended"}
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    again = staff.post(f"/api/v1/staff/qualifications/{qid}/revoke/", {"reason": "again"})
    assert again.status_code == 409
    q = Qualification.objects.get(pk=qid)
    assert q.revoked_by == staff_with_mfa and q.revoked_reason == "Licence suspended"
    verbs = list(AuditEvent.objects.filter(target_id=str(qid)).values_list("verb", flat=True))
    assert sorted(verbs) == ["qualification.granted", "qualification.revoked"]
    history = api_as(expert).get("/api/v1/qualifications/").json()
    assert [row["state"] for row in history] == ["revoked"]


def test_experts_cannot_grant_or_revoke(expert, contract_law):
    q = QualificationFactory(expert=expert, domain=contract_law)
    client = api_as(expert)
    assert (
        client.post(
            "/api/v1/staff/qualifications/",
            {"expert": expert.pk, "domain": contract_law.pk, "level": 3, "note": "me"},
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/staff/qualifications/{q.pk}/revoke/", {"reason": "x"}).status_code
        == 403
    )


def test_experts_only_see_their_own_qualifications(expert, other_expert, contract_law):
    QualificationFactory(expert=other_expert, domain=contract_law)
    assert api_as(expert).get("/api/v1/qualifications/").json() == []
