"""Payments settlement benchmark: earnings and fair pay for many accepted annotations, payouts.

Creates its own PostgreSQL database (created and dropped), fills it in SQL with N accepted
annotations (pay 12.00 a task, active times spread around a 60-minute median so every project
is under its 15.00/h floor and gets topped up) across P projects and E experts, each expert with
an active payout account, then times:

  1. settle_earnings_s: `earnings_post()` — one entry per annotation (escrow → payable + fee),
     set-based INSERT … SELECT, committed (the deferred balance triggers run at COMMIT);
  2. settle_fairpay_s: `fairpay_settle()` for every project (median, top-ups per expert);
  3. create_payouts_s: `payouts_create_batch(enqueue=False)` — one Payout row per expert;
  4. a second earnings and fair-pay run (must post nothing: idempotency).

    python bench/payments.py            # 1,000,000 annotations, 10,000 experts, 100 projects
    python bench/payments.py --quick    # 100,000 / 1,000 / 20, under a minute

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/plumbline_bench_payments); progress on
stderr; the last line on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import create_database, django_setup, drop_database, log  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/plumbline_bench_payments"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"


def setup(annotations: int, experts: int, projects: int) -> list[int]:
    from django.db import connection

    from accounts.models import ExpertProfile, Membership, Organization, Role, User
    from marketplace import services as mk
    from marketplace.models import Project
    from payments.models import PayoutAccount
    from tests.payments.money import fund_escrow

    org = Organization.objects.create(name="Bench AI", slug="bench-ai")
    owner = User.objects.create(email="owner@bench.example", kind=User.Kind.COMPANY, password="!")
    Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
    per_project = annotations // projects
    first = mk.project_create(
        organization=org,
        actor=owner,
        data={
            "title": "Bench project 0",
            "summary": "Benchmark",
            "task_type": "pairwise",
            "instructions": "Pick the better answer.",
            "pay_per_task_minor": 1200,
            "estimated_minutes": 45,
            "item_count": per_project,
            "overlap": 1,
            "currency": "USD",
        },
    )
    first = mk.project_mark_funded(project=first, actor=None)
    first = mk.project_transition(project=first, actor=owner, to_status="live")
    fields = [f.name for f in Project._meta.concrete_fields if f.name != "id"]
    copies = Project.objects.bulk_create(
        [
            Project(**{**{n: getattr(first, n) for n in fields}, "title": f"Bench project {i}"})
            for i in range(1, projects)
        ]
    )
    all_projects = [first, *copies]
    for p in all_projects:
        fund_escrow(p, per_project * 1800)  # pay + fee + reserve, with room to spare
    users = User.objects.bulk_create(
        [
            User(email=f"e{i}@bench.example", kind=User.Kind.EXPERT, name=f"E {i}", password="!")
            for i in range(experts)
        ],
        batch_size=5000,
    )
    ExpertProfile.objects.bulk_create(
        [ExpertProfile(user=u, pseudonym=f"b-{u.pk:08x}") for u in users], batch_size=5000
    )
    PayoutAccount.objects.bulk_create(
        [
            PayoutAccount(
                expert=u,
                stripe_account_id=f"acct_bench{u.pk}",
                status="active",
                details_submitted=True,
                payouts_enabled=True,
                transfers_active=True,
            )
            for u in users
        ],
        batch_size=5000,
    )
    pids = [p.pk for p in all_projects]
    uids = [u.pk for u in users]
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_p (k int, id bigint)")
        cur.execute(
            "INSERT INTO bench_p SELECT k - 1, id FROM unnest(%s::bigint[]) "
            "WITH ORDINALITY AS t(id, k)",
            [pids],
        )
        cur.execute("CREATE TEMP TABLE bench_u (k int, id bigint)")
        cur.execute(
            "INSERT INTO bench_u SELECT k - 1, id FROM unnest(%s::bigint[]) "
            "WITH ORDINALITY AS t(id, k)",
            [uids],
        )
        cur.execute(
            """
            INSERT INTO labeling_item (project_id, external_id, payload, is_gold, gold_answer,
                gold_retired, priority, open_slots, submitted_count, created_at)
            SELECT p.id, 'item-' || g, '{"prompt": "?"}'::jsonb, g %% 20 = 0,
                   CASE WHEN g %% 20 = 0 THEN '{"choice": "a"}'::jsonb END, false, 0, 0,
                   1, now()
              FROM generate_series(0, %(n)s - 1) AS g JOIN bench_p p ON p.k = g %% %(np)s
            """,
            {"n": annotations, "np": projects},
        )
        cur.execute(
            """
            INSERT INTO labeling_assignment (project_id, item_id, expert_id, status, is_gold,
                leased_at, lease_expires_at, finished_at)
            SELECT i.project_id, i.id, u.id, 'submitted', i.is_gold, now(), now(), now()
              FROM (SELECT id, project_id, is_gold, row_number() OVER (ORDER BY id) - 1 AS g
                      FROM labeling_item) i
              JOIN bench_u u ON u.k = (i.g * 7919) %% %(ne)s
            """,
            {"ne": experts},
        )
        cur.execute(
            """
            INSERT INTO labeling_annotation (assignment_id, project_id, item_id, expert_id,
                response, active_seconds, submitted_at, review_status, reviewed_at,
                rejection_reason, auto_accepted, review_due_at)
            SELECT a.id, a.project_id, a.item_id, a.expert_id, '{"choice": "a"}'::jsonb,
                   1200 + (a.id * 37) % 4801, now(), 'accepted', now(), '', false, now()
              FROM labeling_assignment a
            """
        )
        cur.execute("ANALYZE")
    log(f"inserted {annotations:,} accepted annotations in {time.perf_counter() - t0:.1f} s")
    return pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k annotations, under a minute")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--annotations", type=int)
    parser.add_argument("--experts", type=int)
    parser.add_argument("--projects", type=int)
    args = parser.parse_args()
    n = args.annotations or (100_000 if args.quick else 1_000_000)
    experts = args.experts or (1_000 if args.quick else 10_000)
    projects = args.projects or (20 if args.quick else 100)
    db_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    started = time.time()
    create_database(db_url)
    django_setup(db_url, redis_url)
    try:
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        settings.PLUMBLINE_MIN_HOURLY_RATE_MINOR = 1500
        call_command("migrate", verbosity=0)
        log("migrated")
        pids = setup(n, experts, projects)

        from payments import services
        from payments.models import FairPayCredit, JournalEntry, Payout, Posting
        from payments.selectors import ledger_total

        t0 = time.perf_counter()
        earned = services.earnings_post(check_spend=False)
        settle_earnings = time.perf_counter() - t0
        log(f"earnings: {earned:,} entries in {settle_earnings:.1f} s")

        t0 = time.perf_counter()
        topped = 0
        for pid in pids:
            audit = services.fairpay_settle(project_id=pid)
            topped += audit.total_minor if audit else 0
        settle_fairpay = time.perf_counter() - t0
        log(f"fair pay: {len(pids)} projects in {settle_fairpay:.1f} s")

        t0 = time.perf_counter()
        batch = services.payouts_create_batch(enqueue=False)
        create_payouts = time.perf_counter() - t0
        log(f"payouts: {len(batch.pending_ids):,} in {create_payouts:.1f} s")

        t0 = time.perf_counter()
        again = services.earnings_post(check_spend=False)
        again_topups = sum(
            (services.fairpay_settle(project_id=pid).total_minor) for pid in pids[:5]
        )
        rerun = time.perf_counter() - t0
        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            pg = cur.fetchone()[0].split(",")[0]
        summary = {
            "annotations": n,
            "experts": experts,
            "projects": projects,
            "settle_earnings_s": round(settle_earnings, 2),
            "settle_fairpay_s": round(settle_fairpay, 2),
            "settle_total_s": round(settle_earnings + settle_fairpay, 2),
            "create_payouts_s": round(create_payouts, 2),
            "rerun_earnings_and_5_fairpay_s": round(rerun, 2),
            "earning_entries": earned,
            "rerun_earning_entries": again,
            "rerun_topups_minor": again_topups,
            "topup_entries": FairPayCredit.objects.count(),
            "topups_minor": topped,
            "payouts": Payout.objects.count(),
            "journal_entries": JournalEntry.objects.count(),
            "postings": Posting.objects.count(),
            "trial_balance": ledger_total(),
            "postgres": pg,
            "elapsed_s": round(time.time() - started, 1),
        }
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(db_url)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
