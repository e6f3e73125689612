"""POST /stripe/webhook/: verified with the SDK, stored by event id, processed once, in any
order."""

import json
import time

import pytest

from payments import services, stripe_client
from payments.models import Funding, JournalEntry, StripeEvent
from tests.payments.conftest import deliver, event_body, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def funding(localstripe, project, owner):
    return services.funding_create(project=project, actor=owner).funding


def _confirm_like_stripe_js(funding, card="pm_card_visa"):
    """The customer pays in the browser: Plumbline learns it only from the webhook."""
    return stripe_client.payment_intent_confirm(
        payment_intent_id=funding.payment_intent_id, payment_method=card
    )


def _pi_event(funding, event_type, *, event_id, created=None, status="succeeded"):
    obj = {
        "id": funding.payment_intent_id,
        "object": "payment_intent",
        "status": status,
        "amount": funding.amount,
        "currency": funding.currency.lower(),
        "metadata": {"funding_id": str(funding.pk)},
    }
    return event_body(event_type, obj, event_id=event_id, created=created)


def test_a_signed_event_is_stored_and_processed(
    client, funding, eager_celery, django_capture_on_commit_callbacks
):
    _confirm_like_stripe_js(funding)
    body = _pi_event(funding, "payment_intent.succeeded", event_id="evt_good")
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, body, sign(body))
    assert response.status_code == 200
    event = StripeEvent.objects.get(event_id="evt_good")
    assert event.type == "payment_intent.succeeded" and event.processed_at is not None
    assert event.object_id == funding.payment_intent_id
    funding.refresh_from_db()
    assert funding.status == Funding.Status.SUCCEEDED
    assert JournalEntry.objects.count() == 2


@pytest.mark.parametrize(
    "make_header",
    [
        lambda body: sign(body, secret="whsec_someone_else"),
        lambda body: sign(body + b" "),  # signature of other bytes
        lambda body: "t=123,v1=deadbeef",
        lambda body: None,
        lambda body: sign(body, timestamp=int(time.time()) - 3600),  # stale: outside tolerance
    ],
    ids=["wrong-secret", "tampered-body", "garbage", "missing", "stale"],
)
def test_forged_or_stale_webhooks_are_refused_without_side_effects(
    client, funding, eager_celery, django_capture_on_commit_callbacks, make_header
):
    _confirm_like_stripe_js(funding)
    body = _pi_event(funding, "payment_intent.succeeded", event_id="evt_forged")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = deliver(client, body, make_header(body))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert callbacks == []
    assert not StripeEvent.objects.exists()
    funding.refresh_from_db()
    assert funding.status == Funding.Status.REQUIRES_PAYMENT
    assert not JournalEntry.objects.exists()


def test_a_signed_body_that_is_not_json_is_refused(client, localstripe):
    body = b"not json"
    assert deliver(client, body, sign(body)).status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_replayed_event_changes_nothing(
    client, funding, eager_celery, django_capture_on_commit_callbacks
):
    _confirm_like_stripe_js(funding)
    body = _pi_event(funding, "payment_intent.succeeded", event_id="evt_replayed")
    with django_capture_on_commit_callbacks(execute=True):
        first = deliver(client, body, sign(body))
    snapshot = (
        list(JournalEntry.objects.values_list("pk", flat=True)),
        StripeEvent.objects.get().processed_at,
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = deliver(client, body, sign(body))  # Stripe retries with a fresh signature
    assert first.status_code == second.status_code == 200
    assert second.json()["duplicate"] is True
    assert callbacks == []  # not even enqueued again
    assert StripeEvent.objects.count() == 1
    assert snapshot == (
        list(JournalEntry.objects.values_list("pk", flat=True)),
        StripeEvent.objects.get().processed_at,
    )


def test_processing_an_event_twice_moves_money_once(
    client, funding, django_capture_on_commit_callbacks
):
    _confirm_like_stripe_js(funding)
    body = _pi_event(funding, "payment_intent.succeeded", event_id="evt_twice")
    with django_capture_on_commit_callbacks(execute=False):
        deliver(client, body, sign(body))
    event = StripeEvent.objects.get()
    services.stripe_event_process(event_pk=event.pk)
    services.stripe_event_process(event_pk=event.pk)
    assert JournalEntry.objects.count() == 2


def test_a_stale_failure_arriving_after_success_does_not_unfund(
    client, funding, project, eager_celery, django_capture_on_commit_callbacks
):
    _confirm_like_stripe_js(funding)
    now = int(time.time())
    failed = _pi_event(
        funding,
        "payment_intent.payment_failed",
        event_id="evt_failed_old",
        created=now - 60,
        status="requires_payment_method",
    )
    succeeded = _pi_event(funding, "payment_intent.succeeded", event_id="evt_ok", created=now)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, succeeded, sign(succeeded)).status_code == 200
        assert deliver(client, failed, sign(failed)).status_code == 200
    funding.refresh_from_db()
    project.refresh_from_db()
    assert funding.status == Funding.Status.SUCCEEDED
    assert project.status == "funded"
    assert JournalEntry.objects.count() == 2
    assert StripeEvent.objects.filter(processed_at__isnull=False).count() == 2


def test_success_arriving_before_an_older_failure_event_uses_stripes_current_state(
    client, funding, eager_celery, django_capture_on_commit_callbacks
):
    """First attempt declined, second paid; Stripe delivers `succeeded` first and the old
    `payment_failed` last. The funding ends up paid either way."""
    _confirm_like_stripe_js(funding, card="pm_card_chargeCustomerFail")
    _confirm_like_stripe_js(funding, card="pm_card_visa")
    old_failure = _pi_event(
        funding, "payment_intent.payment_failed", event_id="evt_f", status="requires_payment_method"
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, old_failure, sign(old_failure))
    funding.refresh_from_db()
    assert funding.status == Funding.Status.SUCCEEDED  # re-read from Stripe: it is paid


def test_a_failure_event_marks_the_funding_failed_with_stripes_message(
    client, funding, eager_celery, django_capture_on_commit_callbacks
):
    _confirm_like_stripe_js(funding, card="pm_card_chargeCustomerFail")
    body = _pi_event(
        funding,
        "payment_intent.payment_failed",
        event_id="evt_f2",
        status="requires_payment_method",
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, body, sign(body))
    funding.refresh_from_db()
    assert funding.status == Funding.Status.FAILED
    assert funding.failure_message == "Your card was declined."
    assert not JournalEntry.objects.exists()


def test_events_we_do_not_handle_are_stored_and_marked_processed(
    client, localstripe, eager_celery, django_capture_on_commit_callbacks
):
    body = event_body("customer.created", {"id": "cus_1", "object": "customer"}, event_id="evt_c")
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, body, sign(body)).status_code == 200
    event = StripeEvent.objects.get()
    assert event.processed_at is not None and event.outcome.startswith("ignored")
    assert json.loads(body)["data"] == event.payload["data"]
