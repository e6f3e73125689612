"""Companies post projects: the fair-pay floor, the budget, the lifecycle, who may do what."""

import pytest
from django.test import override_settings

from accounts.models import AuditEvent
from marketplace import services
from marketplace.exceptions import IllegalTransition, ProjectNotEditable
from marketplace.models import DomainPayFloor, Project, ProjectStatus
from tests.conftest import api_as
from tests.marketplace.factories import domain, make_project, project_data

pytestmark = pytest.mark.django_db


def post_project(user, organization, **overrides):
    return api_as(user).post(
        "/api/v1/projects/",
        {"organization_id": organization.pk, **project_data(**overrides)},
        format="json",
    )


# --- posting and the fair-pay floor ---------------------------------------------------------


def test_manager_posts_a_project_as_a_draft_with_its_schema_and_hourly_rate(organization, manager):
    response = post_project(manager, organization)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["effective_hourly_minor"] == 3000
    assert body["organization"]["slug"] == "acme-ai"
    project = Project.objects.get(pk=body["id"])
    assert project.response_schema["properties"]["choice"]["enum"] == ["a", "b", "tie"]
    assert AuditEvent.objects.filter(verb="project.created", target_id=str(project.pk)).exists()


def test_posting_below_the_floor_is_refused_with_both_rates_in_the_message(organization, owner):
    # 2.00 per task for 10 minutes = 12.00/h, below the 15.00/h platform floor.
    response = post_project(owner, organization, pay_per_task_minor=200, estimated_minutes=10)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "below_pay_floor"
    assert "12.00 USD" in error["message"]
    assert "15.00 USD" in error["message"]
    assert "pay_per_task_minor" in error["fields"]
    assert not Project.objects.exists()


def test_pay_exactly_at_the_floor_is_accepted(organization, owner):
    response = post_project(owner, organization, pay_per_task_minor=250, estimated_minutes=10)
    assert response.status_code == 201
    assert response.json()["effective_hourly_minor"] == 1500


@override_settings(PLUMBLINE_MIN_HOURLY_RATE_MINOR=2000)
def test_the_platform_floor_is_a_setting(organization, owner):
    response = post_project(owner, organization, pay_per_task_minor=300, estimated_minutes=10)
    assert response.status_code == 400
    assert "18.00 USD" in response.json()["error"]["message"]
    assert "20.00 USD" in response.json()["error"]["message"]


def test_a_domain_floor_set_by_staff_applies_to_its_subdomains(organization, owner, staff):
    services.domain_floor_set(domain=domain("medicine"), actor=staff, min_hourly_rate_minor=6000)
    cardiology = [{"domain_id": domain("cardiology").pk, "min_level": 2}]
    refused = post_project(owner, organization, domains=cardiology)  # 30.00/h < 60.00/h
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "30.00 USD" in message and "60.00 USD" in message
    accepted = post_project(owner, organization, domains=cardiology, pay_per_task_minor=1000)
    assert accepted.status_code == 201
    # Projects outside medicine keep the platform floor.
    assert post_project(owner, organization).status_code == 201


def test_a_domain_floor_cannot_be_below_the_platform_floor(staff):
    with pytest.raises(Exception) as exc:
        services.domain_floor_set(domain=domain("law"), actor=staff, min_hourly_rate_minor=1000)
    assert "min_hourly_rate_minor" in exc.value.fields


def test_staff_manage_domain_floors_over_the_api(staff, expert):
    law = domain("law")
    response = api_as(staff).post(
        "/api/v1/staff/domain-floors/", {"domain_id": law.pk, "min_hourly_rate_minor": 5000}
    )
    assert response.status_code == 201
    assert DomainPayFloor.objects.get(domain=law).min_hourly_rate_minor == 5000
    assert api_as(expert).get("/api/v1/staff/domain-floors/").status_code == 403
    assert api_as(staff).delete(f"/api/v1/staff/domain-floors/{law.pk}/").status_code == 204
    assert not DomainPayFloor.objects.exists()


def test_invalid_input_lists_every_field(organization, owner):
    response = post_project(
        owner, organization, review_window_days=30, overlap=0, task_config={"allow_tie": "maybe"}
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "review_window_days" in fields
    assert "overlap" in fields


def test_task_config_errors_are_field_level(organization, owner):
    response = post_project(
        owner,
        organization,
        task_type="rubric",
        task_config={
            "criteria": [{"key": "a", "label": "A", "scale_min": 3, "scale_max": 1, "anchors": {}}]
        },
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "task_config/criteria/0/scale_max": ["Must be greater than scale_min."]
    }


def test_examples_are_checked_against_the_response_schema(organization, owner):
    response = post_project(
        owner,
        organization,
        examples=[
            {"title": "Good", "input": "Q", "response": {"choice": "c"}, "explanation": "..."}
        ],
    )
    assert response.status_code == 400
    assert "examples/0/response/choice" in response.json()["error"]["fields"]


# --- budget --------------------------------------------------------------------------------------


def test_budget_is_tasks_times_pay_plus_fee_plus_fair_pay_reserve(organization, owner):
    project = make_project(
        organization, item_count=100, overlap=3, pay_per_task_minor=500, gold_ratio_bps=1000
    )
    body = api_as(owner).get(f"/api/v1/projects/{project.pk}/budget/").json()
    assert body["tasks"] == 300  # gold items are paid like any other
    assert body["task_pay_minor"] == 150_000
    assert body["platform_fee_minor"] == 15_000  # 10%
    assert body["fair_pay_reserve_minor"] == 30_000  # 20%
    assert body["total_minor"] == 195_000


# --- lifecycle -----------------------------------------------------------------------------------


def test_full_lifecycle_is_audited(organization, owner, staff):
    project = make_project(organization)
    api = api_as(owner)
    url = f"/api/v1/projects/{project.pk}/transition/"
    assert api.post(url, {"status": "live"}).status_code == 409  # not funded yet
    funded = api_as(staff).post(
        f"/api/v1/staff/projects/{project.pk}/mark-funded/",
        {"amount_minor": 195000, "reference": "manual"},
    )
    assert funded.json()["status"] == "funded"
    for status in ["live", "paused", "live", "completed"]:
        response = api.post(url, {"status": status})
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == status
    verbs = list(
        AuditEvent.objects.filter(target_id=str(project.pk), verb__startswith="project.")
        .order_by("id")
        .values_list("verb", "details")
    )
    assert [v for v, _ in verbs] == ["project.created", "project.funded"] + [
        "project.transitioned"
    ] * 4
    assert verbs[-1][1]["from"] == "live" and verbs[-1][1]["to"] == "completed"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("draft", "live"),
        ("draft", "paused"),
        ("draft", "completed"),
        ("funded", "paused"),
        ("funded", "completed"),
        ("completed", "live"),
        ("cancelled", "live"),
        ("paused", "paused"),
    ],
)
def test_illegal_transitions_are_refused(organization, owner, start, target):
    project = make_project(organization, status=start)
    response = api_as(owner).post(f"/api/v1/projects/{project.pk}/transition/", {"status": target})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"
    project.refresh_from_db()
    assert project.status == start


def test_companies_cannot_mark_their_own_project_funded(organization, owner):
    project = make_project(organization)
    with pytest.raises(IllegalTransition):
        services.project_transition(project=project, actor=owner, to_status="funded")
    response = api_as(owner).post(f"/api/v1/staff/projects/{project.pk}/mark-funded/", {})
    assert response.status_code == 403


def test_payments_marks_a_project_funded_without_an_actor_and_idempotently(organization):
    project = make_project(organization)
    services.project_mark_funded(project=project, actor=None, amount_minor=1, reference="pi_1")
    services.project_mark_funded(project=project, actor=None, amount_minor=1, reference="pi_1")
    project.refresh_from_db()
    assert project.status == ProjectStatus.FUNDED
    assert AuditEvent.objects.filter(verb="project.funded").count() == 1


def test_a_live_project_must_not_be_past_its_deadline(organization, owner):
    from datetime import timedelta

    from django.utils import timezone

    project = make_project(organization, status="funded")
    Project.objects.filter(pk=project.pk).update(deadline=timezone.now() - timedelta(days=1))
    with pytest.raises(IllegalTransition):
        services.project_transition(project=project, actor=owner, to_status="live")


# --- who may do what ---------------------------------------------------------------------------


def test_viewer_cannot_edit_a_project(organization, viewer):
    project = make_project(organization)
    api = api_as(viewer)
    assert api.get(f"/api/v1/projects/{project.pk}/").status_code == 200
    response = api.patch(f"/api/v1/projects/{project.pk}/", {"title": "Hijacked title"})
    assert response.status_code == 403
    assert (
        api.post(f"/api/v1/projects/{project.pk}/transition/", {"status": "cancelled"}).status_code
        == 403
    )
    project.refresh_from_db()
    assert project.title != "Hijacked title"


def test_reviewer_cannot_post_a_project(organization, reviewer):
    assert post_project(reviewer, organization).status_code == 403


def test_one_organization_cannot_read_another_organizations_draft(organization, other_owner):
    project = make_project(organization)
    api = api_as(other_owner)
    for suffix in [
        "",
        "budget/",
        "response-schema/",
        "requirements/",
        "invitations/",
        "applications/",
        "eligible-experts/",
    ]:
        assert api.get(f"/api/v1/projects/{project.pk}/{suffix}").status_code == 404, suffix
    assert api.patch(f"/api/v1/projects/{project.pk}/", {"title": "x"}).status_code == 404
    assert project.pk not in [p["id"] for p in api.get("/api/v1/projects/").json()["results"]]


def test_cannot_post_into_an_organization_you_do_not_belong_to(other_organization, owner):
    assert post_project(owner, other_organization).status_code == 404


def test_project_list_is_scoped_to_my_organizations(organization, other_organization, owner):
    mine = make_project(organization)
    make_project(other_organization)
    results = api_as(owner).get("/api/v1/projects/").json()["results"]
    assert [p["id"] for p in results] == [mine.pk]


# --- editing -------------------------------------------------------------------------------------


def test_editing_a_draft_regenerates_the_schema_and_rechecks_the_floor(organization, owner):
    project = make_project(organization)
    api = api_as(owner)
    response = api.patch(
        f"/api/v1/projects/{project.pk}/", {"task_config": {"allow_tie": False}}, format="json"
    )
    assert response.status_code == 200
    assert api.get(f"/api/v1/projects/{project.pk}/response-schema/").json()["properties"][
        "choice"
    ]["enum"] == ["a", "b"]
    too_low = api.patch(f"/api/v1/projects/{project.pk}/", {"pay_per_task_minor": 100})
    assert too_low.status_code == 400
    assert too_low.json()["error"]["code"] == "below_pay_floor"


def test_after_funding_only_wording_and_schedule_can_change(organization, owner):
    project = make_project(organization, status="live")
    services.project_update(project=project, actor=owner, data={"title": "Clearer title"})
    with pytest.raises(ProjectNotEditable) as exc:
        services.project_update(project=project, actor=owner, data={"pay_per_task_minor": 900})
    assert "pay_per_task_minor" in exc.value.fields


def test_requirements_can_be_read_and_replaced(organization, owner):
    project = make_project(organization)
    api = api_as(owner)
    body = {
        "domains": [{"domain_id": domain("law").pk, "min_level": 2}],
        "languages": ["EN"],
        "countries_deny": ["fr"],
    }
    assert (
        api.put(f"/api/v1/projects/{project.pk}/requirements/", body, format="json").status_code
        == 200
    )
    assert api.get(f"/api/v1/projects/{project.pk}/requirements/").json() == {
        "domains": [{"domain_id": domain("law").pk, "min_level": 2}],
        "languages": ["en"],
        "countries_allow": [],
        "countries_deny": ["FR"],
    }


def test_the_response_validation_service_gives_json_pointer_fields(organization):
    project = make_project(organization, task_type="ranking", task_config={"k": 3})
    services.project_validate_response(project, {"ranks": [3, 1, 2]})
    with pytest.raises(Exception) as exc:
        services.project_validate_response(project, {"ranks": [3, 1, 1]})
    assert exc.value.fields == {"/ranks": ["Entries must not repeat."]}


def test_validate_response_endpoint(organization, owner):
    project = make_project(organization)
    api = api_as(owner)
    url = f"/api/v1/projects/{project.pk}/validate-response/"
    assert api.post(url, {"choice": "a", "strength": 2}, format="json").json() == {"valid": True}
    bad = api.post(url, {"choice": "z", "strength": 2}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["/choice"]


# --- instructions are rendered safely ----------------------------------------------------------


def test_script_in_instructions_never_reaches_the_api_or_a_page(client, organization, owner):
    project = make_project(
        organization,
        instructions="Hello <script>alert('x')</script> **bold** [x](javascript:alert(1)) "
        "<img src=x onerror=alert(1)>",
    )
    body = api_as(owner).get(f"/api/v1/projects/{project.pk}/").json()
    assert "<script" not in body["instructions_html"]
    assert "<strong>bold</strong>" in body["instructions_html"]
    assert "javascript:" not in body["instructions_html"]
    assert "<img" not in body["instructions_html"]  # raw HTML is shown as text, never as markup
    client.force_login(owner)
    page = client.get(f"/company/projects/{project.pk}/preview/").content.decode()
    assert "<script>alert" not in page
    assert "<strong>bold</strong>" in page
