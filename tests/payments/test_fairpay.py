"""Fair pay: below the floor, every accepted task is topped up from the reserve, once."""

import pytest
from django.test import override_settings

from marketplace.models import ProjectStatus
from payments import services
from payments.models import EntryKind, FairPayAudit, FairPayCredit, JournalEntry
from payments.services.fairpay import topup_per_task_minor
from tests.marketplace.factories import make_project
from tests.payments.money import accepted_work, fund_escrow, payable

pytestmark = pytest.mark.django_db


@pytest.fixture
def twelve_dollar_tasks(organization, owner):
    # 12.00 per task, estimated 45 minutes (16.00/h on paper); the floor is 15.00/h.
    with override_settings(PLUMBLINE_MIN_HOURLY_RATE_MINOR=1500):
        project = make_project(
            organization,
            actor=owner,
            status=ProjectStatus.LIVE,
            pay_per_task_minor=1200,
            estimated_minutes=45,
            item_count=100,
            overlap=1,
        )
    fund_escrow(project, 1_000_000)
    return project


def test_the_topup_arithmetic():
    assert (
        topup_per_task_minor(pay_per_task_minor=1200, median_seconds=3600, floor_minor=1500) == 300
    )
    assert topup_per_task_minor(pay_per_task_minor=1200, median_seconds=2400, floor_minor=1500) == 0
    # rounded up in the expert's favour
    assert topup_per_task_minor(pay_per_task_minor=1000, median_seconds=2401, floor_minor=1500) == 1


@override_settings(PLUMBLINE_MIN_HOURLY_RATE_MINOR=1500)
def test_twelve_dollars_for_a_sixty_minute_median_under_a_fifteen_dollar_floor_tops_up_three(
    twelve_dollar_tasks, expert, other_expert
):
    project = twelve_dollar_tasks
    accepted_work(project, expert, 3, seconds=3600)
    accepted_work(project, other_expert, 1, seconds=1800)  # fast: topped up all the same
    accepted_work(project, other_expert, 1, seconds=5400)
    audit = services.fairpay_settle(project_id=project.pk)
    assert audit.median_active_seconds == 3600
    assert audit.effective_hourly_minor == 1200
    assert audit.floor_minor == 1500
    assert audit.topup_per_task_minor == 300
    assert audit.tasks == 5
    assert audit.total_minor == 5 * 300
    assert audit.experts_topped_up == 2
    assert audit.reserve_after_minor == audit.reserve_before_minor - 1500
    assert payable(expert) == 3 * 1200 + 3 * 300
    assert payable(other_expert) == 2 * 1200 + 2 * 300
    keys = set(
        JournalEntry.objects.filter(kind=EntryKind.FAIR_PAY_TOPUP).values_list(
            "idempotency_key", flat=True
        )
    )
    assert keys == {
        f"fairpay:{project.pk}:{expert.pk}:1",
        f"fairpay:{project.pk}:{other_expert.pk}:1",
    }

    # Re-running adds nothing; new accepted work is topped up by the next settlement only.
    again = services.fairpay_settle(project_id=project.pk)
    assert again.seq == 2 and again.total_minor == 0
    accepted_work(project, expert, 1, seconds=3600)
    third = services.fairpay_settle(project_id=project.pk)
    assert third.total_minor == 300 and third.experts_topped_up == 1
    assert payable(expert) == 4 * 1500
    assert FairPayCredit.objects.filter(expert=expert).count() == 2
    from payments.selectors import ledger_total

    assert ledger_total() == 0


@override_settings(PLUMBLINE_MIN_HOURLY_RATE_MINOR=1500)
def test_above_the_floor_nothing_is_topped_up_but_the_audit_is_recorded(
    twelve_dollar_tasks, expert
):
    accepted_work(twelve_dollar_tasks, expert, 4, seconds=1200)
    audit = services.fairpay_settle(project_id=twelve_dollar_tasks.pk)
    assert audit.topup_per_task_minor == 0 and audit.total_minor == 0
    assert audit.effective_hourly_minor == 3600
    assert not FairPayCredit.objects.exists()


@override_settings(PLUMBLINE_MIN_HOURLY_RATE_MINOR=1500, PLUMBLINE_FAIR_PAY_RESERVE_ALERT_BPS=9000)
def test_the_company_is_told_before_the_reserve_runs_out(
    twelve_dollar_tasks, expert, mailoutbox, django_capture_on_commit_callbacks
):
    accepted_work(twelve_dollar_tasks, expert, 20, seconds=3600)
    with django_capture_on_commit_callbacks(execute=True):
        audit = services.fairpay_settle(project_id=twelve_dollar_tasks.pk)
    assert audit.reserve_alert_sent and audit.reserve_after_minor > 0
    assert any("fair-pay reserve" in m.subject for m in mailoutbox)
    assert FairPayAudit.objects.filter(reserve_alert_sent=True).count() == 1


@override_settings(PLUMBLINE_MIN_HOURLY_RATE_MINOR=1500)
def test_the_scheduled_settlement_settles_projects_with_new_work_only(
    twelve_dollar_tasks, expert, eager_celery
):
    from payments.tasks import fairpay_settle_due

    accepted_work(twelve_dollar_tasks, expert, 2, seconds=3600)
    assert fairpay_settle_due() == 1
    assert fairpay_settle_due() == 0
    assert payable(expert) == 2 * 1500


@override_settings(PLUMBLINE_MIN_HOURLY_RATE_MINOR=1500)
def test_a_batch_settles_each_project_by_its_own_median_in_one_go(
    twelve_dollar_tasks, organization, owner, expert, other_expert
):
    """fairpay_settle_projects (the scheduled path) computes every project's top-ups in one
    statement: each project by its own median, sequence and escrow; a re-run adds nothing."""
    slow = twelve_dollar_tasks
    with override_settings(PLUMBLINE_MIN_HOURLY_RATE_MINOR=1500):
        fast = make_project(
            organization,
            actor=owner,
            status=ProjectStatus.LIVE,
            pay_per_task_minor=1200,
            estimated_minutes=45,
            item_count=100,
            overlap=1,
        )
    fund_escrow(fast, 1_000_000)
    assert services.fairpay_settle(project_id=slow.pk) is None  # no accepted work: no audit
    accepted_work(slow, expert, 2, seconds=4800)  # 80 min: ⌈15.00 × 80/60⌉ − 12.00 = 8.00
    accepted_work(slow, other_expert, 1, seconds=4800)
    accepted_work(fast, expert, 3, seconds=1800)  # 24.00/h: no top-up
    audits = services.fairpay_settle_projects(project_ids=[fast.pk, slow.pk])
    assert audits[slow.pk].seq == 1 and audits[fast.pk].seq == 1  # the first had no work
    assert audits[slow.pk].topup_per_task_minor == 800
    assert (audits[slow.pk].total_minor, audits[slow.pk].experts_topped_up) == (2400, 2)
    assert (audits[fast.pk].total_minor, audits[fast.pk].experts_topped_up) == (0, 0)
    assert payable(expert) == 5 * 1200 + 2 * 800
    assert payable(other_expert) == 1200 + 800
    assert set(
        FairPayCredit.objects.values_list("project_id", "expert_id", "amount_minor", "entry__kind")
    ) == {
        (slow.pk, expert.pk, 1600, EntryKind.FAIR_PAY_TOPUP),
        (slow.pk, other_expert.pk, 800, EntryKind.FAIR_PAY_TOPUP),
    }
    again = services.fairpay_settle_projects(project_ids=[slow.pk, fast.pk])
    assert [again[p].total_minor for p in (slow.pk, fast.pk)] == [0, 0]
    assert again[slow.pk].seq == 2
    from payments.selectors import ledger_total

    assert ledger_total() == 0
