"""Payouts: Connect onboarding, the batch, one transfer per payout, failures re-credit."""

import httpx
import pytest
from django.conf import settings

from labeling.models import Appeal, ExpertProjectStats
from marketplace.models import ProjectStatus
from payments import selectors, services, stripe_client
from payments.models import EntryKind, JournalEntry, Payout, PayoutAccount
from tests.conftest import api_as
from tests.factories import ExpertFactory
from tests.marketplace.factories import make_project
from tests.payments.money import accepted_work, fund_escrow, payable

pytestmark = pytest.mark.django_db


def charge_platform(amount: int) -> None:
    """Put money on the (shared) localstripe platform balance, as card payments do."""
    import uuid

    pi = stripe_client.payment_intent_create(
        amount=amount,
        currency="USD",
        idempotency_key=f"t-{uuid.uuid4()}",
        metadata={},
        description="platform balance for payout tests",
    )
    stripe_client.payment_intent_confirm(payment_intent_id=pi.id, payment_method="pm_card_visa")


def connect(expert) -> PayoutAccount:
    url = services.payout_account_onboarding_link(
        expert=expert, refresh_url="http://testserver/r", return_url="http://testserver/ok"
    )
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == "http://testserver/ok"
    return services.payout_account_refresh(expert=expert)


@pytest.fixture
def project(organization, owner):
    project = make_project(
        organization,
        actor=owner,
        status=ProjectStatus.LIVE,
        pay_per_task_minor=1000,
        estimated_minutes=10,
        item_count=1000,
        overlap=1,
    )
    fund_escrow(project, 5_000_000)
    return project


def earn(project, expert, tasks: int) -> None:
    accepted_work(project, expert, tasks)
    services.earnings_post(project_id=project.pk)


def test_onboarding_activates_the_account(localstripe, expert):
    account = connect(expert)
    assert account.status == PayoutAccount.Status.ACTIVE and account.transfers_active


def test_the_weekly_batch_pays_each_expert_once_with_one_transfer(
    localstripe, project, expert, other_expert, eager_celery
):
    charge_platform(100_000)
    connect(expert)
    connect(other_expert)
    earn(project, expert, 3)
    earn(project, other_expert, 1)  # 10.00: below the 20.00 minimum
    batch = services.payouts_create_batch(enqueue=False)
    assert len(batch.pending_ids) == 1
    again = services.payouts_create_batch(enqueue=False)
    assert again.pending_ids == []  # one waiting payout per expert
    payout = services.payout_execute(payout_id=batch.pending_ids[0])
    assert payout.status == Payout.Status.PAID and payout.stripe_transfer_id
    assert services.payout_execute(payout_id=payout.pk).status == Payout.Status.PAID
    account = PayoutAccount.objects.get(expert=expert)
    transfers, _ = stripe_client.transfers_list(destination=account.stripe_account_id)
    assert [(t.id, t.amount) for t in transfers] == [(payout.stripe_transfer_id, 3000)]
    assert payable(expert) == 0 and payable(other_expert) == 1000
    assert JournalEntry.objects.filter(idempotency_key=f"payout:{payout.pk}").count() == 1
    assert selectors.ledger_total() == 0


def test_a_refused_transfer_recredits_the_payable(localstripe, project, expert):
    connect(expert)
    earn(project, expert, 3)
    payout = services.payout_request(expert=expert)
    # The account loses its capability after the payout was created: Stripe refuses.
    acct = PayoutAccount.objects.get(expert=expert).stripe_account_id
    from payments.testing.localstripe_server import ls

    def disable():
        ls.store["account:" + acct].capabilities = {"transfers": "inactive"}

    localstripe.call(disable)
    payout = services.payout_execute(payout_id=payout.pk)
    assert payout.status == Payout.Status.FAILED and "capabilit" in payout.failure_message
    assert payable(expert) == 3000
    assert JournalEntry.objects.filter(kind=EntryKind.PAYOUT_FAILED).count() == 1
    assert selectors.ledger_total() == 0


def test_a_reversed_transfer_fails_the_payout_and_recredits_once(localstripe, project, expert):
    charge_platform(10_000)
    connect(expert)
    earn(project, expert, 2)
    payout = services.payout_execute(payout_id=services.payout_request(expert=expert).pk)
    assert payout.status == Payout.Status.PAID and payable(expert) == 0
    with httpx.Client(
        base_url=localstripe.url, headers={"Authorization": f"Bearer {settings.STRIPE_API_KEY}"}
    ) as http:
        assert http.post(f"/v1/transfers/{payout.stripe_transfer_id}/reversals").status_code == 200
    from payments.services.payouts import payout_apply_transfer

    transfer = stripe_client.transfer_retrieve(transfer_id=payout.stripe_transfer_id)
    payout_apply_transfer(transfer=transfer)
    payout_apply_transfer(transfer=transfer)  # the webhook again
    payout.refresh_from_db()
    assert payout.status == Payout.Status.FAILED
    assert payable(expert) == 2000


def test_pay_me_now_needs_the_minimum_and_an_account(localstripe, project, expert):
    from core.exceptions import DomainError

    with pytest.raises(DomainError, match="payout account"):
        services.payout_request(expert=expert)
    connect(expert)
    earn(project, expert, 1)
    with pytest.raises(DomainError, match="minimum"):
        services.payout_request(expert=expert)
    earn(project, expert, 1)
    payout = services.payout_request(expert=expert)
    assert payout.on_demand and payout.amount == 2000
    with pytest.raises(DomainError, match="on its way"):
        services.payout_request(expert=expert)


def test_suspended_experts_under_appeal_are_held_not_forfeited(localstripe, project, expert):
    connect(expert)
    earn(project, expert, 3)
    from django.utils import timezone

    ExpertProjectStats.objects.create(project=project, expert=expert, suspended_at=timezone.now())
    appeal = Appeal.objects.create(
        kind=Appeal.Kind.SUSPENSION, expert=expert, project=project, note="I was right"
    )
    batch = services.payouts_create_batch(enqueue=False)
    assert batch.held == 1 and batch.pending_ids == []
    held = Payout.objects.get(expert=expert)
    assert held.status == Payout.Status.HELD and payable(expert) == 3000
    appeal.status = Appeal.Status.UPHELD
    appeal.save()
    nxt = services.payouts_create_batch(enqueue=False)
    assert nxt.released == 1
    held.refresh_from_db()
    assert held.status == Payout.Status.PENDING


def test_an_expert_cannot_see_another_experts_payouts(localstripe, project, expert, other_expert):
    connect(expert)
    earn(project, expert, 3)
    payout = services.payout_request(expert=expert)
    assert api_as(expert).get(f"/api/v1/me/payouts/{payout.pk}/").status_code == 200
    assert api_as(other_expert).get(f"/api/v1/me/payouts/{payout.pk}/").status_code == 404
    listed = api_as(other_expert).get("/api/v1/me/payouts/").json()
    assert listed == []


def test_connect_account_status_follows_account_updated_webhooks(localstripe, expert, eager_celery):
    from payments.services.webhooks import stripe_event_process, stripe_event_record
    from payments.stripe_client import VerifiedEvent

    services.payout_account_onboarding_link(
        expert=expert, refresh_url="http://testserver/r", return_url="http://testserver/ok"
    )
    account = PayoutAccount.objects.get(expert=expert)
    assert account.status == PayoutAccount.Status.ONBOARDING
    from payments.testing.localstripe_server import ls

    localstripe.call(
        lambda: ls.store["account:" + account.stripe_account_id]._complete_onboarding()
    )
    from django.utils import timezone

    row, _ = stripe_event_record(
        event=VerifiedEvent(
            id="evt_acct_1",
            type="account.updated",
            created=timezone.now(),
            livemode=False,
            api_version="",
            object_id=account.stripe_account_id,
            payload={},
        )
    )
    stripe_event_process(event_pk=row.pk)
    account.refresh_from_db()
    assert account.status == PayoutAccount.Status.ACTIVE


def test_many_experts_one_batch(localstripe, project, eager_celery):
    experts = [ExpertFactory() for _ in range(5)]
    charge_platform(100_000)
    for e in experts:
        connect(e)
        earn(project, e, 2)
    batch = services.payouts_create_batch(enqueue=False)
    for pk in batch.pending_ids:
        services.payout_execute(payout_id=pk)
    assert Payout.objects.filter(status=Payout.Status.PAID).count() == 5
