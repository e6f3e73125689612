import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.models import AuditEvent
from tests.totp import totp_code

pytestmark = pytest.mark.django_db


def test_expert_enrols_totp_and_the_next_login_demands_the_code(
    client, expert, django_capture_on_commit_callbacks
):
    client.post("/accounts/login/", {"login": expert.email, "password": "correct-horse-battery"})
    # Security settings ask for the password again before enrolment.
    response = client.get("/accounts/2fa/totp/activate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    client.post(response["Location"], {"password": "correct-horse-battery"})
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    secret = client.session["mfa.totp.secret"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=expert, type=Authenticator.Type.TOTP).exists()
    assert AuditEvent.objects.filter(verb="mfa.added", actor=expert).exists()

    client.logout()
    response = client.post(
        "/accounts/login/", {"login": expert.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(expert.pk)


def test_staff_without_mfa_are_sent_to_totp_setup(client, staff):
    client.force_login(staff)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"


def test_staff_with_mfa_reach_the_staff_home(client, staff_with_mfa):
    client.force_login(staff_with_mfa)
    assert client.get("/staff/").status_code == 200


def test_a_code_typed_as_the_step_turns_over_is_accepted_once(client, expert):
    secret = generate_totp_secret()
    TOTP.activate(expert, secret)
    client.post("/accounts/login/", {"login": expert.email, "password": "correct-horse-battery"})

    for stale in (totp_code(secret, steps_ago=2), "000000"):
        client.post("/accounts/2fa/authenticate/", {"code": stale})
        assert "_auth_user_id" not in client.session

    previous_step = totp_code(secret, steps_ago=1)
    response = client.post("/accounts/2fa/authenticate/", {"code": previous_step})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(expert.pk)

    # Replaying the same code in another sign-in is refused.
    client.logout()
    client.post("/accounts/login/", {"login": expert.email, "password": "correct-horse-battery"})
    client.post("/accounts/2fa/authenticate/", {"code": previous_step})
    assert "_auth_user_id" not in client.session
