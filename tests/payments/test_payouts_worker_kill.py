"""SIGKILL a real Celery worker in the middle of a payout batch, start another: every expert is
paid exactly once (one transfer on the Stripe server, one payout entry in the ledger)."""

import time
import uuid

import pytest

from marketplace.models import ProjectStatus
from payments import services
from payments.models import JournalEntry, LedgerAccount, Payout, PayoutAccount
from payments.testing.localstripe_server import ls
from tests.factories import ExpertFactory
from tests.marketplace.factories import make_project
from tests.payments.money import accepted_work, fund_escrow, payable
from tests.payments.test_payouts import charge_platform
from tests.worker import WorkerProcess

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

EXPERTS = 60


def _onboarded_account(localstripe, expert) -> None:
    from payments import stripe_client

    info = stripe_client.connect_account_create(
        email=expert.email, country="US", idempotency_key=f"acct-{uuid.uuid4()}", metadata={}
    )
    localstripe.call(lambda: ls.store["account:" + info.id]._complete_onboarding())
    PayoutAccount.objects.create(
        expert=expert,
        stripe_account_id=info.id,
        status=PayoutAccount.Status.ACTIVE,
        details_submitted=True,
        payouts_enabled=True,
        transfers_active=True,
    )


def _transfers_by_destination(localstripe) -> dict[str, int]:
    def collect():
        out: dict[str, int] = {}
        for key, obj in list(ls.store.items()):
            if key.startswith("transfer:"):
                out[obj.destination] = out.get(obj.destination, 0) + 1
        return out

    return localstripe.call(collect)


def _wait(predicate, timeout=90.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def test_killing_the_worker_mid_batch_pays_every_expert_exactly_once(
    localstripe, organization, owner, monkeypatch, settings
):
    queue = f"payouts-{uuid.uuid4().hex[:8]}"
    settings.PAYMENTS_QUEUE = queue
    monkeypatch.setenv("STRIPE_API_BASE", localstripe.url)
    # A short visibility timeout so Redis hands the killed worker's unacknowledged message to the
    # new worker within the test (production keeps it above the longest task and retry delay).
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "3")
    project = make_project(
        organization,
        actor=owner,
        status=ProjectStatus.LIVE,
        pay_per_task_minor=1000,
        estimated_minutes=10,
        item_count=1000,
        overlap=1,
    )
    fund_escrow(project, 10_000_000)
    experts = [ExpertFactory() for _ in range(EXPERTS)]
    for i, expert in enumerate(experts):
        accepted_work(project, expert, 2 + i % 3)
        _onboarded_account(localstripe, expert)
    services.earnings_post(project_id=project.pk)
    owed = {e.pk: payable(e) for e in experts}
    charge_platform(sum(owed.values()) + 10_000)
    destinations = dict(PayoutAccount.objects.values_list("stripe_account_id", "expert_id"))

    def ours() -> int:
        return sum(
            n for d, n in _transfers_by_destination(localstripe).items() if d in destinations
        )

    first = WorkerProcess(queue).start()
    try:
        batch = services.payouts_create_batch()  # enqueues one task per payout on commit
        assert len(batch.pending_ids) == EXPERTS
        assert _wait(lambda: ours() >= 5), first.log_path.read_text()[-3000:]
        first.kill()  # SIGKILL to the process group, mid-batch
    finally:
        first.stop()
    done_before_restart = ours()
    assert done_before_restart < EXPERTS, "the batch finished before the kill; raise EXPERTS"

    second = WorkerProcess(queue).start()
    try:
        assert _wait(
            lambda: Payout.objects.filter(status=Payout.Status.PAID).count() == EXPERTS,
            timeout=120,
        ), second.log_path.read_text()[-3000:]
    finally:
        second.stop()

    per_destination = _transfers_by_destination(localstripe)
    for acct, expert_id in destinations.items():
        assert per_destination.get(acct) == 1, (acct, per_destination.get(acct))
    for expert in experts:
        payout = Payout.objects.get(expert=expert)
        assert payout.amount == owed[expert.pk]
        assert JournalEntry.objects.filter(idempotency_key=f"payout:{payout.pk}").count() == 1
        assert payable(expert) == 0
    assert JournalEntry.objects.filter(kind="payout").count() == EXPERTS
    assert LedgerAccount.objects.filter(kind="expert_payable").count() == EXPERTS
