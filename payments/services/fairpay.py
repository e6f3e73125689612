"""Fair pay, automatic: every accepted task of a project is topped up to the project's hourly
floor when the work took longer than the pay allows.

Per settlement of a project:
- median = the median `active_seconds` of the project's accepted annotations (all experts);
- effective hourly = pay per task × 3600 ÷ median;
- below the floor, top-up per task = ⌈floor × median ÷ 3600⌉ − pay (rounded up, in the expert's
  favour). It is the project's median that counts, not each expert's own time: a fast expert is
  not paid less for being fast, a slow one not more for being slow;
- each expert is owed top-up per task × their accepted tasks; the settlement posts what is owed
  beyond earlier settlements' top-ups (never less: top-ups are not taken back), one entry per
  expert, key `fairpay:<project>:<expert>:<seq>`, escrow → payable. Re-running adds nothing.

The money comes from the fair-pay reserve the budget keeps in escrow; the company is alerted once
the reserve left falls under PLUMBLINE_FAIR_PAY_RESERVE_ALERT_BPS of it (before it runs out).
A FairPayAudit row records inputs and result. Runs hourly for projects with new accepted work
(`payments.fairpay_settle_due`) and at close (`final=True`).
"""

from __future__ import annotations

import math
import statistics
from fractions import Fraction

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from accounts.services import audit_record
from labeling.models import Annotation
from marketplace.models import Project
from marketplace.money import format_minor
from payments.marketplace_port import project_fair_pay_reserve_minor, project_floor_minor
from payments.models import (
    EntryKind,
    FairPayAudit,
    FairPayCredit,
    JournalEntry,
    LedgerAccount,
    Posting,
)
from payments.services.earnings import company_recipients, earnings_post, ensure_payable_accounts
from payments.services.ledger import ledger_account_ensure

Kind = LedgerAccount.Kind


def median_active_seconds(project_id: int) -> tuple[int, float | None]:
    """(accepted tasks, median active seconds) of a project, computed in the database on
    PostgreSQL (percentile_cont), in Python elsewhere."""
    accepted = Annotation.objects.filter(
        project_id=project_id, review_status=Annotation.Review.ACCEPTED
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY active_seconds) "
                "FROM labeling_annotation WHERE project_id = %s AND review_status = 'accepted'",
                [project_id],
            )
            n, median = cursor.fetchone()
        return int(n), (float(median) if median is not None else None)
    values = list(accepted.values_list("active_seconds", flat=True))
    return len(values), (float(statistics.median(values)) if values else None)


def topup_per_task_minor(
    *, pay_per_task_minor: int, median_seconds: float, floor_minor: int
) -> int:
    """12.00 a task, 60 minutes median, floor 15.00/h → 3.00."""
    if median_seconds <= 0:
        return 0
    owed = math.ceil(Fraction(floor_minor) * Fraction(str(median_seconds)) / 3600)
    return max(owed - pay_per_task_minor, 0)


def effective_hourly(*, pay_minor: int, seconds: float | None) -> int | None:
    if not seconds:
        return None
    return int(Fraction(pay_minor) * 3600 / Fraction(str(seconds)))


@transaction.atomic
def fairpay_settle(*, project_id: int, final: bool = False) -> FairPayAudit | None:
    """One settlement of a project (see the module docstring). Locks the project row, so two
    settlements of one project run one after the other; safe to run twice."""
    project = Project.objects.select_for_update().select_related("organization").get(pk=project_id)
    earnings_post(project_id=project.pk, check_spend=False)
    tasks, median = median_active_seconds(project.pk)
    if not tasks and not final:
        return None
    currency = project.currency.upper()
    pay = project.pay_per_task_minor
    floor = project_floor_minor(project)
    per_task = (
        topup_per_task_minor(pay_per_task_minor=pay, median_seconds=median, floor_minor=floor)
        if median
        else 0
    )
    reserve_total = project_fair_pay_reserve_minor(project)
    topped_before = (
        FairPayCredit.objects.filter(project=project).aggregate(t=Sum("amount_minor"))["t"] or 0
    )
    last = FairPayAudit.objects.filter(project=project).aggregate(m=Max("seq"))["m"] or 0
    audit = FairPayAudit.objects.create(
        project=project,
        seq=last + 1,
        final=final,
        currency=currency,
        tasks=tasks,
        median_active_seconds=median,
        pay_per_task_minor=pay,
        effective_hourly_minor=effective_hourly(pay_minor=pay, seconds=median),
        floor_minor=floor,
        topup_per_task_minor=per_task,
        reserve_before_minor=reserve_total - topped_before,
        reserve_after_minor=reserve_total - topped_before,
    )
    total, experts = _post_topups(project, audit, per_task) if per_task else (0, 0)
    audit.total_minor = total
    audit.experts_topped_up = experts
    audit.reserve_after_minor = audit.reserve_before_minor - total
    alert_at = reserve_total * settings.PLUMBLINE_FAIR_PAY_RESERVE_ALERT_BPS // 10000
    already_alerted = FairPayAudit.objects.filter(project=project, reserve_alert_sent=True).exists()
    if total and audit.reserve_after_minor <= alert_at and not already_alerted:
        audit.reserve_alert_sent = True
        _alert_reserve(project, audit)
    audit.save()
    audit_record(
        actor=None,
        verb="payments.fair_pay_settled",
        target=project,
        details={
            "seq": audit.seq,
            "final": final,
            "tasks": tasks,
            "median_active_seconds": median,
            "effective_hourly_minor": audit.effective_hourly_minor,
            "floor_minor": floor,
            "topup_per_task_minor": per_task,
            "total_minor": total,
            "experts": experts,
        },
    )
    return audit


def _post_topups(project: Project, audit: FairPayAudit, per_task: int) -> tuple[int, int]:
    """Owed per expert (accepted tasks × per_task) minus what earlier settlements paid; one
    entry per expert with something owed. Bulk-inserted: entries, postings, credits."""
    counts = dict(
        Annotation.objects.filter(project=project, review_status=Annotation.Review.ACCEPTED)
        .values("expert_id")
        .annotate(n=Count("id"))
        .values_list("expert_id", "n")
    )
    paid = dict(
        FairPayCredit.objects.filter(project=project)
        .values("expert_id")
        .annotate(s=Sum("amount_minor"))
        .values_list("expert_id", "s")
    )
    due = {
        expert_id: (n, n * per_task - (paid.get(expert_id) or 0))
        for expert_id, n in counts.items()
        if n * per_task - (paid.get(expert_id) or 0) > 0
    }
    if not due:
        return 0, 0
    currency = project.currency.upper()
    escrow = ledger_account_ensure(kind=Kind.PROJECT_ESCROW, currency=currency, project=project)
    ensure_payable_accounts(user_ids=due, currency=currency)
    payable = dict(
        LedgerAccount.objects.filter(
            kind=Kind.EXPERT_PAYABLE, currency=currency, user_id__in=list(due)
        ).values_list("user_id", "id")
    )
    experts = sorted(due)
    if connection.vendor == "postgresql":
        _insert_topups_sql(project, audit, per_task, escrow.pk, payable, experts, due)
    else:
        _insert_topups_orm(project, audit, per_task, escrow.pk, payable, experts, due)
    return sum(a for _, a in due.values()), len(due)


def _insert_topups_orm(project, audit, per_task, escrow_id, payable, experts, due) -> None:
    currency = project.currency.upper()
    now = timezone.now()
    entries = JournalEntry.objects.bulk_create(
        [
            JournalEntry(
                idempotency_key=f"fairpay:{project.pk}:{expert_id}:{audit.seq}",
                kind=EntryKind.FAIR_PAY_TOPUP,
                currency=currency,
                description=(
                    f"Fair-pay top-up, project #{project.pk}: {due[expert_id][0]} task(s) × "
                    f"{format_minor(per_task, currency)} (settlement {audit.seq})"
                )[:300],
                effective_at=now,
                created_at=now,
                metadata={
                    "project_id": project.pk,
                    "expert_id": expert_id,
                    "audit_id": audit.pk,
                    "tasks": due[expert_id][0],
                    "per_task": per_task,
                },
            )
            for expert_id in experts
        ],
        batch_size=5000,
    )
    postings = []
    credits = []
    for expert_id, entry in zip(experts, entries, strict=True):
        tasks, amount = due[expert_id]
        postings.append(Posting(entry=entry, account_id=escrow_id, amount=amount))
        postings.append(Posting(entry=entry, account_id=payable[expert_id], amount=-amount))
        credits.append(
            FairPayCredit(
                audit=audit,
                project=project,
                expert_id=expert_id,
                tasks=tasks,
                amount_minor=amount,
                entry=entry,
            )
        )
    Posting.objects.bulk_create(postings, batch_size=10000)
    FairPayCredit.objects.bulk_create(credits, batch_size=5000)


_TOPUP_SQL = """
WITH due AS (
    SELECT * FROM unnest(%(experts)s::bigint[], %(tasks)s::bigint[], %(amounts)s::bigint[],
                         %(payables)s::bigint[]) AS d(expert_id, tasks, amount, payable_id)
), ins AS (
    INSERT INTO payments_journalentry
        (idempotency_key, kind, currency, description, effective_at, created_at, metadata,
         created_by_id, reverses_id, bulk)
    SELECT 'fairpay:' || %(project)s || ':' || due.expert_id || ':' || %(seq)s, 'fair_pay_topup',
           %(currency)s,
           left('Fair-pay top-up, project #' || %(project)s || ': ' || due.tasks
                || ' task(s) × ' || %(per_task_text)s || ' (settlement ' || %(seq)s || ')', 300),
           now(), now(),
           jsonb_build_object('project_id', %(project)s, 'expert_id', due.expert_id,
                              'audit_id', %(audit)s, 'tasks', due.tasks,
                              'per_task', %(per_task)s),
           NULL, NULL, true
      FROM due
    RETURNING id, (metadata->>'expert_id')::bigint AS expert_id
), posted AS (
    INSERT INTO payments_posting (entry_id, account_id, amount, bulk)
    SELECT ins.id, x.account_id, x.amount, true
      FROM ins JOIN due ON due.expert_id = ins.expert_id
     CROSS JOIN LATERAL (VALUES (%(escrow)s::bigint, due.amount), (due.payable_id, -due.amount))
           AS x(account_id, amount)
    RETURNING 1
)
INSERT INTO payments_fairpaycredit (audit_id, project_id, expert_id, tasks, amount_minor, entry_id)
SELECT %(audit)s, %(project)s, due.expert_id, due.tasks, due.amount, ins.id
  FROM ins JOIN due ON due.expert_id = ins.expert_id
"""


def _insert_topups_sql(project, audit, per_task, escrow_id, payable, experts, due) -> None:
    """Entries, postings and credits in one statement (checked by the statement-level balance
    triggers, like the earnings)."""
    currency = project.currency.upper()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(
            _TOPUP_SQL,
            {
                "experts": experts,
                "tasks": [due[e][0] for e in experts],
                "amounts": [due[e][1] for e in experts],
                "payables": [payable[e] for e in experts],
                "project": project.pk,
                "seq": audit.seq,
                "audit": audit.pk,
                "currency": currency,
                "per_task": per_task,
                "per_task_text": format_minor(per_task, currency),
                "escrow": escrow_id,
            },
        )
        cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")


def _alert_reserve(project: Project, audit: FairPayAudit) -> None:
    currency = audit.currency
    audit_record(
        actor=None,
        verb="payments.fair_pay_reserve_low",
        target=project,
        details={"reserve_after_minor": audit.reserve_after_minor, "seq": audit.seq},
    )
    recipients = company_recipients(project)
    if not recipients:
        return
    body = (
        f"Work on “{project.title}” takes longer than its pay allows: a median of "
        f"{(audit.median_active_seconds or 0) / 60:.0f} minutes per task, so experts earn "
        f"{format_minor(audit.effective_hourly_minor or 0, currency)} an hour before top-ups, "
        f"below the floor of {format_minor(audit.floor_minor, currency)}.\n\n"
        f"Plumbline tops every accepted task up by "
        f"{format_minor(audit.topup_per_task_minor, currency)} from the project's fair-pay "
        f"reserve, which has {format_minor(audit.reserve_after_minor, currency)} left.\n"
        f"Raise the pay per task or add funds: {settings.SITE_URL}/company/projects/"
        f"{project.pk}/funding/\n"
    )
    transaction.on_commit(
        lambda: send_mail(
            f"Plumbline: the fair-pay reserve of “{project.title}” is running low",
            body,
            None,
            recipients,
            fail_silently=True,
        )
    )


def projects_due_for_fairpay() -> list[int]:
    """Projects with accepted work newer than their last settlement."""
    last = dict(
        FairPayAudit.objects.values("project_id")
        .annotate(at=Max("computed_at"))
        .values_list("project_id", "at")
    )
    latest = (
        Annotation.objects.filter(review_status=Annotation.Review.ACCEPTED)
        .values("project_id")
        .annotate(at=Max("reviewed_at"))
        .values_list("project_id", "at")
    )
    return sorted(
        pid for pid, at in latest if at is not None and (pid not in last or at > last[pid])
    )
