"""The whole money path with nothing mocked: API → PaymentIntent on localstripe → the customer
pays (as Stripe.js would) → localstripe sends a signed webhook to the live server → stored →
Celery task on a real worker over Redis re-reads the PaymentIntent → ledger → project funded."""

import time

import pytest
from django.conf import settings

from marketplace.models import ProjectStatus
from payments import selectors, stripe_client
from payments.models import Funding, JournalEntry, StripeEvent
from tests.conftest import api_as
from tests.worker import running_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_a_company_funds_a_project_through_stripe_webhooks_and_a_real_worker(
    live_server, localstripe, project, owner, monkeypatch
):
    monkeypatch.setenv("STRIPE_API_BASE", localstripe.url)  # read by the worker process
    localstripe.configure_webhook(
        name="plumbline",
        url=f"{live_server.url}/stripe/webhook/",
        secret=settings.STRIPE_WEBHOOK_SECRET,
        events=["payment_intent.succeeded", "payment_intent.payment_failed"],
    )
    with running_worker(queue="celery") as worker:
        response = api_as(owner).post(f"/api/v1/projects/{project.pk}/fundings/", {}, format="json")
        assert response.status_code == 201, response.content
        funding = Funding.objects.get(pk=response.json()["id"])

        paid = stripe_client.payment_intent_confirm(
            payment_intent_id=funding.payment_intent_id, payment_method="pm_card_visa"
        )
        assert paid.status == "succeeded"

        def funded():
            funding.refresh_from_db()
            return funding.status == Funding.Status.SUCCEEDED

        assert _wait_for(funded), worker.log_path.read_text()[-3000:]

    # The session-wide localstripe also delivers events of earlier tests' PaymentIntents.
    event = StripeEvent.objects.get(
        type="payment_intent.succeeded", object_id=funding.payment_intent_id
    )
    assert event.processed_at is not None
    project.refresh_from_db()
    assert project.status == ProjectStatus.FUNDED
    assert selectors.project_escrow_balance(project=project) == funding.amount
    assert JournalEntry.objects.count() == 2
    assert selectors.ledger_total() == 0
