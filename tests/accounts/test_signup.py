import re

import pytest
from django.core import mail

from accounts.models import AuditEvent, ExpertProfile, Membership, Role, User

pytestmark = pytest.mark.django_db


def _confirmation_link(message) -> str:
    return re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", message.body).group(0)


def _signup(client, **fields):
    data = {
        "email": "new@example.com",
        "password1": "a-long-passphrase-1",
        "password2": "a-long-passphrase-1",
        "name": "New Person",
        "account_type": "expert",
        "organization_name": "",
    }
    data.update(fields)
    return client.post("/accounts/signup/", data)


def test_expert_signs_up_and_must_verify_email_before_signing_in(client):
    response = _signup(client, email="ada@example.com", account_type="expert")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"

    user = User.objects.get(email="ada@example.com")
    assert user.kind == User.Kind.EXPERT
    assert ExpertProfile.objects.filter(user=user).exists()
    assert not Membership.objects.filter(user=user).exists()

    assert len(mail.outbox) == 1
    # Unverified: signing in does not log them in.
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "ada@example.com", "password": "a-long-passphrase-1"}
    )
    assert "_auth_user_id" not in client.session
    assert response["Location"] == "/accounts/confirm-email/"

    link = _confirmation_link(mail.outbox[0])
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.post("/" + path)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/dashboard/")["Location"] == "/expert/"


def test_company_user_signs_up_and_owns_a_new_organization(client):
    response = _signup(
        client, email="cto@startup.example", account_type="company", organization_name="Startup AI"
    )
    assert response.status_code == 302
    user = User.objects.get(email="cto@startup.example")
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.organization.name == "Startup AI"
    assert user.kind == User.Kind.COMPANY
    assert not ExpertProfile.objects.filter(user=user).exists()

    link = _confirmation_link(mail.outbox[-1])
    client.post("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert client.get("/dashboard/")["Location"] == "/company/"
    assert AuditEvent.objects.filter(verb="organization.created", actor=user).exists()


def test_company_signup_without_organization_name_is_refused_and_creates_nothing(client):
    response = _signup(
        client, email="x@startup.example", account_type="company", organization_name="  "
    )
    assert response.status_code == 200
    assert "Give your company" in response.content.decode()
    assert not User.objects.filter(email="x@startup.example").exists()


def test_sign_in_is_audited_with_ip(client, expert):
    client.post(
        "/accounts/login/",
        {"login": expert.email, "password": "correct-horse-battery"},
        REMOTE_ADDR="203.0.113.7",
    )
    event = AuditEvent.objects.get(verb="user.signed_in")
    assert event.actor_id == expert.pk
    assert event.ip_address == "203.0.113.7"


def test_repeated_wrong_passwords_are_rate_limited(client, expert):
    for _ in range(5):
        client.post("/accounts/login/", {"login": expert.email, "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"login": expert.email, "password": "correct-horse-battery"}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code == 429 or "Too many" in response.content.decode()


def test_password_reset_sends_a_working_link(client, expert):
    client.post("/accounts/password/reset/", {"email": expert.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", mail.outbox[0].body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(
        form_url, {"password1": "brand-new-passphrase-9", "password2": "brand-new-passphrase-9"}
    )
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.check_password("brand-new-passphrase-9")
