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


def seed() -> list[tuple[str, str, str]]:
    funded = Project.objects.filter(
        status__in=[ProjectStatus.FUNDED, ProjectStatus.LIVE, ProjectStatus.PAUSED]
    ).exclude(fundings__status=Funding.Status.SUCCEEDED)
    for project in funded.select_related("organization"):
        _book_demo_funding(project)
    _draft_to_fund()
    return []
