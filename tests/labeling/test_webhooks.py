"""Outbound webhooks: endpoints, signatures, retries through a real worker, replays."""

import json
import threading
import time
import uuid
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import AuditEvent
from labeling import services as labeling_services
from labeling.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from labeling.webhooks import services, signing
from labeling.webhooks.events import ANNOTATION_ACCEPTED, ITEMS_IMPORTED
from tests.conftest import api_as
from tests.labeling.factories import add_items, live_project
from tests.labeling.test_review import submit
from tests.worker import running_worker


@contextmanager
def receiver(statuses: list[int], secret_of):
    """A local HTTP receiver answering `statuses` in turn (then 200), verifying each signature
    with the secret `secret_of()` returns. Yields (url, requests seen)."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            verified = signing.verify_signature(
                secret=secret_of(), header=self.headers[signing.SIGNATURE_HEADER], body=body
            )
            code = statuses[len(seen)] if len(seen) < len(statuses) else 200
            seen.append(
                {
                    "verified": verified,
                    "event_id": self.headers[signing.EVENT_ID_HEADER],
                    "event_type": self.headers[signing.EVENT_TYPE_HEADER],
                    "body": json.loads(body),
                    "code": code,
                }
            )
            self.send_response(code if verified else 400)
            self.end_headers()
            self.wfile.write(b"ok" if code == 200 else b"not now")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/plumbline", seen
    finally:
        server.shutdown()
        server.server_close()


def test_signature_round_trip_and_tampering():
    body = b'{"id":"x"}'
    header = signing.signature_header("whsec_abc", body, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    ok = dict(secret="whsec_abc", header=header, body=body, now=1_700_000_010)
    assert signing.verify_signature(**ok)
    assert not signing.verify_signature(**{**ok, "body": b'{"id":"y"}'})
    assert not signing.verify_signature(**{**ok, "secret": "whsec_other"})
    assert not signing.verify_signature(**{**ok, "now": 1_700_000_000 + 301})  # too old


@pytest.mark.django_db(transaction=True)
def test_a_webhook_that_fails_twice_arrives_on_the_third_try_with_a_verified_signature(
    organization, owner, settings, monkeypatch
):
    queue = f"test-webhooks-{uuid.uuid4().hex[:8]}"
    for name, value in (
        ("PLUMBLINE_WEBHOOK_QUEUE", queue),
        ("PLUMBLINE_WEBHOOK_RETRY_DELAYS", "1,1,1"),
    ):
        monkeypatch.setenv(name, value)
    settings.PLUMBLINE_WEBHOOK_QUEUE = queue
    settings.PLUMBLINE_WEBHOOK_RETRY_DELAYS = [1, 1, 1]
    endpoint_holder = {}

    with receiver([500, 500], lambda: endpoint_holder["secret"]) as (url, seen):
        endpoint = services.webhook_endpoint_create(
            organization=organization, actor=owner, url=url, events=[ITEMS_IMPORTED]
        )
        endpoint_holder["secret"] = endpoint.secret
        with running_worker(queue=queue):
            with transaction.atomic():
                event = services.webhook_event_emit(
                    organization=organization,
                    type=ITEMS_IMPORTED,
                    payload={"project_id": 1, "items_created": 10},
                )
            delivery = WebhookDelivery.objects.get(event=event)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                delivery.refresh_from_db()
                if delivery.status in ("succeeded", "gave_up"):
                    break
                time.sleep(0.3)

    assert delivery.status == "succeeded", (delivery.status, delivery.attempts)
    assert delivery.attempt_count == 3
    assert [a["status_code"] for a in delivery.attempts] == [500, 500, 200]
    assert all(a["duration_ms"] >= 0 for a in delivery.attempts)
    assert delivery.last_status_code == 200 and delivery.delivered_at is not None
    assert [s["code"] for s in seen] == [500, 500, 200]
    assert all(s["verified"] for s in seen)
    assert {s["event_id"] for s in seen} == {str(event.id)}
    assert seen[-1]["event_type"] == ITEMS_IMPORTED
    assert seen[-1]["body"]["data"] == {"project_id": 1, "items_created": 10}


@pytest.mark.django_db
def test_a_delivery_gives_up_when_the_schedule_is_exhausted(organization, owner, settings):
    settings.PLUMBLINE_WEBHOOK_RETRY_DELAYS = [5]
    holder = {}
    with receiver([503, 503, 503], lambda: holder["secret"]) as (url, seen):
        endpoint = services.webhook_endpoint_create(
            organization=organization, actor=owner, url=url, events=[ITEMS_IMPORTED]
        )
        holder["secret"] = endpoint.secret
        event = services.webhook_event_emit(
            organization=organization, type=ITEMS_IMPORTED, payload={}
        )
        delivery = WebhookDelivery.objects.get(event=event)
        first = services.webhook_delivery_attempt(delivery_id=delivery.pk)
        assert first.status == "failed" and first.next_attempt_at > timezone.now()
        # Not due yet: a duplicate message does nothing.
        assert services.webhook_delivery_attempt(delivery_id=delivery.pk).attempt_count == 1
        last = services.webhook_delivery_attempt(delivery_id=delivery.pk, now=first.next_attempt_at)
    assert last.status == "gave_up" and last.attempt_count == 2 and len(seen) == 2
    assert last.last_status_code == 503 and "503" in last.last_error


@pytest.mark.django_db
def test_replay_creates_a_new_delivery_of_the_same_event(organization, owner, other_owner):
    endpoint = services.webhook_endpoint_create(
        organization=organization,
        actor=owner,
        url="https://hooks.acme.example/in",
        events=[ITEMS_IMPORTED],
    )
    event = services.webhook_event_emit(organization=organization, type=ITEMS_IMPORTED, payload={})
    original = WebhookDelivery.objects.get(event=event)
    assert (
        api_as(other_owner).post(f"/api/v1/webhooks/deliveries/{original.pk}/replay/").status_code
        == 404
    )
    res = api_as(owner).post(f"/api/v1/webhooks/deliveries/{original.pk}/replay/")
    assert res.status_code == 202, res.content
    assert res.json()["replay_of"] == original.pk and res.json()["id"] != original.pk
    assert WebhookDelivery.objects.filter(event=event, endpoint=endpoint).count() == 2
    assert AuditEvent.objects.filter(verb="webhook.delivery_replayed").exists()
    log = api_as(owner).get(f"/api/v1/webhooks/endpoints/{endpoint.pk}/deliveries/").json()
    assert len(log["results"]) == 2


@pytest.mark.django_db
def test_endpoint_secret_is_shown_once_and_other_orgs_get_404(
    organization, owner, viewer, other_owner
):
    url = f"/api/v1/webhooks/organizations/{organization.pk}/endpoints/"
    res = api_as(owner).post(
        url,
        {"url": "https://hooks.acme.example/in", "events": ["annotation.accepted"]},
        format="json",
    )
    assert res.status_code == 201, res.content
    secret = res.json()["secret"]
    assert secret.startswith("whsec_")
    listed = api_as(owner).get(url).json()["results"]
    assert len(listed) == 1 and "secret" not in listed[0]
    endpoint_id = listed[0]["id"]
    assert "secret" not in api_as(owner).get(f"/api/v1/webhooks/endpoints/{endpoint_id}/").json()
    rotated = api_as(owner).post(f"/api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret/")
    assert rotated.status_code == 200 and rotated.json()["secret"] not in ("", secret)
    assert api_as(other_owner).get(url).status_code == 404
    assert api_as(other_owner).get(f"/api/v1/webhooks/endpoints/{endpoint_id}/").status_code == 404
    assert api_as(viewer).get(url).status_code == 403
    off = api_as(owner).post(f"/api/v1/webhooks/endpoints/{endpoint_id}/deactivate/")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (
        AuditEvent.objects.filter(
            verb__in=[
                "webhook.endpoint_created",
                "webhook.secret_rotated",
                "webhook.endpoint_updated",
            ]
        ).count()
        == 3
    )


@pytest.mark.django_db
def test_unknown_events_and_non_http_urls_are_refused(organization, owner):
    url = f"/api/v1/webhooks/organizations/{organization.pk}/endpoints/"
    bad_event = api_as(owner).post(
        url, {"url": "https://hooks.acme.example/in", "events": ["nope"]}, format="json"
    )
    assert bad_event.status_code == 400 and "events" in bad_event.json()["error"]["fields"]
    bad_url = api_as(owner).post(
        url, {"url": "ftp://hooks.acme.example/in", "events": [ITEMS_IMPORTED]}, format="json"
    )
    assert bad_url.status_code == 400 and "url" in bad_url.json()["error"]["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:8000/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
    ],
)
def test_private_addresses_are_refused_in_production(organization, owner, settings, target):
    settings.PLUMBLINE_WEBHOOKS_ALLOW_PRIVATE = False
    res = api_as(owner).post(
        f"/api/v1/webhooks/organizations/{organization.pk}/endpoints/",
        {"url": target, "events": [ITEMS_IMPORTED]},
        format="json",
    )
    assert res.status_code == 400 and "url" in res.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_review_decisions_emit_events_to_subscribed_endpoints(
    organization, owner, reviewer, expert
):
    services.webhook_endpoint_create(
        organization=organization,
        actor=owner,
        url="https://hooks.acme.example/in",
        events=[ANNOTATION_ACCEPTED],
    )
    project = live_project(organization, overlap=1)
    add_items(project, 3)
    a1, a2 = submit(project, expert, 2)
    labeling_services.annotation_accept(annotation_id=a1.pk, actor=reviewer)
    labeling_services.annotation_reject(annotation_id=a2.pk, actor=reviewer, reason="No")
    events = list(WebhookEvent.objects.all())
    assert [e.type for e in events] == [ANNOTATION_ACCEPTED]  # not subscribed to rejections
    assert events[0].payload["annotations"][0]["id"] == a1.pk
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_the_sweeper_requeues_overdue_deliveries(organization, owner):
    services.webhook_endpoint_create(
        organization=organization,
        actor=owner,
        url="https://hooks.acme.example/in",
        events=[ITEMS_IMPORTED],
    )
    services.webhook_event_emit(organization=organization, type=ITEMS_IMPORTED, payload={})
    assert services.webhook_deliveries_requeue_due() == 0  # just created: its message is queued
    later = timezone.now() + timezone.timedelta(minutes=5)
    assert services.webhook_deliveries_requeue_due(now=later) == 1
