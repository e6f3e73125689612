"""Payments fixtures: one localstripe harness per test session (127.0.0.1, a free port), Stripe
settings pointed at it, eager Celery for in-process webhook processing, and signing helpers."""

import hashlib
import hmac
import json
import time

import pytest
from django.conf import settings as django_settings

from accounts.models import Role
from payments.testing.localstripe_server import LocalStripe
from tests.factories import CompanyUserFactory, MembershipFactory
from tests.marketplace.factories import make_project


@pytest.fixture(scope="session")
def localstripe_server():
    server = LocalStripe(host="127.0.0.1", port=0).start()
    yield server
    server.stop()


@pytest.fixture
def localstripe(localstripe_server, settings):
    """The harness, with Stripe settings pointing at it and no webhook destinations left over."""
    settings.STRIPE_API_BASE = localstripe_server.url
    localstripe_server.remove_webhooks()
    yield localstripe_server
    localstripe_server.remove_webhooks()


@pytest.fixture
def eager_celery():
    from config.celery_app import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


def sign(payload: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header, computed as Stripe documents it."""
    secret = secret or django_settings.STRIPE_WEBHOOK_SECRET
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(event_type: str, obj: dict, *, event_id: str, created: int | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": created or int(time.time()),
            "livemode": False,
            "api_version": "2017-08-15",
            "data": {"object": obj},
        }
    ).encode()


def deliver(client, body: bytes, header: str | None):
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header is not None else {}
    return client.post("/stripe/webhook/", data=body, content_type="application/json", **extra)


@pytest.fixture
def project(owner, organization):
    """A draft project of Acme AI: 100 items × 3 × 5.00 USD → budget 1,950.00 USD."""
    return make_project(organization, actor=owner)


@pytest.fixture
def company_viewer(organization):
    return MembershipFactory(
        organization=organization, role=Role.VIEWER, user=CompanyUserFactory()
    ).user
