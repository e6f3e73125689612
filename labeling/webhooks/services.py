"""Writes for outbound webhooks: endpoints (create, update, rotate, deactivate), emitting
events, delivery attempts with exponential backoff, replays and the sweeper.

Retries: after a failed attempt the delivery gets `next_attempt_at = now + delay` from
settings.PLUMBLINE_WEBHOOK_RETRY_DELAYS. Delays up to PLUMBLINE_WEBHOOK_COUNTDOWN_MAX are queued
with a Celery countdown (well below the broker's visibility timeout); longer ones, and any
message lost between commit and broker, are re-queued by the every-minute sweeper
(`webhook_deliveries_requeue_due`). An attempt locks its row with SKIP LOCKED and re-checks the
state, so a duplicate message never sends twice.
"""

import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Organization, Role, User
from accounts.services import audit_record, check_org_role
from core.exceptions import InvalidState, ValidationFailed
from labeling.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from labeling.models.webhooks import new_webhook_secret
from labeling.webhooks import signing, transport
from labeling.webhooks.events import EVENT_TYPES

logger = logging.getLogger(__name__)

MANAGE_ROLE = Role.MANAGER
SWEEP_GRACE = timedelta(seconds=60)


# --- Endpoints -----------------------------------------------------------------------------------


def check_endpoint_data(*, url: str, events: list[str]) -> list[str]:
    transport.check_url_allowed(url)
    events = sorted(set(events or []))
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown or not events:
        raise ValidationFailed(
            fields={"events": [f"Choose one or more of: {', '.join(EVENT_TYPES)}."]}
        )
    return events


@transaction.atomic
def webhook_endpoint_create(
    *,
    organization: Organization,
    actor: User,
    url: str,
    events: list[str],
    description: str = "",
    request: HttpRequest | None = None,
) -> WebhookEndpoint:
    """Register an endpoint. The returned object carries the secret: show it once."""
    check_org_role(user=actor, organization=organization, minimum=MANAGE_ROLE)
    events = check_endpoint_data(url=url, events=events)
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        url=url,
        events=events,
        description=(description or "").strip()[:200],
        created_by=actor,
    )
    audit_record(
        actor=actor,
        verb="webhook.endpoint_created",
        target=endpoint,
        details={"organization": organization.pk, "url": url, "events": events},
        request=request,
    )
    return endpoint


def _endpoint_for_update(*, endpoint_id: int, actor: User) -> WebhookEndpoint:
    from labeling.webhooks.selectors import endpoint_get_for_member

    endpoint = endpoint_get_for_member(user=actor, endpoint_id=endpoint_id)
    check_org_role(user=actor, organization=endpoint.organization, minimum=MANAGE_ROLE)
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint_id: int,
    actor: User,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
    request: HttpRequest | None = None,
) -> WebhookEndpoint:
    endpoint = _endpoint_for_update(endpoint_id=endpoint_id, actor=actor)
    before = {"url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active}
    new_events = check_endpoint_data(
        url=endpoint.url if url is None else url,
        events=endpoint.events if events is None else events,
    )
    if url is not None:
        endpoint.url = url
    endpoint.events = new_events
    if description is not None:
        endpoint.description = description.strip()[:200]
    if is_active is not None:
        endpoint.is_active = is_active
    endpoint.save()
    audit_record(
        actor=actor,
        verb="webhook.endpoint_updated",
        target=endpoint,
        details={
            "before": before,
            "after": {
                "url": endpoint.url,
                "events": endpoint.events,
                "is_active": endpoint.is_active,
            },
        },
        request=request,
    )
    return endpoint


def webhook_endpoint_deactivate(
    *, endpoint_id: int, actor: User, request: HttpRequest | None = None
) -> WebhookEndpoint:
    """Stop sending to this endpoint. Its waiting deliveries give up at their next attempt."""
    return webhook_endpoint_update(
        endpoint_id=endpoint_id, actor=actor, is_active=False, request=request
    )


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, endpoint_id: int, actor: User, request: HttpRequest | None = None
) -> WebhookEndpoint:
    """A new signing secret, effective immediately. Returned once; the old one stops working."""
    endpoint = _endpoint_for_update(endpoint_id=endpoint_id, actor=actor)
    endpoint.secret = new_webhook_secret()
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at"])
    audit_record(
        actor=actor, verb="webhook.secret_rotated", target=endpoint, details={}, request=request
    )
    return endpoint


# --- Events and deliveries -----------------------------------------------------------------------


def _enqueue(delivery_id: int, countdown: int = 0) -> None:
    def send():
        from labeling.tasks import webhook_deliver

        try:
            webhook_deliver.apply_async(
                args=[delivery_id],
                countdown=max(0, int(countdown)),
                queue=settings.PLUMBLINE_WEBHOOK_QUEUE,
            )
        except Exception:  # noqa: BLE001 - the sweeper re-queues it
            logger.exception("could not enqueue webhook delivery %s", delivery_id)

    transaction.on_commit(send)


@transaction.atomic
def webhook_event_emit(
    *, organization: Organization | int, type: str, payload: dict
) -> WebhookEvent | None:  # noqa: A002 - `type` is the documented name
    """Record an event of an organization and queue one delivery per active endpoint
    subscribed to it (sent after commit). Returns None, storing nothing, when no endpoint
    wants the event. Call it inside the transaction of the change it reports."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}")
    org_id = organization if isinstance(organization, int) else organization.pk
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(organization_id=org_id, is_active=True)
        if type in (e.events or [])
    ]
    if not endpoints:
        return None
    # Stored as plain JSON (dates become ISO strings), exactly as receivers will see it.
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    event = WebhookEvent.objects.create(organization_id=org_id, type=type, payload=payload)
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, event=event) for e in endpoints]
    )
    for delivery in deliveries:
        _enqueue(delivery.pk)
    return event


@transaction.atomic
def webhook_delivery_replay(
    *, delivery_id: int, actor: User, request: HttpRequest | None = None
) -> WebhookDelivery:
    """Send an event again to the same endpoint, as a new delivery (same event id)."""
    from labeling.webhooks.selectors import delivery_get_for_member

    original = delivery_get_for_member(user=actor, delivery_id=delivery_id)
    check_org_role(user=actor, organization=original.endpoint.organization, minimum=MANAGE_ROLE)
    if not original.endpoint.is_active:
        raise InvalidState("This endpoint is deactivated; reactivate it to replay.")
    delivery = WebhookDelivery.objects.create(
        endpoint=original.endpoint, event=original.event, replay_of=original
    )
    audit_record(
        actor=actor,
        verb="webhook.delivery_replayed",
        target=original.endpoint,
        details={
            "event": str(original.event_id),
            "replay_of": original.pk,
            "delivery": delivery.pk,
        },
        request=request,
    )
    _enqueue(delivery.pk)
    return delivery


def _retry_delay(attempt_count: int) -> int | None:
    """Seconds before the next try after `attempt_count` failed attempts; None: give up."""
    delays = list(settings.PLUMBLINE_WEBHOOK_RETRY_DELAYS)
    index = attempt_count - 1
    return delays[index] if 0 <= index < len(delays) else None


def webhook_delivery_attempt(*, delivery_id: int, now: datetime | None = None):
    """Try one delivery once, if it is due. Holds the delivery's row lock (SKIP LOCKED: a
    concurrent duplicate returns at once) for the duration of the HTTP request, which is bounded
    by PLUMBLINE_WEBHOOK_TIMEOUT. Returns the delivery, or None if missing or busy."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return None
        if delivery.status not in (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED):
            return delivery
        now = now or timezone.now()
        if delivery.next_attempt_at and delivery.next_attempt_at > now + timedelta(seconds=2):
            return delivery  # an early duplicate message; the right one comes later
        endpoint, event = delivery.endpoint, delivery.event
        if not endpoint.is_active:
            delivery.status = WebhookDelivery.Status.GAVE_UP
            delivery.next_attempt_at = None
            delivery.last_error = "endpoint deactivated"
            delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
            return delivery

        body = signing.envelope(
            event_id=str(event.id),
            event_type=event.type,
            created_at=event.created_at,
            organization_id=event.organization_id,
            data=event.payload,
        )
        headers = {
            signing.SIGNATURE_HEADER: signing.signature_header(endpoint.secret, body),
            signing.EVENT_ID_HEADER: str(event.id),
            signing.EVENT_TYPE_HEADER: event.type,
            signing.DELIVERY_ID_HEADER: str(delivery.pk),
        }
        result = transport.post(url=endpoint.url, body=body, headers=headers)
        finished = timezone.now()
        delivery.attempt_count += 1
        delivery.attempts = [
            *delivery.attempts,
            {
                "at": finished.isoformat(),
                "status_code": result.status_code,
                "duration_ms": result.duration_ms,
                "error": result.error,
            },
        ]
        delivery.last_status_code = result.status_code
        delivery.last_error = result.error
        if result.ok:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.delivered_at = finished
            delivery.next_attempt_at = None
        else:
            delay = _retry_delay(delivery.attempt_count)
            if delay is None:
                delivery.status = WebhookDelivery.Status.GAVE_UP
                delivery.next_attempt_at = None
            else:
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.next_attempt_at = finished + timedelta(seconds=delay)
                if delay <= settings.PLUMBLINE_WEBHOOK_COUNTDOWN_MAX:
                    _enqueue(delivery.pk, countdown=delay)
        delivery.save()
    return delivery


def webhook_deliveries_requeue_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat (every minute): queue deliveries whose attempt is overdue — first attempts whose
    message was lost, and retries too far ahead for a countdown. Harmless when repeated."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
            next_attempt_at__lte=now - SWEEP_GRACE,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    with transaction.atomic():
        for pk in ids:
            _enqueue(pk)
    return len(ids)
