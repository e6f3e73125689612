import re

import pytest
from django.core import mail

from accounts.models import AuditEvent, Invitation, Membership, Role
from tests.conftest import api_as
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_owner_invites_a_member_who_joins_with_that_role(
    client, organization, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(owner).post(
            f"/api/v1/organizations/{organization.pk}/invitations/",
            {"email": "New.Reviewer@Acme.example", "role": "reviewer"},
        )
    assert response.status_code == 201, response.content
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]

    # The invitee signs up (verification done) and accepts.
    invitee = UserFactory(email="new.reviewer@acme.example")
    client.force_login(invitee)
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302

    membership = Membership.objects.get(organization=organization, user=invitee)
    assert membership.role == Role.REVIEWER
    assert Invitation.objects.get().status == Invitation.Status.ACCEPTED
    assert AuditEvent.objects.filter(verb="membership.joined", actor=invitee).exists()


def test_an_invitation_cannot_be_used_by_someone_else(organization, owner):
    api_as(owner).post(
        f"/api/v1/organizations/{organization.pk}/invitations/",
        {"email": "intended@acme.example", "role": "manager"},
    )
    token = Invitation.objects.get().token
    stranger = UserFactory(email="stranger@evil.example")
    response = api_as(stranger).post(f"/api/v1/invitations/{token}/accept/")
    assert response.status_code == 403
    assert not Membership.objects.filter(user=stranger).exists()


def test_viewer_cannot_change_anything(organization, owner, viewer):
    client = api_as(viewer)
    member = Membership.objects.get(user=owner)
    attempts = [
        client.patch(f"/api/v1/organizations/{organization.pk}/", {"name": "Hijacked"}),
        client.post(
            f"/api/v1/organizations/{organization.pk}/invitations/",
            {"email": "x@y.example", "role": "owner"},
        ),
        client.patch(
            f"/api/v1/organizations/{organization.pk}/members/{member.pk}/", {"role": "viewer"}
        ),
        client.delete(f"/api/v1/organizations/{organization.pk}/members/{member.pk}/"),
    ]
    for response in attempts:
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "permission_denied"
    organization.refresh_from_db()
    assert organization.name == "Acme AI"
    assert Membership.objects.get(pk=member.pk).role == Role.OWNER
    assert not Invitation.objects.exists()
    # Reading is allowed.
    assert client.get(f"/api/v1/organizations/{organization.pk}/members/").status_code == 200


def test_viewer_sees_no_invite_form_on_the_members_page(client, organization, viewer):
    client.force_login(viewer)
    response = client.post(
        f"/organizations/{organization.pk}/members/", {"email": "x@y.example", "role": "owner"}
    )
    assert response.status_code == 200
    assert not Invitation.objects.exists()


def test_another_company_cannot_see_an_organization(organization, owner, other_owner):
    response = api_as(other_owner).get(f"/api/v1/organizations/{organization.pk}/members/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_owner_changes_a_role_and_it_is_audited(organization, owner, viewer):
    membership = Membership.objects.get(user=viewer)
    response = api_as(owner).patch(
        f"/api/v1/organizations/{organization.pk}/members/{membership.pk}/", {"role": "manager"}
    )
    assert response.status_code == 200
    assert response.json()["role"] == "manager"
    event = AuditEvent.objects.get(verb="membership.role_changed")
    assert event.details == {"user": viewer.email, "before": "viewer", "after": "manager"}


def test_the_last_owner_cannot_demote_themselves(organization, owner):
    membership = Membership.objects.get(user=owner)
    response = api_as(owner).patch(
        f"/api/v1/organizations/{organization.pk}/members/{membership.pk}/", {"role": "viewer"}
    )
    assert response.status_code == 409
    assert Membership.objects.get(pk=membership.pk).role == Role.OWNER


def test_invalid_role_gets_a_field_error(organization, owner):
    response = api_as(owner).post(
        f"/api/v1/organizations/{organization.pk}/invitations/",
        {"email": "not-an-email", "role": "emperor"},
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "validation_failed"
    assert set(body["fields"]) == {"email", "role"}


def test_an_invitee_who_signs_in_later_is_brought_back_to_the_invitation(
    client, organization, owner
):
    api_as(owner).post(
        f"/api/v1/organizations/{organization.pk}/invitations/",
        {"email": "later@acme.example", "role": "reviewer"},
    )
    token = Invitation.objects.get().token
    UserFactory(email="later@acme.example")
    assert client.get(f"/invitations/{token}/").status_code == 200  # anonymous: sign in first
    response = client.post(
        "/accounts/login/", {"login": "later@acme.example", "password": "correct-horse-battery"}
    )
    assert response["Location"] == f"/invitations/{token}/"
