"""Demo money: the live demo projects get the escrow their budgets call for (booked as payments
made before the demo started), and Acme AI gets one draft project to fund with the
"Pay with a test card" button (against localstripe, see docs/payments.md).

Idempotent: fundings are found by their (fake) PaymentIntent ids, ledger entries by their keys.
"""

from django.utils import timezone

from accounts.models import Membership, Role
from marketplace import services as marketplace_services
from marketplace.models import Project, ProjectStatus
from payments.marketplace_port import project_budget_total_minor
from payments.models import EntryKind, Funding, LedgerAccount
from payments.services import credit, debit, journal_entry_post, ledger_account_ensure

Kind = LedgerAccount.Kind

DRAFT_TITLE = "Rate chatbot answers to small-business tax questions"


def _book_demo_funding(project: Project) -> None:
    amount = project_budget_total_minor(project)
    if amount <= 0:
        return
    pi = f"pi_demo_project_{project.pk}"
    currency = project.currency.upper()
    funding, _ = Funding.objects.get_or_create(
        payment_intent_id=pi,
        defaults={
            "organization": project.organization,
            "project": project,
            "amount": amount,
            "currency": currency,
            "status": Funding.Status.SUCCEEDED,
            "succeeded_at": project.funded_at or timezone.now(),
        },
    )
    stripe_balance = ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency=currency)
    prepaid = ledger_account_ensure(
        kind=Kind.ORG_PREPAID, currency=currency, organization=project.organization
    )
    escrow = ledger_account_ensure(kind=Kind.PROJECT_ESCROW, currency=currency, project=project)
    meta = {"funding_id": funding.pk, "payment_intent": pi, "demo": True}
    journal_entry_post(
        idempotency_key=f"funding:{pi}:received",
        kind=EntryKind.FUNDING_RECEIVED,
        currency=currency,
        lines=[debit(stripe_balance, funding.amount), credit(prepaid, funding.amount)],
        description="Demo payment",
        metadata=meta,
    )
    journal_entry_post(
        idempotency_key=f"funding:{pi}:escrow",
        kind=EntryKind.ESCROW_ALLOCATION,
        currency=currency,
        lines=[debit(prepaid, funding.amount), credit(escrow, funding.amount)],
        description=f"Escrow for project #{project.pk}",
        metadata=meta,
    )


def _draft_to_fund() -> None:
    membership = (
        Membership.objects.filter(organization__slug="acme-ai", role=Role.OWNER)
        .select_related("organization", "user")
        .first()
    )
    if membership is None:
        return
    if Project.objects.filter(organization=membership.organization, title=DRAFT_TITLE).exists():
        return
    marketplace_services.project_create(
        organization=membership.organization,
        actor=membership.user,
        data={
            "title": DRAFT_TITLE,
            "summary": "Is the answer correct and safe for a sole trader? Waiting for its escrow.",
            "task_type": "pairwise",
            "instructions": "Pick the answer a careful accountant would give.",
            "pay_per_task_minor": 400,
            "estimated_minutes": 8,
            "item_count": 50,
            "overlap": 2,
            "currency": "USD",
        },
    )


SLOW_TITLE = "Critique long contract clauses (slow work, topped up)"
SLOW_EXPERT = "lena.law@experts.example"


def _slow_project() -> None:
    """A funded project whose accepted work took a median 60 minutes for 12.00 a task: under
    the 15.00/h floor, so its settlement tops every task up by 3.00 (shown to lena.law)."""
    from accounts.models import User
    from labeling.models import Annotation, Assignment, Item

    expert = User.objects.filter(email=SLOW_EXPERT).first()
    owner = (
        Membership.objects.filter(organization__slug="acme-ai", role=Role.OWNER)
        .select_related("organization", "user")
        .first()
    )
    if expert is None or owner is None:
        return
    if Project.objects.filter(title=SLOW_TITLE).exists():
        return
    project = marketplace_services.project_create(
        organization=owner.organization,
        actor=owner.user,
        data={
            "title": SLOW_TITLE,
            "summary": "Write a critique of each clause and a safer revision.",
            "task_type": "free_text",
            "instructions": "Critique the clause, then revise it.",
            "pay_per_task_minor": 1200,
            "estimated_minutes": 45,
            "item_count": 8,
            "overlap": 1,
            "currency": "USD",
        },
    )
    project = marketplace_services.project_mark_funded(project=project, actor=None)
    project = marketplace_services.project_transition(
        project=project, actor=owner.user, to_status="live"
    )
    _book_demo_funding(project)
    now = timezone.now()
    items = Item.objects.bulk_create(
        Item(
            project=project,
            external_id=f"clause-{i}",
            payload={"prompt": f"Clause {i}"},
            open_slots=0,
            submitted_count=1,
        )
        for i in range(6)
    )
    for i, item in enumerate(items):
        assignment = Assignment.objects.create(
            project=project,
            item=item,
            expert=expert,
            status=Assignment.Status.SUBMITTED,
            lease_expires_at=now,
            finished_at=now,
        )
        Annotation.objects.create(
            assignment=assignment,
            project=project,
            item=item,
            expert=expert,
            response={"text": "Critique and revision."},
            active_seconds=(50 + 4 * i) * 60,
            review_status=Annotation.Review.ACCEPTED,
            reviewed_at=now,
            review_due_at=now,
        )


def _earnings_topup_and_payout() -> None:
    """Earnings of the accepted demo work, one fair-pay settlement per project with accepted work
    (a slow project gets its top-up), and one paid payout for the expert who earned most; all
    through the services, under deterministic keys, without calling Stripe."""
    from django.db.models import Count

    from labeling.models import Annotation
    from payments.models import Payout, PayoutAccount
    from payments.services import earnings_post, fairpay_settle
    from payments.services.payouts import payable_balance

    earnings_post(check_spend=False)
    projects = (
        Annotation.objects.filter(review_status=Annotation.Review.ACCEPTED)
        .values_list("project_id", flat=True)
        .distinct()
    )
    from payments.models import FairPayAudit

    for pid in sorted(set(projects)):
        if not FairPayAudit.objects.filter(project_id=pid).exists():
            fairpay_settle(project_id=pid)
    from accounts.models import User

    lena = User.objects.filter(email=SLOW_EXPERT).values_list("pk", flat=True).first()
    top = (
        Annotation.objects.filter(review_status=Annotation.Review.ACCEPTED)
        .values("expert_id")
        .annotate(n=Count("id"))
        .order_by("-n", "expert_id")
        .first()
    )
    if lena is None and top is None:
        return
    expert_id = lena or top["expert_id"]
    account, _ = PayoutAccount.objects.get_or_create(
        expert_id=expert_id,
        defaults={
            "stripe_account_id": f"acct_demo_{expert_id}",
            "status": PayoutAccount.Status.ACTIVE,
            "details_submitted": True,
            "payouts_enabled": True,
            "transfers_active": True,
        },
    )
    if Payout.objects.filter(expert_id=expert_id, batch="demo").exists():
        return
    amount = payable_balance(expert=expert_id, currency="USD") // 2
    if amount <= 0:
        return
    payout = Payout.objects.create(
        expert_id=expert_id,
        amount=amount,
        currency="USD",
        status=Payout.Status.PAID,
        batch="demo",
        stripe_account_id=account.stripe_account_id,
        stripe_transfer_id=f"tr_demo_{expert_id}",
        submitted_at=timezone.now(),
        paid_at=timezone.now(),
    )
    payable = ledger_account_ensure(kind=Kind.EXPERT_PAYABLE, currency="USD", user=payout.expert)
    stripe_balance = ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency="USD")
    journal_entry_post(
        idempotency_key=payout.idempotency_key,
        kind=EntryKind.PAYOUT,
        currency="USD",
        lines=[debit(payable, amount), credit(stripe_balance, amount)],
        description=f"Demo payout #{payout.pk}",
        metadata={"payout_id": payout.pk, "demo": True},
    )


def seed() -> list[tuple[str, str, str]]:
    funded = Project.objects.filter(
        status__in=[ProjectStatus.FUNDED, ProjectStatus.LIVE, ProjectStatus.PAUSED]
    ).exclude(fundings__status=Funding.Status.SUCCEEDED)
    for project in funded.select_related("organization"):
        _book_demo_funding(project)
    _draft_to_fund()
    _slow_project()
    _earnings_topup_and_payout()
    return []
