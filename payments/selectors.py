"""Reads for payments, shared by pages, API and tasks."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet, Sum

from accounts.models import Organization
from marketplace.models import Project
from payments.models import Funding, JournalEntry, LedgerAccount, Posting


def ledger_account_raw_balance(*, account: LedgerAccount, as_of: datetime | None = None) -> int:
    """Debits minus credits of the account's postings whose entry is effective at or before
    `as_of` (all of them when None), summed in SQL."""
    qs = Posting.objects.filter(account=account)
    if as_of is not None:
        qs = qs.filter(entry__effective_at__lte=as_of)
    return qs.aggregate(total=Sum("amount"))["total"] or 0


def ledger_account_balance(*, account: LedgerAccount, as_of: datetime | None = None) -> int:
    """The balance in the account's natural sign: what the platform holds at Stripe for an asset
    account; what is owed to the owner (prepaid, escrow, payable) or earned (fees) otherwise."""
    raw = ledger_account_raw_balance(account=account, as_of=as_of)
    return raw if account.is_debit_normal else -raw


def ledger_balances(
    *, accounts: QuerySet[LedgerAccount] | None = None, as_of: datetime | None = None
) -> dict[int, int]:
    """Natural-sign balances of many accounts in one query: {account_id: balance}."""
    qs = Posting.objects.all()
    if accounts is not None:
        qs = qs.filter(account__in=accounts)
    if as_of is not None:
        qs = qs.filter(entry__effective_at__lte=as_of)
    rows = qs.values("account_id", "account__kind").annotate(total=Sum("amount"))
    return {
        r["account_id"]: r["total"]
        if r["account__kind"] in LedgerAccount.DEBIT_NORMAL
        else -r["total"]
        for r in rows
    }


def ledger_total(*, as_of: datetime | None = None) -> int:
    """The sum of every posting: zero in a sound ledger (the trial balance)."""
    qs = Posting.objects.all()
    if as_of is not None:
        qs = qs.filter(entry__effective_at__lte=as_of)
    return qs.aggregate(total=Sum("amount"))["total"] or 0


def project_escrow_balance(*, project: Project, as_of: datetime | None = None) -> int:
    account = LedgerAccount.objects.filter(
        kind=LedgerAccount.Kind.PROJECT_ESCROW,
        currency=project.currency.upper(),
        owner_key=f"project:{project.pk}",
    ).first()
    return ledger_account_balance(account=account, as_of=as_of) if account else 0


def organization_prepaid_balance(
    *, organization: Organization, currency: str, as_of: datetime | None = None
) -> int:
    account = LedgerAccount.objects.filter(
        kind=LedgerAccount.Kind.ORG_PREPAID,
        currency=currency.upper(),
        owner_key=f"organization:{organization.pk}",
    ).first()
    return ledger_account_balance(account=account, as_of=as_of) if account else 0


def fundings_for_project(*, project: Project) -> QuerySet[Funding]:
    return (
        Funding.objects.filter(project=project)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def journal_entries_for_account(*, account: LedgerAccount) -> QuerySet[JournalEntry]:
    return (
        JournalEntry.objects.filter(postings__account=account)
        .distinct()
        .prefetch_related("postings__account")
        .order_by("-effective_at", "-id")
    )


@dataclass(frozen=True)
class ProjectFundingSummary:
    currency: str
    budget_minor: int
    funded_minor: int
    remaining_minor: int
    escrow_minor: int


def project_funding_summary(*, project: Project) -> ProjectFundingSummary:
    from payments.marketplace_port import project_budget_total_minor

    budget = project_budget_total_minor(project)
    funded = (
        Funding.objects.filter(project=project, status=Funding.Status.SUCCEEDED).aggregate(
            t=Sum("amount")
        )["t"]
        or 0
    )
    return ProjectFundingSummary(
        currency=project.currency.upper(),
        budget_minor=budget,
        funded_minor=funded,
        remaining_minor=max(budget - funded, 0),
        escrow_minor=project_escrow_balance(project=project),
    )


# --- earnings, pay stubs, payouts ---------------------------------------------------------------


@dataclass(frozen=True)
class PayStub:
    """One expert's earnings in one project."""

    project_id: int
    project_title: str
    organization: str
    currency: str
    tasks: int
    active_seconds: int
    pay_minor: int
    fees_minor: int
    topups_minor: int
    bonuses_minor: int
    pay_per_task_minor: int
    own_hourly_minor: int | None
    project_hourly_minor: int | None
    floor_minor: int | None
    topup_per_task_minor: int

    @property
    def total_minor(self) -> int:
        return self.pay_minor + self.topups_minor + self.bonuses_minor

    @property
    def own_hourly_with_topups_minor(self) -> int | None:
        if not self.active_seconds:
            return None
        return (self.pay_minor + self.topups_minor) * 3600 // self.active_seconds

    @property
    def active_hours(self) -> float:
        return self.active_seconds / 3600


def _payable_sums(expert, kind: str) -> dict[int, int]:
    from django.db.models import BigIntegerField
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast

    rows = (
        Posting.objects.filter(
            account__kind=LedgerAccount.Kind.EXPERT_PAYABLE, account__user=expert, entry__kind=kind
        )
        .annotate(
            project_id=Cast(KeyTextTransform("project_id", "entry__metadata"), BigIntegerField())
        )
        .values("project_id")
        .annotate(total=Sum("amount"))
    )
    return {r["project_id"]: -r["total"] for r in rows if r["project_id"] is not None}


def pay_stubs_for_expert(*, expert, project_id: int | None = None) -> list[PayStub]:
    """Per project the expert worked on: accepted tasks, active time, pay, fees (charged to the
    company on top), top-ups, bonuses, own effective hourly rate and the project's."""
    from django.db.models import BigIntegerField, Count
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast

    from labeling.models import Annotation
    from payments.models import FairPayAudit, FairPayCredit

    work = Annotation.objects.filter(expert=expert, review_status=Annotation.Review.ACCEPTED)
    if project_id is not None:
        work = work.filter(project_id=project_id)
    per_project = {
        r["project_id"]: r
        for r in work.values("project_id").annotate(n=Count("id"), secs=Sum("active_seconds"))
    }
    pay = _payable_sums(expert, "earning")
    bonuses = _payable_sums(expert, "bonus")
    fee_rows = (
        Posting.objects.filter(
            account__kind=LedgerAccount.Kind.EXPERT_PAYABLE,
            account__user=expert,
            entry__kind="earning",
        )
        .annotate(
            project_id=Cast(KeyTextTransform("project_id", "entry__metadata"), BigIntegerField()),
            fee=Cast(KeyTextTransform("fee", "entry__metadata"), BigIntegerField()),
        )
        .values("project_id")
        .annotate(total=Sum("fee"))
    )
    fees = {r["project_id"]: r["total"] or 0 for r in fee_rows}
    topups = dict(
        FairPayCredit.objects.filter(expert=expert)
        .values("project_id")
        .annotate(t=Sum("amount_minor"))
        .values_list("project_id", "t")
    )
    ids = set(per_project) | set(bonuses) | set(topups)
    if project_id is not None:
        ids &= {project_id}
    projects = {p.pk: p for p in Project.objects.filter(pk__in=ids).select_related("organization")}
    latest: dict[int, FairPayAudit] = {}
    for audit in FairPayAudit.objects.filter(project_id__in=ids).order_by("project_id", "-seq"):
        latest.setdefault(audit.project_id, audit)
    stubs = []
    for pid in sorted(ids, key=lambda i: projects[i].title if i in projects else ""):
        p = projects.get(pid)
        if p is None:
            continue
        row = per_project.get(pid, {"n": 0, "secs": 0})
        secs = row["secs"] or 0
        paid = pay.get(pid, 0)
        audit = latest.get(pid)
        stubs.append(
            PayStub(
                project_id=pid,
                project_title=p.title,
                organization=p.organization.name,
                currency=p.currency.upper(),
                tasks=row["n"],
                active_seconds=secs,
                pay_minor=paid,
                fees_minor=fees.get(pid, 0),
                topups_minor=topups.get(pid, 0),
                bonuses_minor=bonuses.get(pid, 0),
                pay_per_task_minor=p.pay_per_task_minor,
                own_hourly_minor=(paid * 3600 // secs) if secs else None,
                project_hourly_minor=audit.effective_hourly_minor if audit else None,
                floor_minor=audit.floor_minor if audit else None,
                topup_per_task_minor=audit.topup_per_task_minor if audit else 0,
            )
        )
    return stubs


def pay_stub_for_expert(*, expert, project_id: int) -> PayStub:
    """The expert's own stub for one project; 404 when they have none there."""
    from django.http import Http404

    stubs = pay_stubs_for_expert(expert=expert, project_id=project_id)
    if not stubs:
        raise Http404
    return stubs[0]


def expert_balances(*, expert) -> dict[str, int]:
    accounts = LedgerAccount.objects.filter(
        kind=LedgerAccount.Kind.EXPERT_PAYABLE, owner_key=f"user:{expert.pk}"
    )
    balances = ledger_balances(accounts=accounts)
    return {a.currency: balances.get(a.pk, 0) for a in accounts}


def payouts_for_expert(*, expert):
    from payments.models import Payout

    return Payout.objects.filter(expert=expert).order_by("-created_at", "-id")


def payout_get_for_expert(*, expert, payout_id: int):
    from django.shortcuts import get_object_or_404

    from payments.models import Payout

    return get_object_or_404(Payout, pk=payout_id, expert=expert)


def ledger_lines_for_expert(*, expert) -> QuerySet[Posting]:
    return (
        Posting.objects.filter(
            account__kind=LedgerAccount.Kind.EXPERT_PAYABLE, account__user=expert
        )
        .select_related("entry", "account")
        .order_by("-entry__effective_at", "-entry_id")
    )


# --- company spend -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectSpend:
    project: Project
    currency: str
    funded_minor: int
    escrow_minor: int
    earnings_minor: int
    topups_minor: int
    bonuses_minor: int
    refunded_minor: int

    @property
    def spent_minor(self) -> int:
        return self.earnings_minor + self.topups_minor + self.bonuses_minor


def spend_by_project(*, projects: QuerySet[Project]) -> list[ProjectSpend]:
    """Per project: paid in, escrow left, and what left escrow by kind (in SQL, one query for
    the escrow movements)."""
    projects = list(projects.select_related("organization"))
    keys = {f"project:{p.pk}": p for p in projects}
    moves = (
        Posting.objects.filter(
            account__kind=LedgerAccount.Kind.PROJECT_ESCROW, account__owner_key__in=list(keys)
        )
        .values("account__owner_key", "entry__kind")
        .annotate(total=Sum("amount"))
    )
    by: dict[tuple[str, str], int] = {}
    for r in moves:
        by[(r["account__owner_key"], r["entry__kind"])] = r["total"]
    funded = dict(
        Funding.objects.filter(project__in=projects, status=Funding.Status.SUCCEEDED)
        .values("project_id")
        .annotate(t=Sum("amount"))
        .values_list("project_id", "t")
    )
    out = []
    for key, p in keys.items():
        kinds = {k: v for (o, k), v in by.items() if o == key}
        escrow = -sum(kinds.values())
        out.append(
            ProjectSpend(
                project=p,
                currency=p.currency.upper(),
                funded_minor=funded.get(p.pk, 0),
                escrow_minor=escrow,
                earnings_minor=kinds.get("earning", 0),
                topups_minor=kinds.get("fair_pay_topup", 0),
                bonuses_minor=kinds.get("bonus", 0),
                refunded_minor=kinds.get("refund", 0),
            )
        )
    return out


def fundings_for_organizations(*, user) -> QuerySet[Funding]:
    qs = (
        Funding.objects.all()
        if user.is_staff
        else Funding.objects.filter(organization__memberships__user=user)
    )
    return qs.select_related("project", "organization").order_by("-created_at", "-id")


# --- staff pay audit -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectRates:
    project_id: int
    title: str
    currency: str
    project_hourly_minor: int | None
    floor_minor: int | None
    low_minor: int | None
    high_minor: int | None
    experts: int


def _quantile(values: list[int], q: float) -> int | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]


def effective_hourly_by_project(*, limit: int = 30) -> list[ProjectRates]:
    """Per project with fair-pay audits: the project's effective hourly rate (latest audit), the
    floor, and the 10th–90th percentile of experts' own rates (pay × tasks ÷ their time)."""
    from django.db.models import Count

    from labeling.models import Annotation
    from payments.models import FairPayAudit

    latest: dict[int, FairPayAudit] = {}
    for audit in FairPayAudit.objects.select_related("project").order_by("project_id", "-seq"):
        latest.setdefault(audit.project_id, audit)
    pids = sorted(latest, key=lambda pid: -latest[pid].computed_at.timestamp())[:limit]
    rows = (
        Annotation.objects.filter(project_id__in=pids, review_status=Annotation.Review.ACCEPTED)
        .values("project_id", "expert_id")
        .annotate(n=Count("id"), secs=Sum("active_seconds"))
    )
    rates: dict[int, list[int]] = {pid: [] for pid in pids}
    for r in rows:
        if r["secs"]:
            pay = latest[r["project_id"]].pay_per_task_minor
            rates[r["project_id"]].append(r["n"] * pay * 3600 // r["secs"])
    return [
        ProjectRates(
            project_id=pid,
            title=latest[pid].project.title,
            currency=latest[pid].currency,
            project_hourly_minor=latest[pid].effective_hourly_minor,
            floor_minor=latest[pid].floor_minor,
            low_minor=_quantile(rates[pid], 0.1),
            high_minor=_quantile(rates[pid], 0.9),
            experts=len(rates[pid]),
        )
        for pid in pids
    ]


def projects_under_floor():
    from payments.models import FairPayAudit

    latest: dict[int, FairPayAudit] = {}
    for audit in FairPayAudit.objects.select_related("project").order_by("project_id", "-seq"):
        latest.setdefault(audit.project_id, audit)
    return [a for a in latest.values() if a.under_floor]


def ledger_entries(
    *, kind: str = "", owner_key: str = "", key_contains: str = ""
) -> QuerySet[JournalEntry]:
    qs = JournalEntry.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if owner_key:
        qs = qs.filter(postings__account__owner_key=owner_key).distinct()
    if key_contains:
        qs = qs.filter(idempotency_key__icontains=key_contains)
    return qs.prefetch_related("postings__account").order_by("-effective_at", "-id")
