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
from payments.services.earnings import (
    SETTLEMENT_WORK_MEM,
    company_recipients,
    earnings_post,
    ensure_payable_accounts,
)
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


# Projects per transaction in scheduled and bulk settlements.
FAIRPAY_BATCH_PROJECTS = 50


def fairpay_settle(*, project_id: int, final: bool = False) -> FairPayAudit | None:
    """One settlement of one project (see the module docstring); None when it has no accepted
    work and this is not the final settlement."""
    return fairpay_settle_projects(project_ids=[project_id], final=final).get(project_id)


def _accepted_stats(project_ids: list[int]) -> dict[int, tuple[int, float | None]]:
    """{project: (accepted tasks, median active seconds)}: one query on PostgreSQL."""
    if connection.vendor != "postgresql":
        return {pid: median_active_seconds(pid) for pid in project_ids}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT project_id, count(*), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY active_seconds) "
            "FROM labeling_annotation WHERE project_id = ANY(%s) AND review_status = 'accepted' "
            "GROUP BY project_id",
            [project_ids],
        )
        return {pid: (int(n), float(median)) for pid, n, median in cursor.fetchall()}


@transaction.atomic
def fairpay_settle_projects(
    *, project_ids: list[int], final: bool = False
) -> dict[int, FairPayAudit]:
    """One settlement of each project (see the module docstring), all in one transaction, the
    top-ups of every project in one statement on PostgreSQL. Locks the project rows (in id
    order), so two settlements of a project run one after the other; safe to run twice.
    Returns {project id: audit} for the projects settled (those with accepted work, or all of
    them when `final`)."""
    pids = sorted({int(p) for p in project_ids})
    projects = list(
        Project.objects.select_for_update(of=("self",))
        .filter(pk__in=pids)
        .select_related("organization")
        .prefetch_related("domain_requirements")
        .order_by("pk")
    )
    if not projects:
        return {}
    pids = [p.pk for p in projects]
    earnings_post(project_ids=pids, check_spend=False)
    stats = _accepted_stats(pids)
    topped_before = dict(
        FairPayCredit.objects.filter(project_id__in=pids)
        .values("project_id")
        .annotate(t=Sum("amount_minor"))
        .values_list("project_id", "t")
    )
    last_seq = dict(
        FairPayAudit.objects.filter(project_id__in=pids)
        .values("project_id")
        .annotate(m=Max("seq"))
        .values_list("project_id", "m")
    )
    alerted = set(
        FairPayAudit.objects.filter(project_id__in=pids, reserve_alert_sent=True).values_list(
            "project_id", flat=True
        )
    )
    audits: dict[int, FairPayAudit] = {}
    reserves: dict[int, int] = {}
    for project in projects:
        tasks, median = stats.get(project.pk, (0, None))
        if not tasks and not final:
            continue
        pay = project.pay_per_task_minor
        floor = project_floor_minor(project)
        reserves[project.pk] = reserve_total = project_fair_pay_reserve_minor(project)
        reserve_before = reserve_total - (topped_before.get(project.pk) or 0)
        per_task = (
            topup_per_task_minor(pay_per_task_minor=pay, median_seconds=median, floor_minor=floor)
            if median
            else 0
        )
        audits[project.pk] = FairPayAudit.objects.create(
            project=project,
            seq=(last_seq.get(project.pk) or 0) + 1,
            final=final,
            currency=project.currency.upper(),
            tasks=tasks,
            median_active_seconds=median,
            pay_per_task_minor=pay,
            effective_hourly_minor=effective_hourly(pay_minor=pay, seconds=median),
            floor_minor=floor,
            topup_per_task_minor=per_task,
            reserve_before_minor=reserve_before,
            reserve_after_minor=reserve_before,
        )
    by_pk = {p.pk: p for p in projects}
    topped = _post_topups([a for a in audits.values() if a.topup_per_task_minor], by_pk)
    for pk, audit in audits.items():
        project = by_pk[pk]
        audit.total_minor, audit.experts_topped_up = topped.get(pk, (0, 0))
        audit.reserve_after_minor = audit.reserve_before_minor - audit.total_minor
        alert_at = reserves[pk] * settings.PLUMBLINE_FAIR_PAY_RESERVE_ALERT_BPS // 10000
        if audit.total_minor and audit.reserve_after_minor <= alert_at and pk not in alerted:
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
                "tasks": audit.tasks,
                "median_active_seconds": audit.median_active_seconds,
                "effective_hourly_minor": audit.effective_hourly_minor,
                "floor_minor": audit.floor_minor,
                "topup_per_task_minor": audit.topup_per_task_minor,
                "total_minor": audit.total_minor,
                "experts": audit.experts_topped_up,
            },
        )
    return audits


def _post_topups(
    audits: list[FairPayAudit], projects: dict[int, Project]
) -> dict[int, tuple[int, int]]:
    """Owed per expert (accepted tasks × top-up per task) minus what earlier settlements paid;
    one entry per expert and project with something owed. Returns {project: (total, experts)}.
    The payable accounts exist: earnings_post opened them for every accepted annotation."""
    if not audits:
        return {}
    escrows = {
        a.project_id: ledger_account_ensure(
            kind=Kind.PROJECT_ESCROW, currency=a.currency, project=projects[a.project_id]
        ).pk
        for a in audits
    }
    if connection.vendor == "postgresql":
        return _insert_topups_sql(audits, escrows)
    return {
        a.project_id: _insert_topups_orm(projects[a.project_id], a, escrows[a.project_id])
        for a in audits
    }


def _insert_topups_orm(project: Project, audit: FairPayAudit, escrow_id: int) -> tuple[int, int]:
    per_task = audit.topup_per_task_minor
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
    currency = audit.currency
    ensure_payable_accounts(user_ids=due, currency=currency)
    payable = dict(
        LedgerAccount.objects.filter(
            kind=Kind.EXPERT_PAYABLE, currency=currency, user_id__in=list(due)
        ).values_list("user_id", "id")
    )
    experts = sorted(due)
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
    return sum(a for _, a in due.values()), len(due)


# Every project of the batch in one statement: what each expert is owed per project (accepted
# tasks × top-up) minus earlier credits, then entries, postings and credits, entry ids taken
# from the sequence up front (no join back). Checked by the statement-level balance triggers.
_TOPUP_SQL = """
WITH prj AS (
    SELECT * FROM unnest(%(projects)s::bigint[], %(audits)s::bigint[], %(seqs)s::bigint[],
                         %(per_task)s::bigint[], %(escrows)s::bigint[], %(currencies)s::text[],
                         %(per_task_text)s::text[])
        AS t(project_id, audit_id, seq, per_task, escrow_id, currency, per_task_text)
), counts AS (
    SELECT a.project_id, a.expert_id, count(*) AS tasks
      FROM labeling_annotation a
     WHERE a.project_id = ANY(%(projects)s) AND a.review_status = 'accepted'
     GROUP BY a.project_id, a.expert_id
), paid AS (
    SELECT c.project_id, c.expert_id, sum(c.amount_minor) AS amount
      FROM payments_fairpaycredit c
     WHERE c.project_id = ANY(%(projects)s)
     GROUP BY c.project_id, c.expert_id
), due AS MATERIALIZED (
    SELECT nextval(%(seq)s::regclass) AS entry_id, prj.*, counts.expert_id, counts.tasks,
           counts.tasks * prj.per_task - coalesce(paid.amount, 0) AS amount,
           pay.id AS payable_id
      FROM counts
      JOIN prj ON prj.project_id = counts.project_id
      LEFT JOIN paid ON paid.project_id = counts.project_id AND paid.expert_id = counts.expert_id
      LEFT JOIN payments_ledgeraccount pay
        ON pay.user_id = counts.expert_id AND pay.kind = 'expert_payable'
       AND pay.currency = prj.currency
     WHERE counts.tasks * prj.per_task - coalesce(paid.amount, 0) > 0
), entries AS (
    INSERT INTO payments_journalentry
        (id, idempotency_key, kind, currency, description, effective_at, created_at, metadata,
         created_by_id, reverses_id, bulk)
    SELECT due.entry_id, 'fairpay:' || due.project_id || ':' || due.expert_id || ':' || due.seq,
           'fair_pay_topup', due.currency,
           left('Fair-pay top-up, project #' || due.project_id || ': ' || due.tasks
                || ' task(s) × ' || due.per_task_text || ' (settlement ' || due.seq || ')', 300),
           now(), now(),
           jsonb_build_object('project_id', due.project_id, 'expert_id', due.expert_id,
                              'audit_id', due.audit_id, 'tasks', due.tasks,
                              'per_task', due.per_task),
           NULL, NULL, true
      FROM due
), postings AS (
    INSERT INTO payments_posting (entry_id, account_id, amount, bulk)
    SELECT due.entry_id, x.account_id, x.amount, true
      FROM due
     CROSS JOIN LATERAL (VALUES (due.escrow_id, due.amount), (due.payable_id, -due.amount))
           AS x(account_id, amount)
), credits AS (
    INSERT INTO payments_fairpaycredit
        (audit_id, project_id, expert_id, tasks, amount_minor, entry_id)
    SELECT due.audit_id, due.project_id, due.expert_id, due.tasks, due.amount, due.entry_id
      FROM due
)
SELECT project_id, sum(amount), count(*) FROM due GROUP BY project_id
"""


def _insert_topups_sql(
    audits: list[FairPayAudit], escrows: dict[int, int]
) -> dict[int, tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('payments_journalentry', 'id')")
        seq = cursor.fetchone()[0]
        # The CTEs have no statistics: a nested loop between two of them is quadratic. The
        # memory keeps the batch's aggregates and transition tables off disk.
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(f"SET LOCAL work_mem = '{SETTLEMENT_WORK_MEM}'")
        cursor.execute(
            _TOPUP_SQL,
            {
                "projects": [a.project_id for a in audits],
                "audits": [a.pk for a in audits],
                "seqs": [a.seq for a in audits],
                "per_task": [a.topup_per_task_minor for a in audits],
                "escrows": [escrows[a.project_id] for a in audits],
                "currencies": [a.currency for a in audits],
                "per_task_text": [format_minor(a.topup_per_task_minor, a.currency) for a in audits],
                "seq": seq,
            },
        )
        rows = cursor.fetchall()
        cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")
        cursor.execute("SET LOCAL work_mem TO DEFAULT")
    return {pid: (int(total), int(n)) for pid, total, n in rows}


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
