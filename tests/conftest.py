"""Shared fixtures. The suite runs on PostgreSQL and Redis (config.settings.test)."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from tests.factories import ExpertFactory, MembershipFactory, OrganizationFactory, StaffFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth rate limits live in the cache; one test must not throttle the next, nor see the
    # claim verdicts another remembered (the "local" cache).
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def expert(db):
    return ExpertFactory(email="alice.expert@example.com")


@pytest.fixture
def other_expert(db):
    return ExpertFactory(email="bob.expert@example.com")


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme AI", slug="acme-ai")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Globex Labs", slug="globex-labs")


def _member(org, role, email):
    from tests.factories import CompanyUserFactory

    return MembershipFactory(organization=org, role=role, user=CompanyUserFactory(email=email)).user


@pytest.fixture
def owner(organization):
    return _member(organization, Role.OWNER, "olivia.owner@acme.example")


@pytest.fixture
def manager(organization):
    return _member(organization, Role.MANAGER, "max.manager@acme.example")


@pytest.fixture
def reviewer(organization):
    return _member(organization, Role.REVIEWER, "rita.reviewer@acme.example")


@pytest.fixture
def viewer(organization):
    return _member(organization, Role.VIEWER, "victor.viewer@acme.example")


@pytest.fixture
def other_owner(other_organization):
    return _member(other_organization, Role.OWNER, "gina.owner@globex.example")


@pytest.fixture
def staff(db):
    return StaffFactory(email="sam.staff@plumbline.example")


@pytest.fixture
def staff_with_mfa(staff):
    """Staff with a TOTP authenticator, so the MFA-required middleware lets them through."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    staff.totp_secret = secret
    return staff


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client
