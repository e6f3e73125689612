"""Invite-only projects, invitations, applications and content-warning opt-in."""

import pytest

from core.exceptions import InvalidState
from marketplace import services
from marketplace.exceptions import NotEligible
from marketplace.models import ProjectInvitation
from tests.conftest import api_as
from tests.factories import ExpertFactory
from tests.marketplace.factories import domain, make_project, qualify

pytestmark = pytest.mark.django_db


def needs(slug, level):
    return [{"domain_id": domain(slug).pk, "min_level": level}]


@pytest.fixture
def invite_only(organization, owner):
    return make_project(
        organization,
        status="live",
        visibility="invite_only",
        domains=needs("medicine", 2),
        title="Cardiac triage panel",
    )


def test_company_searches_only_eligible_experts(invite_only, owner, cardiologist, lawyer):
    junior = ExpertFactory()
    qualify(junior, "cardiology", 1)
    results = api_as(owner).get(f"/api/v1/projects/{invite_only.pk}/eligible-experts/").json()
    assert [r["id"] for r in results["results"]] == [cardiologist.pk]
    assert results["results"][0]["already_invited"] is False


def test_expert_search_filters_by_language_and_availability(invite_only, owner, cardiologist):
    api = api_as(owner)
    url = f"/api/v1/projects/{invite_only.pk}/eligible-experts/"
    assert api.get(url, {"language": "de"}).json()["count"] == 0
    assert api.get(url, {"language": "en"}).json()["count"] == 1
    assert api.get(url, {"min_weekly_hours": 10}).json()["count"] == 0
    cardiologist.expert_profile.weekly_availability_hours = 20
    cardiologist.expert_profile.save()
    assert api.get(url, {"min_weekly_hours": 10}).json()["count"] == 1
    assert api.get(url, {"domain": domain("cardiology").pk, "min_level": 3}).json()["count"] == 0


def test_invite_accept_admits_the_expert(invite_only, owner, cardiologist):
    [row] = api_as(cardiologist).get("/api/v1/jobs/").json()["results"]
    assert row["admission"] == "can_apply" and row["can_work"] is False
    response = api_as(owner).post(
        f"/api/v1/projects/{invite_only.pk}/invitations/",
        {"expert_id": cardiologist.pk, "message": "Join us"},
    )
    assert response.status_code == 201
    expert_api = api_as(cardiologist)
    [invitation] = expert_api.get("/api/v1/me/project-invitations/").json()["results"]
    assert invitation["message"] == "Join us"
    assert expert_api.get("/api/v1/jobs/").json()["results"][0]["admission"] == "invited"
    answered = expert_api.post(
        f"/api/v1/me/project-invitations/{invitation['id']}/respond/", {"accept": True}
    )
    assert answered.json()["status"] == "accepted"
    row = expert_api.get("/api/v1/jobs/").json()["results"][0]
    assert row["admission"] == "admitted" and row["can_work"] is True
    services.check_expert_can_work(project=invite_only, expert=cardiologist)


def test_expert_declines_an_invitation(invite_only, owner, cardiologist):
    invitation = services.invitation_send(project=invite_only, actor=owner, expert=cardiologist)
    services.invitation_respond(invitation=invitation, expert=cardiologist, accept=False)
    invitation.refresh_from_db()
    assert invitation.status == ProjectInvitation.Status.DECLINED
    with pytest.raises(InvalidState):
        services.invitation_respond(invitation=invitation, expert=cardiologist, accept=True)


def test_an_ineligible_expert_cannot_be_invited(invite_only, owner, lawyer):
    with pytest.raises(NotEligible) as exc:
        services.invitation_send(project=invite_only, actor=owner, expert=lawyer)
    assert "needs Medicine level 2" in exc.value.message


def test_another_expert_cannot_answer_my_invitation(invite_only, owner, cardiologist, lawyer):
    invitation = services.invitation_send(project=invite_only, actor=owner, expert=cardiologist)
    response = api_as(lawyer).post(
        f"/api/v1/me/project-invitations/{invitation.pk}/respond/", {"accept": True}
    )
    assert response.status_code == 404


def test_viewer_cannot_invite(invite_only, viewer, cardiologist):
    response = api_as(viewer).post(
        f"/api/v1/projects/{invite_only.pk}/invitations/", {"expert_id": cardiologist.pk}
    )
    assert response.status_code == 403


def test_expert_applies_with_a_note_and_the_company_approves(invite_only, owner, cardiologist):
    expert_api = api_as(cardiologist)
    response = expert_api.post(
        f"/api/v1/jobs/{invite_only.pk}/apply/", {"note": "Ten years of echo reading."}
    )
    assert response.status_code == 201
    assert expert_api.post(f"/api/v1/jobs/{invite_only.pk}/apply/", {}).status_code == 409
    [application] = (
        api_as(owner).get(f"/api/v1/projects/{invite_only.pk}/applications/").json()["results"]
    )
    assert application["note"] == "Ten years of echo reading."
    decided = api_as(owner).post(
        f"/api/v1/projects/{invite_only.pk}/applications/{application['id']}/decide/",
        {"approve": True, "note": "Welcome"},
    )
    assert decided.json()["status"] == "approved"
    assert expert_api.get("/api/v1/jobs/").json()["results"][0]["admission"] == "admitted"


def test_open_projects_need_no_application(organization, cardiologist):
    project = make_project(organization, status="live")
    response = api_as(cardiologist).post(f"/api/v1/jobs/{project.pk}/apply/", {"note": "hi"})
    assert response.status_code == 409


def test_content_warning_hides_instructions_until_the_expert_opts_in(organization, cardiologist):
    project = make_project(
        organization,
        status="live",
        content_warning="self_harm",
        content_warning_note="Crisis-line transcripts",
        instructions="Rate the **counsellor's** reply.",
    )
    api = api_as(cardiologist)
    detail = api.get(f"/api/v1/jobs/{project.pk}/").json()
    assert detail["content_warning"] == "self_harm"
    assert detail["opted_in"] is False
    assert detail["instructions_html"] == ""
    with pytest.raises(InvalidState):
        services.check_expert_can_work(project=project, expert=cardiologist)
    detail = api.post(f"/api/v1/jobs/{project.pk}/opt-in/").json()
    assert detail["opted_in"] is True
    assert "<strong>counsellor's</strong>" in detail["instructions_html"]
    services.check_expert_can_work(project=project, expert=cardiologist)


def test_content_warning_page_asks_before_showing_the_project(client, organization, cardiologist):
    project = make_project(
        organization,
        status="live",
        content_warning="violence",
        instructions="Secret instructions text",
    )
    client.force_login(cardiologist)
    page = client.get(f"/jobs/{project.pk}/").content.decode()
    assert "Content warning: Violence" in page
    assert "Secret instructions text" not in page
    client.post(f"/jobs/{project.pk}/opt-in/")
    assert "Secret instructions text" in client.get(f"/jobs/{project.pk}/").content.decode()


def test_company_pages_for_people(client, invite_only, owner, cardiologist):
    client.force_login(owner)
    page = client.get(f"/company/projects/{invite_only.pk}/experts/")
    assert page.status_code == 200
    assert cardiologist.expert_profile.pseudonym in page.content.decode()
    client.post(f"/company/projects/{invite_only.pk}/experts/", {"expert_id": cardiologist.pk})
    assert ProjectInvitation.objects.filter(project=invite_only, expert=cardiologist).exists()
    client.force_login(cardiologist)
    invitation = ProjectInvitation.objects.get()
    assert "Cardiac triage panel" in client.get("/jobs/invitations/").content.decode()
    client.post(f"/jobs/invitations/{invitation.pk}/respond/", {"decision": "accept"})
    invitation.refresh_from_db()
    assert invitation.status == "accepted"


def test_no_work_is_served_while_payments_blocks_spending(organization, cardiologist):
    project = make_project(organization, status="live")
    services.check_expert_can_work(project=project, expert=cardiologist)
    services.project_set_spend_blocked(project=project, blocked=True, reason="Escrow used up")
    project.refresh_from_db()
    with pytest.raises(InvalidState) as exc:
        services.check_expert_can_work(project=project, expert=cardiologist)
    assert exc.value.code == "spend_blocked"
