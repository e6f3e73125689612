"""The company's step-by-step editor and project pages."""

import pytest

from marketplace.models import Project
from tests.marketplace.factories import domain, make_project

pytestmark = pytest.mark.django_db


def walk_wizard(client, *, pay="6.00", minutes="10", task_type="pairwise", config=None):
    response = client.get("/company/projects/new/")
    assert response.status_code == 302
    basics_url = response["Location"]
    token_url = basics_url.rsplit("/", 2)[0]
    response = client.post(
        basics_url,
        {
            "organization": client.org_id,
            "title": "Which answer is safer?",
            "summary": "A/B",
            "task_type": task_type,
            "instructions": "Pick the **safer** answer.",
            "content_warning": "",
            "visibility": "open",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        f"{token_url}/config/",
        config
        or {
            "allow_tie": "on",
            "strength": "on",
            "criteria": "safety: Safety",
            "rationale": "optional",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    terms = {
        "currency": "USD",
        "pay_per_task": pay,
        "estimated_minutes": minutes,
        "item_count": "200",
        "overlap": "3",
        "gold_ratio_percent": "5",
        "review_window_days": "7",
    }
    return token_url, client.post(f"{token_url}/terms/", terms)


@pytest.fixture
def company_client(client, organization, manager):
    client.force_login(manager)
    client.org_id = organization.pk
    return client


def test_company_posts_a_pairwise_project_step_by_step(company_client, organization):
    token_url, response = walk_wizard(company_client)
    assert response.status_code == 302
    response = company_client.post(
        f"{token_url}/requirements/",
        {
            "domain_0": domain("cardiology").pk,
            "level_0": "2",
            "languages": "en",
            "countries_allow": "",
            "countries_deny": "",
        },
    )
    assert response.status_code == 302
    review = company_client.get(f"{token_url}/review/").content.decode()
    assert "36.00 USD" in review  # effective hourly rate
    assert "4,680.00 USD" in review  # 600 tasks × 6.00 = 3,600 + 10% fee + 20% reserve
    response = company_client.post(f"{token_url}/review/")
    project = Project.objects.get()
    assert response["Location"] == f"/company/projects/{project.pk}/"
    assert project.organization == organization
    assert project.task_config["criteria"] == [{"key": "safety", "label": "Safety"}]
    assert project.domain_requirements.get().min_level == 2
    detail = company_client.get(response["Location"]).content.decode()
    assert "Draft" in detail and "4,680.00 USD" in detail


def test_terms_step_refuses_pay_below_the_floor_and_says_why(company_client):
    token_url, response = walk_wizard(company_client, pay="2.00", minutes="10")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Below the fair-pay floor" in page
    assert "12.00 USD" in page and "15.00 USD" in page
    assert not Project.objects.exists()


def test_config_step_reports_invalid_configuration(company_client):
    token_url, _ = walk_wizard(company_client)
    response = company_client.post(
        f"{token_url}/config/",
        {
            "allow_tie": "on",
            "criteria": "Bad Key!: x",
            "rationale": "optional",
            "example_response": '{"choice": "c"}',
        },
    )
    assert response.status_code == 200
    assert "task_config/criteria/0/key" in response.content.decode()


def test_edit_wizard_changes_a_draft(company_client, organization):
    project = make_project(organization)
    response = company_client.get(f"/company/projects/{project.pk}/edit/")
    basics_url = response["Location"]
    token_url = basics_url.rsplit("/", 2)[0]
    company_client.post(
        basics_url,
        {
            "title": "Renamed project",
            "task_type": "pairwise",
            "visibility": "open",
            "organization": organization.pk,
        },
    )
    company_client.post(f"{token_url}/review/")
    project.refresh_from_db()
    assert project.title == "Renamed project"


def test_viewer_sees_projects_but_cannot_edit(client, organization, viewer):
    project = make_project(organization)
    client.force_login(viewer)
    assert client.get("/company/projects/").status_code == 200
    page = client.get(f"/company/projects/{project.pk}/").content.decode()
    assert "Launch" not in page and "/edit/" not in page
    assert client.get(f"/company/projects/{project.pk}/edit/").status_code == 403
    assert (
        client.post(
            f"/company/projects/{project.pk}/transition/", {"status": "cancelled"}
        ).status_code
        == 302
    )
    project.refresh_from_db()
    assert project.status == "draft"


def test_other_company_gets_404_on_project_pages(client, organization, other_owner):
    project = make_project(organization)
    client.force_login(other_owner)
    for suffix in ["", "preview/", "experts/", "applications/", "edit/"]:
        assert client.get(f"/company/projects/{project.pk}/{suffix}").status_code == 404, suffix


@pytest.mark.parametrize(
    "task_type", ["pairwise", "ranking", "rubric", "classification", "free_text", "trajectory"]
)
def test_preview_shows_an_example_item_form_for_each_task_type(
    client, organization, owner, task_type
):
    project = make_project(organization, task_type=task_type)
    client.force_login(owner)
    response = client.get(f"/company/projects/{project.pk}/preview/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "An item looks like this" in page
    assert "data-sample-item" in page


def test_project_detail_offers_lifecycle_actions(client, organization, owner):
    project = make_project(organization, status="funded")
    client.force_login(owner)
    page = client.get(f"/company/projects/{project.pk}/").content.decode()
    assert "Launch / resume" in page
    client.post(f"/company/projects/{project.pk}/transition/", {"status": "live"})
    project.refresh_from_db()
    assert project.status == "live"
