"""Fixtures of the security suite: the shared world (see tests/security/world.py) and one
logged-in Django test client per role."""

import pytest
from django.test import Client

from tests.payments.conftest import localstripe_server  # noqa: F401 - session fixture
from tests.security.world import ROLES, World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def clients(world, settings) -> dict[str, Client]:
    """One session client per role (anon is logged out). Session auth serves both the pages and
    the API; the test client skips CSRF checks, as DRF's SessionAuthentication honours.

    Sessions live in signed cookies here, not in the database: the matrix makes thousands of
    requests and loading each one's session row cost a tenth of its time. No view reads the
    session table; session storage itself is tested in tests/accounts."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    result = {}
    for role in ROLES:
        # A view's exception becomes the 500 response it would be, reported with the others.
        client = Client(raise_request_exception=False)
        if world.users[role] is not None:
            client.force_login(world.users[role])
        result[role] = client
    return result


@pytest.fixture
def stripe_local(localstripe_server, settings):  # noqa: F811
    """Stripe calls (funding, payout onboarding) go to the local Stripe harness."""
    settings.STRIPE_API_BASE = localstripe_server.url
    return localstripe_server
