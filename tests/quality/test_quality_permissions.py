"""Who may see and do what: members read, managers act, outsiders get 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from labeling.models import QualityFlag
from tests.conftest import api_as
from tests.quality.test_quality_snapshot import compute, pairwise_project

pytestmark = pytest.mark.django_db

READS = [
    "api-project-quality",
    "api-project-quality-experts",
    "api-project-quality-gold",
    "api-project-quality-flags",
    "api-project-quality-judges",
    "api-project-quality-judge-report",
]


@pytest.fixture
def project(organization):
    project, _, _ = pairwise_project(organization, n_items=40, n_gold=6, n_experts=6)
    compute(project)
    return project


def test_outsiders_and_experts_get_404(project, other_owner, expert, client):
    for user in (other_owner, expert):
        api = api_as(user)
        for name in READS:
            assert api.get(reverse(name, args=[project.pk])).status_code == 404, name
        client.force_login(user)
        assert client.get(reverse("quality_dashboard", args=[project.pk])).status_code == 404
        assert client.get(reverse("quality_judges", args=[project.pk])).status_code == 404
        assert api.get(reverse("api-staff-quality")).status_code == 404


def test_a_viewer_reads_but_cannot_upload_retire_or_review(project, viewer, client):
    api = api_as(viewer)
    for name in READS:
        assert api.get(reverse(name, args=[project.pk])).status_code == 200, name
    client.force_login(viewer)
    page = client.get(reverse("quality_dashboard", args=[project.pk]))
    assert page.status_code == 200 and b"Recompute now" not in page.content
    upload = SimpleUploadedFile("v.jsonl", b'{"external_id": "item-0000"}')
    response = api.post(
        reverse("api-project-quality-judges", args=[project.pk]),
        {"file": upload},
        format="multipart",
    )
    assert response.status_code == 403
    gold = project.items.filter(is_gold=True).first()
    response = api.post(
        reverse("api-project-quality-gold-retire", args=[project.pk, gold.pk]),
        {"retire": True},
        format="json",
    )
    assert response.status_code == 403
    flag = QualityFlag.objects.filter(project=project).first()
    response = api.post(
        reverse("api-project-quality-flag-review", args=[project.pk, flag.pk]),
        {"status": "dismissed"},
        format="json",
    )
    assert response.status_code == 403
    assert api.post(reverse("api-project-quality-recompute", args=[project.pk])).status_code == 403


def test_staff_and_auditors_see_the_overview_members_do_not(project, staff, owner):
    from django.contrib.auth.models import Group

    from tests.factories import CompanyUserFactory

    auditor = CompanyUserFactory()
    auditor.groups.add(Group.objects.get_or_create(name="auditor")[0])
    for user in (staff, auditor):
        response = api_as(user).get(reverse("api-staff-quality"))
        assert response.status_code == 200
        assert response.json()[0]["project_id"] == project.pk
        assert response.json()[0]["open_flags"] == 2
    assert api_as(auditor).get(reverse("api-project-quality", args=[project.pk])).status_code == 200
    assert api_as(owner).get(reverse("api-staff-quality")).status_code == 404
