"""Earnings: accepted annotations earn their project's pay per task, once.

One journal entry per annotation, key `earning:annotation:<id>`: Dr project escrow (pay + fee),
Cr expert payable (pay), Cr platform fees (fee = PLUMBLINE_PLATFORM_FEE_BPS of the pay, charged
to the company on top of the pay as the marketplace's budget says). Gold tasks earn like any
other; an overturned rejection earns when it becomes `accepted`.

On PostgreSQL earnings are posted set-based: per batch of annotations one statement inserts the
entries not posted yet and their postings, in one transaction, under the settlement advisory
locks of its projects (concurrent runs on a project take turns, so the second posts nothing
twice), guarded by the unique idempotency key and checked by the statement-level balance
triggers. `earnings_post_all` splits the projects into groups of about equal work and posts
each group on its own connection (PLUMBLINE_SETTLEMENT_CONNECTIONS). Elsewhere (the SQLite demo)
the same entries go through `journal_entry_post` one by one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Sum
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Membership, Role, User
from accounts.services import audit_record
from core.exceptions import InvalidState, NotPermitted, ValidationFailed
from core.parallel import balanced_groups, run_on_connections
from labeling.models import Annotation, Assignment
from marketplace.models import Project, ProjectStatus
from marketplace.money import bps_of, format_minor
from marketplace.services import check_can_manage
from marketplace.services.spend import project_set_spend_blocked
from payments.models import Earning, EntryKind, FairPayCredit, JournalEntry, LedgerAccount
from payments.selectors import ledger_account_balance, project_escrow_balance
from payments.services.ledger import credit, debit, journal_entry_post, ledger_account_ensure

logger = logging.getLogger(__name__)
Kind = LedgerAccount.Kind


def fee_per_task_minor(pay_per_task_minor: int) -> int:
    return bps_of(pay_per_task_minor, settings.PLUMBLINE_PLATFORM_FEE_BPS)


def earning_key(annotation_id: int) -> str:
    return f"earning:annotation:{annotation_id}"


# --- accounts in bulk ----------------------------------------------------------------------------


def ensure_payable_accounts(*, user_ids: Iterable[int], currency: str) -> None:
    currency = currency.upper()
    LedgerAccount.objects.bulk_create(
        [
            LedgerAccount(
                kind=Kind.EXPERT_PAYABLE, currency=currency, user_id=uid, owner_key=f"user:{uid}"
            )
            for uid in set(user_ids)
        ],
        ignore_conflicts=True,
        batch_size=5000,
    )


def _ensure_accounts(accepted) -> bool:
    """Escrow, payable and fee accounts exist for these annotations; False when there are none.
    Distinct experts and projects are read separately: (project, expert) pairs can number in the
    millions, experts and projects far fewer."""
    accepted = accepted.order_by()  # the model's ordering would join DISTINCT: one row each
    experts: dict[str, set[int]] = {}
    for expert_id, currency in accepted.values_list("expert_id", "project__currency").distinct():
        experts.setdefault(currency.upper(), set()).add(expert_id)
    if not experts:
        return False
    for currency, ids in experts.items():
        ensure_payable_accounts(user_ids=ids, currency=currency)
        ledger_account_ensure(kind=Kind.PLATFORM_FEES, currency=currency)
    project_ids = set(accepted.values_list("project_id", flat=True).distinct())
    existing = set(
        LedgerAccount.objects.filter(
            kind=Kind.PROJECT_ESCROW, project_id__in=project_ids
        ).values_list("project_id", flat=True)
    )
    for project in Project.objects.filter(pk__in=project_ids - existing).select_related(
        "organization"
    ):
        ledger_account_ensure(kind=Kind.PROJECT_ESCROW, currency=project.currency, project=project)
    return True


# --- earnings ------------------------------------------------------------------------------------

# Set-based settlements (earnings, fair pay) take a transaction-level advisory lock per project
# (in project id order, so two settlements never deadlock), and each statement is restricted to
# the projects its transaction holds: settlements of one project run one after the other and
# each sees every earning committed before it, so the NOT EXISTS filter below is exact and
# entries are inserted without ON CONFLICT (which cost a speculative insertion and a RETURNING
# join per entry); settlements of disjoint projects run side by side on separate connections.
# The unique key still refuses a double.
SETTLEMENT_LOCK = 0x706C62  # "plb"

# One statement per batch: entries and their postings, ids taken from the entries' sequence up
# front so the postings need no join back to the inserted entries (that join, over a CTE without
# statistics, needed enable_nestloop off, which in turn forced a full scan of the keys for the
# NOT EXISTS of a small batch). Rows carry bulk = true and are checked by the statement-level
# triggers (migrations 0004, 0005).
_EARN_SQL = """
WITH src AS MATERIALIZED (
    SELECT nextval(%(seq)s::regclass) AS entry_id, a.id AS annotation_id, a.expert_id,
           a.project_id, upper(p.currency) AS cur, p.pay_per_task_minor::bigint AS pay,
           ((p.pay_per_task_minor::bigint * %(fee_bps)s + 5000) / 10000) AS fee,
           esc.id AS esc_id, pay.id AS pay_id, fee.id AS fee_id
      FROM labeling_annotation a
      JOIN marketplace_project p ON p.id = a.project_id
      JOIN payments_ledgeraccount esc
        ON esc.project_id = a.project_id AND esc.kind = 'project_escrow'
       AND esc.currency = upper(p.currency)
      JOIN payments_ledgeraccount pay
        ON pay.user_id = a.expert_id AND pay.kind = 'expert_payable'
       AND pay.currency = upper(p.currency)
      JOIN payments_ledgeraccount fee
        ON fee.kind = 'platform_fees' AND fee.owner_key = 'platform'
       AND fee.currency = upper(p.currency)
     WHERE a.review_status = 'accepted' {where}
       AND NOT EXISTS (SELECT FROM payments_earning e WHERE e.annotation_id = a.id)
), entries AS (
    INSERT INTO payments_journalentry
        (id, idempotency_key, kind, currency, description, effective_at, created_at, metadata,
         created_by_id, reverses_id, bulk)
    SELECT src.entry_id, 'earning:annotation:' || src.annotation_id, 'earning', src.cur,
           'Accepted annotation #' || src.annotation_id, now(), now(),
           jsonb_build_object('annotation_id', src.annotation_id, 'project_id', src.project_id,
                              'expert_id', src.expert_id, 'pay', src.pay, 'fee', src.fee),
           NULL, NULL, true
      FROM src
), earned AS (
    INSERT INTO payments_earning (annotation_id, entry_id)
    SELECT src.annotation_id, src.entry_id FROM src
), postings AS (
    INSERT INTO payments_posting (entry_id, account_id, amount, bulk)
    SELECT src.entry_id, x.account_id, x.amount, true
      FROM src
     CROSS JOIN LATERAL (VALUES (src.esc_id, src.pay + src.fee), (src.pay_id, -src.pay),
                                (src.fee_id, -src.fee)) AS x(account_id, amount)
     WHERE x.amount <> 0
)
SELECT count(*) FROM src
"""

# Annotations per statement (about): bounds the statement's hash tables and transition tables.
# A batch is a run of whole projects, so each statement reads only its own annotations; a
# project larger than this is cut into ranges of annotation ids.
EARN_BATCH_ROWS = 250_000
SETTLEMENT_WORK_MEM = "64MB"


def _filters(
    *,
    annotation_ids: list[int] | None,
    project_ids: list[int] | None,
    since: datetime | None,
) -> tuple[str, dict]:
    where, params = [], {}
    if annotation_ids is not None:
        where.append("AND a.id = ANY(%(ids)s)")
        params["ids"] = list(annotation_ids)
    if project_ids is not None:
        where.append("AND a.project_id = ANY(%(project_ids)s)")
        params["project_ids"] = list(project_ids)
    if since is not None:
        where.append("AND a.reviewed_at > %(since)s")
        params["since"] = since
    return " ".join(where), params


def _accepted(annotation_ids, project_ids, since):
    qs = Annotation.objects.filter(review_status=Annotation.Review.ACCEPTED)
    if annotation_ids is not None:
        qs = qs.filter(pk__in=annotation_ids)
    if project_ids is not None:
        qs = qs.filter(project_id__in=project_ids)
    if since is not None:
        qs = qs.filter(reviewed_at__gt=since)
    return qs


def settlement_lock(project_ids: Iterable[int]) -> list[int]:
    """Take the settlement lock of each project (PostgreSQL; until the end of the transaction),
    in id order. Returns the sorted ids."""
    pids = sorted({int(p) for p in project_ids})
    if pids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(%s, p)) "
                "FROM (SELECT p FROM unnest(%s::int[]) AS p ORDER BY p) AS locked",
                [SETTLEMENT_LOCK, pids],
            )
    return pids


@transaction.atomic
def earnings_post(
    *,
    annotation_ids: Iterable[int] | None = None,
    project_id: int | None = None,
    project_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    check_spend: bool = True,
    accounts_ready: bool = False,
) -> int:
    """Post the earning of every accepted annotation matching the filters that has none yet.
    Returns how many entries were posted. Idempotent: run it twice, posts nothing the second
    time; an annotation accepted twice (a retried acceptance) earns once. `accounts_ready`: the
    caller has opened the ledger accounts these annotations need (earnings_post_all does, once
    for all its groups)."""
    ids = None if annotation_ids is None else sorted({int(i) for i in annotation_ids})
    if project_id is not None:
        project_ids = [project_id, *(project_ids or [])]
    pids = None if project_ids is None else sorted({int(p) for p in project_ids})
    if ids == [] or pids == []:
        return 0
    qs = _accepted(ids, pids, since)
    if connection.vendor == "postgresql":
        # Lock the projects this call may touch, then touch only those: work accepted in other
        # projects meanwhile waits for the next run.
        if pids is None:
            pids = list(qs.order_by().values_list("project_id", flat=True).distinct())
        pids = settlement_lock(pids)
        if not pids:
            return 0
        qs = _accepted(ids, pids, since)
        # Nothing left to earn (fair pay's catch-up, a repeated sweep): one anti-join that stops
        # at the first unearned annotation, instead of the account checks and batch statements.
        earned = Earning.objects.filter(annotation_id=OuterRef("pk"))
        if not qs.filter(~Exists(earned)).exists():
            return 0
    if not accounts_ready and not _ensure_accounts(qs):
        return 0
    if connection.vendor == "postgresql":
        posted = _earnings_post_sql(qs, ids, since)
    else:
        posted = _earnings_post_one_by_one(qs)
    if check_spend and posted:
        project_ids = set(qs.order_by().values_list("project_id", flat=True).distinct())
        transaction.on_commit(lambda: _enqueue_spend_checks(project_ids))
    return posted


def earnings_post_all(
    *, since: datetime | None = None, check_spend: bool = True, workers: int | None = None
) -> int:
    """earnings_post for every project with accepted work (reviewed after `since`), the
    projects split into groups of about equal work, each group in its own transaction on its
    own connection, `workers` (PLUMBLINE_SETTLEMENT_CONNECTIONS) at a time. Returns how many
    entries were posted."""
    accepted = _accepted(None, None, since).order_by()
    workers = workers or settings.PLUMBLINE_SETTLEMENT_CONNECTIONS
    # Accounts first, committed: experts work in several projects, and a payable account
    # inserted by one group's open transaction would make the others wait on its unique key.
    with transaction.atomic():
        if not _ensure_accounts(accepted):
            return 0
    weights = accepted.values("project_id").annotate(n=Count("id")).values_list("project_id", "n")
    groups = balanced_groups(weights, workers)
    posted = run_on_connections(
        earnings_post,
        [
            {"project_ids": g, "since": since, "check_spend": check_spend, "accounts_ready": True}
            for g in groups
        ],
        workers,
    )
    return sum(posted)


def _earn_batches(qs) -> list[tuple[list[int], int | None, int | None]]:
    """(project ids, lowest id, id bound) per statement: consecutive projects up to about
    EARN_BATCH_ROWS accepted annotations; a larger project alone, in id ranges."""
    rows = (
        qs.order_by()
        .values("project_id")
        .annotate(n=Count("id"), lo=Min("id"), hi=Max("id"))
        .values_list("project_id", "n", "lo", "hi")
        .order_by("project_id")
    )
    batches: list[tuple[list[int], int | None, int | None]] = []
    current: list[int] = []
    size = 0
    for pid, n, lo, hi in rows:
        if n > EARN_BATCH_ROWS:
            step = max(1, (hi - lo + 1) * EARN_BATCH_ROWS // n)
            batches += [([pid], start, start + step) for start in range(lo, hi + 1, step)]
            continue
        if current and size + n > EARN_BATCH_ROWS:
            batches.append((current, None, None))
            current, size = [], 0
        current.append(pid)
        size += n
    if current:
        batches.append((current, None, None))
    return batches


def _earnings_post_sql(qs, ids, since) -> int:
    where, params = _filters(annotation_ids=ids, project_ids=None, since=since)
    params["fee_bps"] = settings.PLUMBLINE_PLATFORM_FEE_BPS
    posted = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('payments_journalentry', 'id')")
        params["seq"] = cursor.fetchone()[0]
        # Room for a batch's CTE and the triggers' transition tables in memory (4 MB spills).
        cursor.execute(f"SET LOCAL work_mem = '{SETTLEMENT_WORK_MEM}'")
        for batch_pids, lo, hi in _earn_batches(qs):
            batch_where = f"{where} AND a.project_id = ANY(%(batch)s)"
            if lo is not None:
                batch_where += " AND a.id >= %(lo)s AND a.id < %(hi)s"
            cursor.execute(
                _EARN_SQL.format(where=batch_where),
                {**params, "batch": batch_pids, "lo": lo, "hi": hi},
            )
            posted += cursor.fetchone()[0]
        cursor.execute("SET LOCAL work_mem TO DEFAULT")
    return posted


def _earnings_post_one_by_one(qs) -> int:
    posted = 0
    unearned = qs.exclude(pk__in=Earning.objects.values("annotation_id"))
    for a in unearned.select_related("project__organization", "expert").order_by("id").iterator():
        earning_post_one(a)
        posted += 1
    return posted


def earning_post_one(annotation: Annotation) -> JournalEntry:
    project = annotation.project
    currency = project.currency.upper()
    pay = project.pay_per_task_minor
    fee = fee_per_task_minor(pay)
    escrow = ledger_account_ensure(kind=Kind.PROJECT_ESCROW, currency=currency, project=project)
    payable = ledger_account_ensure(
        kind=Kind.EXPERT_PAYABLE, currency=currency, user=annotation.expert
    )
    lines = [debit(escrow, pay + fee), credit(payable, pay)]
    if fee:
        lines.append(credit(ledger_account_ensure(kind=Kind.PLATFORM_FEES, currency=currency), fee))
    entry = journal_entry_post(
        idempotency_key=earning_key(annotation.pk),
        kind=EntryKind.EARNING,
        currency=currency,
        lines=lines,
        description=f"Accepted annotation #{annotation.pk}",
        metadata={
            "annotation_id": annotation.pk,
            "project_id": project.pk,
            "expert_id": annotation.expert_id,
            "pay": pay,
            "fee": fee,
        },
    )
    Earning.objects.get_or_create(annotation_id=annotation.pk, defaults={"entry": entry})
    return entry


def _enqueue_spend_checks(project_ids: Iterable[int]) -> None:
    from payments.tasks import project_spend_check_task

    for pk in sorted(project_ids):
        project_spend_check_task.apply_async((pk,), queue=settings.PAYMENTS_QUEUE)


# --- bonuses and adjustments ---------------------------------------------------------------------


def _new_key(prefix: str, key: str | None) -> str:
    if key:
        try:
            return f"{prefix}:{uuid.UUID(str(key))}"
        except ValueError as exc:
            raise ValidationFailed(fields={"idempotency_key": ["Not a UUID."]}) from exc
    return f"{prefix}:{uuid.uuid4()}"


@transaction.atomic
def bonus_grant(
    *,
    project: Project,
    expert: User,
    amount: int,
    note: str,
    actor: User,
    idempotency_key: str | None = None,
    request: HttpRequest | None = None,
) -> JournalEntry:
    """A company pays an expert who worked on its project a bonus from the project's escrow.
    `idempotency_key` (a UUID from the form or API client) makes a double submit harmless."""
    check_can_manage(user=actor, project=project)
    note = (note or "").strip()
    if amount <= 0:
        raise ValidationFailed(fields={"amount": ["Give a positive amount."]})
    if not note:
        raise ValidationFailed(fields={"note": ["Say what the bonus is for."]})
    if not Annotation.objects.filter(project=project, expert=expert).exists():
        raise InvalidState("Bonuses go to experts who worked on this project.")
    key = _new_key("bonus", idempotency_key)
    existing = JournalEntry.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    project = Project.objects.select_for_update().select_related("organization").get(pk=project.pk)
    if project_escrow_balance(project=project) < amount:
        raise InvalidState("The escrow does not hold enough for this bonus; add funds first.")
    currency = project.currency.upper()
    escrow = ledger_account_ensure(kind=Kind.PROJECT_ESCROW, currency=currency, project=project)
    payable = ledger_account_ensure(kind=Kind.EXPERT_PAYABLE, currency=currency, user=expert)
    entry = journal_entry_post(
        idempotency_key=key,
        kind=EntryKind.BONUS,
        currency=currency,
        lines=[debit(escrow, amount), credit(payable, amount)],
        description=f"Bonus from {project.organization}: {note}"[:300],
        metadata={"project_id": project.pk, "expert_id": expert.pk, "note": note[:500]},
        actor=actor,
    )
    audit_record(
        actor=actor,
        verb="payments.bonus_granted",
        target=project,
        request=request,
        details={"expert": expert.pk, "amount": amount, "currency": currency, "note": note},
    )
    transaction.on_commit(lambda: _enqueue_spend_checks([project.pk]))
    return entry


@transaction.atomic
def adjustment_post(
    *,
    expert: User,
    amount: int,
    currency: str,
    reason: str,
    actor: User,
    idempotency_key: str | None = None,
    request: HttpRequest | None = None,
) -> JournalEntry:
    """Staff credit (amount > 0) or debit (amount < 0) an expert's payable balance, against the
    platform's fees account, with a reason (audited)."""
    if not actor.is_staff:
        raise NotPermitted("Only staff can adjust an expert's balance.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": ["Give the reason for the adjustment."]})
    if amount == 0:
        raise ValidationFailed(fields={"amount": ["Give a non-zero amount."]})
    currency = currency.upper()
    payable = ledger_account_ensure(kind=Kind.EXPERT_PAYABLE, currency=currency, user=expert)
    if amount < 0 and ledger_account_balance(account=payable) < -amount:
        raise InvalidState("The expert's payable balance is smaller than this debit.")
    fees = ledger_account_ensure(kind=Kind.PLATFORM_FEES, currency=currency)
    key = _new_key("adjustment", idempotency_key)
    entry = journal_entry_post(
        idempotency_key=key,
        kind=EntryKind.ADJUSTMENT,
        currency=currency,
        lines=[debit(fees, amount), credit(payable, amount)],
        description=f"Adjustment: {reason}"[:300],
        metadata={"expert_id": expert.pk, "reason": reason[:500]},
        actor=actor,
    )
    audit_record(
        actor=actor,
        verb="payments.adjustment_posted",
        target=expert,
        request=request,
        details={"amount": amount, "currency": currency, "reason": reason, "entry": entry.pk},
    )
    return entry


# --- spend blocking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendPosition:
    escrow_minor: int
    committed_minor: int
    reserve_left_minor: int
    per_task_minor: int

    @property
    def spendable_minor(self) -> int:
        return self.escrow_minor - self.committed_minor - self.reserve_left_minor

    @property
    def blocked(self) -> bool:
        return self.spendable_minor < self.per_task_minor


def fair_pay_reserve_left(project: Project) -> int:
    from payments.marketplace_port import project_fair_pay_reserve_minor

    topped = (
        FairPayCredit.objects.filter(project=project).aggregate(t=Sum("amount_minor"))["t"] or 0
    )
    return max(project_fair_pay_reserve_minor(project) - topped, 0)


def spend_position(project: Project) -> SpendPosition:
    """Escrow minus work already promised but not yet paid (live leases and annotations awaiting
    review, at pay + fee each) minus what is left of the fair-pay reserve."""
    per_task = project.pay_per_task_minor + fee_per_task_minor(project.pay_per_task_minor)
    pending = Annotation.objects.filter(
        project=project, review_status__in=[Annotation.Review.PENDING, Annotation.Review.HELD]
    ).count()
    leases = Assignment.objects.filter(
        project=project, status=Assignment.Status.LEASED, lease_expires_at__gt=timezone.now()
    ).count()
    return SpendPosition(
        escrow_minor=project_escrow_balance(project=project),
        committed_minor=(pending + leases) * per_task,
        reserve_left_minor=fair_pay_reserve_left(project),
        per_task_minor=per_task,
    )


def project_spend_check(*, project_id: int) -> bool | None:
    """Block claims when the escrow cannot cover another task, unblock when it can again.
    Projects that never had an escrow account (funded outside the ledger) are left alone.
    Returns the new blocked state (None when not applicable)."""
    project = Project.objects.select_related("organization").get(pk=project_id)
    if project.status not in (ProjectStatus.FUNDED, ProjectStatus.LIVE, ProjectStatus.PAUSED):
        return None
    if not LedgerAccount.objects.filter(
        kind=Kind.PROJECT_ESCROW, owner_key=f"project:{project.pk}"
    ).exists():
        return None
    position = spend_position(project)
    blocked = position.blocked
    reason = (
        "This project's escrow is used up: no new tasks can be claimed until the company adds "
        "funds. Work you already submitted will be reviewed and paid."
        if blocked
        else ""
    )
    with transaction.atomic():
        changed = project_set_spend_blocked(project=project, blocked=blocked, reason=reason)
        if changed and blocked:
            _alert_company(project, position)
    return blocked


def company_recipients(project: Project) -> list[str]:
    return list(
        Membership.objects.filter(
            organization_id=project.organization_id, role__in=[Role.OWNER, Role.MANAGER]
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )


def _alert_company(project: Project, position: SpendPosition) -> None:
    recipients = company_recipients(project)
    currency = project.currency.upper()
    body = (
        f"Your project “{project.title}” has used its escrow: experts cannot claim new tasks.\n\n"
        f"Escrow: {format_minor(position.escrow_minor, currency)}\n"
        f"Committed to work in progress: {format_minor(position.committed_minor, currency)}\n"
        f"Fair-pay reserve kept back: {format_minor(position.reserve_left_minor, currency)}\n\n"
        f"Add funds on the project's funding page to let work continue: "
        f"{settings.SITE_URL}/company/projects/{project.pk}/funding/\n"
    )
    audit_record(
        actor=None,
        verb="payments.escrow_exhausted",
        target=project,
        details={"escrow": position.escrow_minor, "committed": position.committed_minor},
    )
    if recipients:
        transaction.on_commit(
            lambda: send_mail(
                f"Plumbline: “{project.title}” needs more funds",
                body,
                None,
                recipients,
                fail_silently=True,
            )
        )
