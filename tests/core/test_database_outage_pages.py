"""Pages answer a lost database connection with 503 + Retry-After, other errors with 500."""

from django.db import OperationalError
from django.test import RequestFactory
from django.urls import get_resolver

from core.views import server_error


def _handle(exc: Exception):
    # Django calls handler500 inside its `except` block; so do we.
    try:
        raise exc
    except Exception:
        return server_error(RequestFactory().get("/jobs/"))


def test_a_lost_database_connection_is_a_retryable_503():
    response = _handle(OperationalError("server closed the connection unexpectedly"))
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert b"try again" in response.content


def test_other_errors_stay_500():
    response = _handle(ValueError("bug"))
    assert response.status_code == 500


def test_the_project_uses_this_handler():
    assert get_resolver().resolve_error_handler(500) is server_error
