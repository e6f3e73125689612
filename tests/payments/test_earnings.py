"""Earnings: accepted annotations earn their pay once (escrow → payable + platform fee)."""

import pytest
from django.conf import settings

from labeling import hooks
from labeling.models import Annotation
from marketplace.models import ProjectStatus
from payments import selectors, services
from payments.exceptions import IdempotencyConflict  # noqa: F401 - documents the guard
from payments.models import EntryKind, JournalEntry, Posting
from tests.conftest import api_as
from tests.marketplace.factories import make_project
from tests.payments.money import accepted_work, fund_escrow, funded_project, payable

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(organization, owner):
    return funded_project(organization, owner, 100_000)


def test_an_accepted_annotation_earns_pay_and_fee_in_one_entry(live, expert):
    (a,) = accepted_work(live, expert, 1)
    assert services.earnings_post(annotation_ids=[a.pk]) == 1
    entry = JournalEntry.objects.get(idempotency_key=f"earning:annotation:{a.pk}")
    assert entry.kind == EntryKind.EARNING
    fee = 500 * settings.PLUMBLINE_PLATFORM_FEE_BPS // 10000
    amounts = sorted(p.amount for p in entry.postings.all())
    assert amounts == sorted([500 + fee, -500, -fee])
    assert payable(expert) == 500
    assert selectors.project_escrow_balance(project=live) == 100_000 - 500 - fee
    assert selectors.ledger_total() == 0


def test_an_annotation_accepted_twice_earns_once(live, expert):
    (a,) = accepted_work(live, expert, 1)
    # The acceptance is retried: the hook fires twice, the task runs twice, the sweep runs too.
    assert services.earnings_post(annotation_ids=[a.pk]) == 1
    assert services.earnings_post(annotation_ids=[a.pk]) == 0
    assert services.earnings_post() == 0
    assert JournalEntry.objects.filter(kind=EntryKind.EARNING).count() == 1
    assert payable(expert) == 500


def test_the_one_by_one_path_posts_the_same_entry(live, expert):
    from payments.services.earnings import earning_post_one

    (a,) = accepted_work(live, expert, 1)
    first = earning_post_one(a)
    assert services.earnings_post(annotation_ids=[a.pk]) == 0
    assert earning_post_one(a).pk == first.pk
    assert payable(expert) == 500


def test_gold_tasks_earn_like_any_other_and_pending_or_rejected_do_not(live, expert):
    accepted_work(live, expert, 2, gold=True)
    accepted_work(live, expert, 3)
    accepted_work(live, expert, 4, status=Annotation.Review.PENDING)
    accepted_work(live, expert, 1, status=Annotation.Review.REJECTED)
    assert services.earnings_post(project_id=live.pk) == 5
    assert payable(expert) == 5 * 500


def test_an_overturned_rejection_earns(live, expert):
    (a,) = accepted_work(live, expert, 1, status=Annotation.Review.REJECTED)
    assert services.earnings_post(annotation_ids=[a.pk]) == 0
    Annotation.objects.filter(pk=a.pk).update(review_status="accepted", reviewed_at=a.submitted_at)
    assert services.earnings_post(annotation_ids=[a.pk]) == 1
    assert payable(expert) == 500


def test_the_acceptance_hook_enqueues_the_earnings_task_on_commit(
    live, expert, django_capture_on_commit_callbacks, eager_celery
):
    from payments.apps import _earn_on_acceptance

    assert _earn_on_acceptance in hooks.on_annotations_accepted
    (a,) = accepted_work(live, expert, 1)
    with django_capture_on_commit_callbacks(execute=True):
        hooks.annotations_accepted_notify([a.pk, a.pk])
    assert payable(expert) == 500


def test_the_sweep_uses_a_cursor_and_is_idempotent(live, expert):
    from payments.tasks import earnings_settle

    accepted_work(live, expert, 3)
    assert earnings_settle() == 3
    assert earnings_settle() == 0
    assert earnings_settle(full=True) == 0


def test_bonus_from_escrow_with_a_note(live, expert, owner, other_expert):
    accepted_work(live, expert, 1)
    key = "7b8e8d2e-7d43-4b55-9a0b-6f6f0b7d0c11"
    entry = services.bonus_grant(
        project=live,
        expert=expert,
        amount=1_000,
        note="Great rationales",
        actor=owner,
        idempotency_key=key,
    )
    again = services.bonus_grant(
        project=live,
        expert=expert,
        amount=1_000,
        note="Great rationales",
        actor=owner,
        idempotency_key=key,
    )
    assert again.pk == entry.pk and entry.kind == EntryKind.BONUS
    assert payable(expert) == 1_000
    from core.exceptions import DomainError

    with pytest.raises(DomainError):
        services.bonus_grant(project=live, expert=other_expert, amount=100, note="x", actor=owner)
    with pytest.raises(DomainError):
        services.bonus_grant(project=live, expert=expert, amount=100, note="", actor=owner)


def test_staff_adjustments_need_a_reason_and_staff(expert, staff, owner):
    from core.exceptions import DomainError

    with pytest.raises(DomainError):
        services.adjustment_post(expert=expert, amount=500, currency="USD", reason="", actor=staff)
    with pytest.raises(DomainError):
        services.adjustment_post(expert=expert, amount=500, currency="USD", reason="x", actor=owner)
    services.adjustment_post(
        expert=expert, amount=500, currency="USD", reason="Missed task #12", actor=staff
    )
    assert payable(expert) == 500
    with pytest.raises(DomainError):
        services.adjustment_post(
            expert=expert, amount=-501, currency="USD", reason="too much", actor=staff
        )
    services.adjustment_post(expert=expert, amount=-200, currency="USD", reason="dup", actor=staff)
    assert payable(expert) == 300


def test_claims_stop_when_the_escrow_is_exhausted_and_the_company_is_told(
    organization, owner, expert, mailoutbox, django_capture_on_commit_callbacks
):
    from marketplace.services import check_expert_can_work

    project = make_project(
        organization,
        actor=owner,
        status=ProjectStatus.LIVE,
        pay_per_task_minor=500,
        estimated_minutes=10,
        item_count=4,
        overlap=1,
    )
    per_task = 500 + 500 * settings.PLUMBLINE_PLATFORM_FEE_BPS // 10000
    from payments.marketplace_port import project_fair_pay_reserve_minor

    reserve = project_fair_pay_reserve_minor(project)
    fund_escrow(project, 2 * per_task + reserve)
    assert services.project_spend_check(project_id=project.pk) is False
    accepted_work(project, expert, 2)
    services.earnings_post(project_id=project.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.project_spend_check(project_id=project.pk) is True
    project.refresh_from_db()
    assert project.spend_blocked and "escrow" in project.spend_blocked_reason
    from core.exceptions import InvalidState

    with pytest.raises(InvalidState, match="escrow is used up"):
        check_expert_can_work(project=project, expert=expert)
    assert any("needs more funds" in m.subject for m in mailoutbox)
    fund_escrow(project, 10 * per_task, tag="more")
    assert services.project_spend_check(project_id=project.pk) is False
    project.refresh_from_db()
    assert not project.spend_blocked


def test_projects_funded_outside_the_ledger_are_never_blocked(organization, owner):
    project = make_project(organization, actor=owner, status=ProjectStatus.LIVE)
    assert services.project_spend_check(project_id=project.pk) is None


def test_company_members_grant_bonuses_through_the_api(live, expert, owner, other_owner):
    accepted_work(live, expert, 1)
    url = f"/api/v1/projects/{live.pk}/bonuses/"
    body = {"expert": expert.pk, "amount": 700, "note": "Thanks"}
    assert api_as(other_owner).post(url, body, format="json").status_code == 404
    response = api_as(owner).post(url, body, format="json")
    assert response.status_code == 201, response.content
    assert payable(expert) == 700
    assert Posting.objects.filter(entry__kind=EntryKind.BONUS).count() == 2


def test_bulk_rows_are_checked_at_the_end_of_their_statement(live, expert):
    """The set-based path skips the per-row deferred check, not the check: an unbalanced bulk
    entry is refused by the statement-level trigger."""
    from django.db import IntegrityError, connection, transaction

    from payments.models import LedgerAccount

    escrow = LedgerAccount.objects.get(kind="project_escrow", project=live)
    with (
        pytest.raises(IntegrityError, match="invalid"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            """
                WITH e AS (
                    INSERT INTO payments_journalentry (idempotency_key, kind, currency,
                        description, effective_at, created_at, metadata, bulk)
                    VALUES ('forged', 'earning', 'USD', '', now(), now(), '{}', true)
                    RETURNING id)
                INSERT INTO payments_posting (entry_id, account_id, amount, bulk)
                SELECT id, %s, 100, true FROM e
                """,
            [escrow.pk],
        )
