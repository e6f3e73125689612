"""Reconciliation: ledger payouts and fundings against Stripe's transfers and PaymentIntents."""

import pytest

from marketplace.models import ProjectStatus
from payments import services
from payments.models import Payout
from tests.marketplace.factories import make_project
from tests.payments.money import accepted_work, fund_escrow
from tests.payments.test_payouts import charge_platform, connect

pytestmark = pytest.mark.django_db


def test_a_clean_run_then_a_payout_without_transfer_is_reported(
    localstripe, organization, owner, expert
):
    project = make_project(
        organization,
        actor=owner,
        status=ProjectStatus.LIVE,
        pay_per_task_minor=1000,
        estimated_minutes=10,
        item_count=100,
        overlap=1,
    )
    fund_escrow(project, 100_000)
    charge_platform(50_000)
    connect(expert)
    accepted_work(project, expert, 3)
    services.earnings_post(project_id=project.pk)
    payout = services.payout_execute(payout_id=services.payout_request(expert=expert).pk)
    assert payout.status == Payout.Status.PAID
    report = services.reconciliation_run()
    kinds = {d["kind"] for d in report.differences}
    assert report.transfers_checked == 1 and report.payouts_checked == 1
    assert not kinds & {"duplicate_transfers", "transfer_without_payout", "amount_mismatch"}
    # A payout the ledger thinks was paid but Stripe never saw:
    ghost = Payout.objects.create(
        expert=expert,
        amount=500,
        currency="USD",
        status=Payout.Status.PAID,
        submitted_at=payout.submitted_at.replace(year=2020),
    )
    report = services.reconciliation_run()
    assert {"kind": "payout_without_transfer", "payout": ghost.pk, "status": "paid"} in (
        report.differences
    )
    assert not report.ok
