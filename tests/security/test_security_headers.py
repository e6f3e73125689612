"""Security headers, cookie flags, CSRF on every POST route and the login brute-force limit, under
the security settings of config/settings/production.py (loaded from the file itself, so a change
there is what this test sees). `manage.py check --deploy` with production settings runs in
`make check`."""

import importlib
import re
import sys

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import ExpertFactory

pytestmark = pytest.mark.django_db

# POST routes that take no CSRF token, and why. Any other exempt route fails the CSRF test.
CSRF_EXEMPT = {
    "stripe/webhook/": "Stripe calls it; every request is verified by its Stripe-Signature",
}
PRODUCTION_NAMES = [
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
]


@pytest.fixture
def production(settings, monkeypatch):
    """The security settings production.py sets, applied over the test settings."""
    for name in ("STRIPE_API_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.setenv(name, "set-in-production")
    for name in ("DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_HSTS_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    sys.modules.pop("config.settings.production", None)
    module = importlib.import_module("config.settings.production")
    sys.modules.pop("config.settings.production", None)
    for name in PRODUCTION_NAMES:
        setattr(settings, name, getattr(module, name))
    return settings


def test_pages_carry_security_headers_in_production(production, client):
    response = client.get("/", secure=True)
    assert response.status_code == 200
    hsts = response["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    # Plain HTTP is redirected to HTTPS.
    plain = client.get("/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")


def test_api_data_carries_the_strict_api_policy_and_its_html_the_page_policy(client):
    client.force_login(ExpertFactory(email="headers@example.com"))
    data = client.get("/api/v1/me/", HTTP_ACCEPT="application/json")
    assert data.status_code == 200
    assert data["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert data["X-Frame-Options"] == "DENY"
    assert data["X-Content-Type-Options"] == "nosniff"
    browsable = client.get("/api/v1/me/", HTTP_ACCEPT="text/html")
    assert browsable["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in browsable["Content-Security-Policy"]
    page = client.get("/")
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert "default-src 'self'" in page["Content-Security-Policy"]


def test_session_and_csrf_cookies_are_secure_httponly_samesite(production, client):
    user = ExpertFactory(email="cookie@example.com")
    login = reverse("account_login")
    page = client.get(login, secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post(
        login, {"login": user.email, "password": "correct-horse-battery"}, secure=True
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def _routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and "^" not in route:
            yield route  # regex routes (allauth's e-mailed key links) have no simple sample


def _sample_path(route: str) -> str:
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", route)
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "x", route)


def test_every_post_route_refuses_a_request_without_csrf_token(client):
    user = ExpertFactory()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    routes = sorted(set(_routes()))
    assert len(routes) > 100  # the walk found the whole URLconf
    unprotected = []
    for route in routes:
        response = strict.post(_sample_path(route), {"x": "1"})
        if response.status_code != 403:
            unprotected.append((route, response.status_code))
    assert sorted(r for r, _ in unprotected) == sorted(CSRF_EXEMPT), unprotected


def test_login_is_rate_limited_after_repeated_failures(client):
    user = ExpertFactory(email="target@example.com")
    login = reverse("account_login")
    for i in range(5):
        wrong = client.post(login, {"login": user.email, "password": f"wrong-{i}"})
        assert wrong.status_code == 200 and b"Too many failed" not in wrong.content
    # Locked out now, even with the right password: the limit is per account, not per guess.
    right = client.post(login, {"login": user.email, "password": "correct-horse-battery"})
    assert right.status_code in (200, 429) and b"Too many failed login attempts" in right.content
    assert "_auth_user_id" not in client.session
