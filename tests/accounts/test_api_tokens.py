import pytest

from accounts.models import ApiToken, AuditEvent, hash_token
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


def test_token_is_shown_once_stored_hashed_works_and_can_be_revoked(
    api_client, expert, other_expert
):
    response = api_as(expert).post("/api/v1/tokens/", {"name": "labeling script"})
    assert response.status_code == 201
    raw = response.json()["token"]
    assert raw.startswith("plb_")
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(raw)
    assert raw not in str(ApiToken.objects.values().get())

    listed = api_as(expert).get("/api/v1/tokens/").json()
    assert listed["count"] == 1
    assert "token" not in listed["results"][0]

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["email"] == expert.email

    # Another expert cannot revoke it.
    assert api_as(other_expert).delete(f"/api/v1/tokens/{token.pk}/").status_code == 404

    assert api_as(expert).delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert api_client.get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(verb="api_token.revoked").count() == 1


def test_a_made_up_token_is_refused(api_client, expert):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer plb_not-a-real-token")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_anonymous_gets_a_stable_error_shape(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_an_expired_token_or_a_deactivated_user_is_refused(api_client, expert):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.services import api_token_create

    token, raw = api_token_create(user=expert, name="script")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api_client.get("/api/v1/me/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None  # the hand-written lookup still records use

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_client.get("/api/v1/me/").status_code == 401

    ApiToken.objects.filter(pk=token.pk).update(expires_at=None)
    assert api_client.get("/api/v1/me/").status_code == 200
    type(expert).objects.filter(pk=expert.pk).update(is_active=False)
    assert api_client.get("/api/v1/me/").status_code == 401
