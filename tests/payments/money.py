"""Helpers for the earnings, fair-pay and payout tests: accepted work and escrow, written directly
(labeling's review flow has its own tests; here only the resulting rows matter)."""

from django.utils import timezone

from labeling.models import Annotation, Assignment, Item
from marketplace.models import Project, ProjectStatus
from payments.models import EntryKind, Funding, LedgerAccount
from payments.services import credit, debit, journal_entry_post, ledger_account_ensure
from tests.marketplace.factories import make_project

Kind = LedgerAccount.Kind
_counter = {"n": 0}


def accepted_work(
    project: Project,
    expert,
    n: int,
    *,
    seconds: int = 600,
    gold: bool = False,
    status: str = Annotation.Review.ACCEPTED,
) -> list[Annotation]:
    """n annotations by `expert` in `project`, accepted now (or in `status`)."""
    now = timezone.now()
    start = _counter["n"]
    _counter["n"] += n
    items = Item.objects.bulk_create(
        Item(
            project=project,
            external_id=f"w-{expert.pk}-{start + i}",
            payload={"prompt": "?", "response_a": "a", "response_b": "b"},
            open_slots=0,
            is_gold=gold,
            gold_answer={"choice": "a", "strength": 2} if gold else None,
        )
        for i in range(n)
    )
    assignments = Assignment.objects.bulk_create(
        Assignment(
            project=project,
            item=item,
            expert=expert,
            status=Assignment.Status.SUBMITTED,
            is_gold=gold,
            lease_expires_at=now,
            finished_at=now,
        )
        for item in items
    )
    return Annotation.objects.bulk_create(
        Annotation(
            assignment=a,
            project=project,
            item=a.item,
            expert=expert,
            response={"choice": "a", "strength": 1},
            active_seconds=seconds,
            review_status=status,
            reviewed_at=now if status == Annotation.Review.ACCEPTED else None,
            review_due_at=now,
        )
        for a in assignments
    )


def funded_project(organization, owner, escrow: int, **overrides) -> Project:
    """A live project paying 5.00 a task (overlap 1) with `escrow` in its escrow account."""
    fields = {"pay_per_task_minor": 500, "estimated_minutes": 10, "item_count": 100, "overlap": 1}
    project = make_project(
        organization, actor=owner, status=ProjectStatus.LIVE, **{**fields, **overrides}
    )
    fund_escrow(project, escrow)
    return project


def fund_escrow(project: Project, amount: int, *, tag: str = "") -> Funding:
    """Book a succeeded funding of `amount` into the project's escrow (no Stripe)."""
    currency = project.currency.upper()
    pi = f"pi_test_{project.pk}_{tag or amount}"
    funding = Funding.objects.create(
        organization=project.organization,
        project=project,
        amount=amount,
        currency=currency,
        payment_intent_id=pi,
        status=Funding.Status.SUCCEEDED,
        succeeded_at=timezone.now(),
    )
    stripe_balance = ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency=currency)
    prepaid = ledger_account_ensure(
        kind=Kind.ORG_PREPAID, currency=currency, organization=project.organization
    )
    escrow = ledger_account_ensure(kind=Kind.PROJECT_ESCROW, currency=currency, project=project)
    journal_entry_post(
        idempotency_key=f"funding:{pi}:received",
        kind=EntryKind.FUNDING_RECEIVED,
        currency=currency,
        lines=[debit(stripe_balance, amount), credit(prepaid, amount)],
    )
    journal_entry_post(
        idempotency_key=f"funding:{pi}:escrow",
        kind=EntryKind.ESCROW_ALLOCATION,
        currency=currency,
        lines=[debit(prepaid, amount), credit(escrow, amount)],
    )
    return funding


def payable(expert, currency: str = "USD") -> int:
    from payments.services.payouts import payable_balance

    return payable_balance(expert=expert, currency=currency)
