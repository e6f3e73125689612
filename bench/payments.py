"""Payments settlement benchmark: earnings and fair pay for many accepted annotations, payouts.

Creates its own PostgreSQL database (created and dropped), fills it in SQL with N accepted
annotations (pay 12.00 a task, active times spread around a 60-minute median so every project
is under its 15.00/h floor and gets topped up) across P projects and E experts, each expert with
an active payout account, then times:

  1. settle_earnings_s: `earnings_post()` — one entry per annotation (escrow → payable + fee),
     set-based INSERT … SELECT per batch of annotations, committed;
  2. settle_fairpay_s: `fairpay_settle_projects()` per batch of projects (medians, top-ups per
     expert and project, one statement and one transaction per batch);
  3. create_payouts_s: `payouts_create_batch(enqueue=False)` — one Payout row per expert;
  4. a second earnings and fair-pay run (must post nothing: idempotency).

Data shape: each expert works in `--spread` projects (default 3: 300 experts per project in the
full run, 10,000 × 3 = 30,000 top-up entries). `--worst-case` puts every expert in every project
(the shape of the first benchmark: one top-up entry per annotation, 1,000,000 of them).
Earnings are posted by `earnings_post_all()` on `--connections` connections at once (disjoint
groups of projects, each under its projects' settlement locks), fair pay a batch of projects per
connection, as the beat task's Celery fan-out runs it. `settle_cpu_s` is the machine's CPU time
over the settlement (all PostgreSQL backends and this process): on an idle machine, the
settlement's.

    python bench/payments.py               # 1,000,000 annotations, 10,000 experts, 100 projects
    python bench/payments.py --worst-case  # the same, every expert in every project
    python bench/payments.py --quick       # 100,000 / 1,000 / 20, under a minute

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


def setup(annotations: int, experts: int, projects: int, spread: int) -> list[int]:
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
    # Annotation g goes to expert g mod E; that expert's r-th annotation to one of the expert's
    # `spread` projects, evenly spaced (spread = P: every expert in every project, the worst
    # case for fair pay: one top-up entry per expert and project).
    step = max(projects // spread, 1)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_p (k int PRIMARY KEY, id bigint)")
        cur.execute(
            "INSERT INTO bench_p SELECT k - 1, id FROM unnest(%s::bigint[]) "
            "WITH ORDINALITY AS t(id, k)",
            [pids],
        )
        cur.execute("CREATE TEMP TABLE bench_u (k int PRIMARY KEY, id bigint)")
        cur.execute(
            "INSERT INTO bench_u SELECT k - 1, id FROM unnest(%s::bigint[]) "
            "WITH ORDINALITY AS t(id, k)",
            [uids],
        )
        cur.execute(
            """
            CREATE TEMP TABLE bench_g AS
            SELECT g, p.id AS project_id, u.id AS expert_id
              FROM generate_series(0, %(n)s - 1) AS g
              JOIN bench_u u ON u.k = g %% %(ne)s
              JOIN bench_p p
                ON p.k = (g %% %(ne)s + ((g / %(ne)s) %% %(spread)s) * %(step)s) %% %(np)s
            """,
            {"n": annotations, "ne": experts, "np": projects, "spread": spread, "step": step},
        )
        cur.execute(
            """
            INSERT INTO labeling_item (project_id, external_id, payload, is_gold, gold_answer,
                gold_retired, priority, open_slots, submitted_count, created_at)
            SELECT project_id, 'item-' || g, '{"prompt": "?"}'::jsonb, g % 20 = 0,
                   CASE WHEN g % 20 = 0 THEN '{"choice": "a"}'::jsonb END, false, 0, 0,
                   1, now()
              FROM bench_g ORDER BY g
            """
        )
        cur.execute(
            """
            INSERT INTO labeling_assignment (project_id, item_id, expert_id, status, is_gold,
                leased_at, lease_expires_at, finished_at)
            SELECT i.project_id, i.id, b.expert_id, 'submitted', i.is_gold, now(), now(), now()
              FROM labeling_item i JOIN bench_g b ON i.external_id = 'item-' || b.g
            """
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
        # Vacuumed as well as analyzed: in production the accepted work piles up over days and
        # autovacuum has long been through it; here it was inserted seconds ago, and autovacuum
        # would otherwise run over these million-row tables during the timed settlement.
        cur.execute("VACUUM ANALYZE")
    log(f"inserted {annotations:,} accepted annotations in {time.perf_counter() - t0:.1f} s")
    return pids


def _cpu() -> float:
    """CPU seconds used so far by the whole machine (user + nice + system, from /proc/stat):
    the settlement runs on several PostgreSQL backends that come and go, so this counts them
    all; on an idle machine it is the settlement's CPU time."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    return (int(fields[0]) + int(fields[1]) + int(fields[2])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k annotations, under a minute")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--annotations", type=int)
    parser.add_argument("--experts", type=int)
    parser.add_argument("--projects", type=int)
    parser.add_argument(
        "--spread", type=int, default=3, help="projects each expert works in (default 3)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=2,
        help="connections settling at once (PLUMBLINE_SETTLEMENT_CONNECTIONS; default 2)",
    )
    parser.add_argument(
        "--worst-case",
        action="store_true",
        help="every expert works in every project: one fair-pay top-up per annotation",
    )
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
        spread = projects if args.worst_case else min(args.spread, projects)
        pids = setup(n, experts, projects, spread)

        from core.parallel import run_on_connections
        from payments import services
        from payments.models import FairPayCredit, JournalEntry, Payout, Posting
        from payments.selectors import ledger_total
        from payments.services.fairpay import FAIRPAY_BATCH_PROJECTS

        workers = args.connections
        c0, t0 = _cpu(), time.perf_counter()
        earned = services.earnings_post_all(check_spend=False, workers=workers)
        settle_earnings = time.perf_counter() - t0
        earnings_cpu = _cpu() - c0
        log(f"earnings: {earned:,} entries in {settle_earnings:.1f} s (CPU {earnings_cpu:.1f} s)")

        # As the beat task fans out: one transaction per batch of projects, `workers` batches
        # at a time (the Celery worker's concurrency).
        c0, t0 = _cpu(), time.perf_counter()
        batches = [
            {"project_ids": pids[i : i + FAIRPAY_BATCH_PROJECTS]}
            for i in range(0, len(pids), FAIRPAY_BATCH_PROJECTS)
        ]
        topped = sum(
            a.total_minor
            for audits in run_on_connections(services.fairpay_settle_projects, batches, workers)
            for a in audits.values()
        )
        settle_fairpay = time.perf_counter() - t0
        fairpay_cpu = _cpu() - c0
        log(f"fair pay: {len(pids)} projects in {settle_fairpay:.1f} s (CPU {fairpay_cpu:.1f} s)")

        t0 = time.perf_counter()
        batch = services.payouts_create_batch(enqueue=False)
        create_payouts = time.perf_counter() - t0
        log(f"payouts: {len(batch.pending_ids):,} in {create_payouts:.1f} s")

        t0 = time.perf_counter()
        again = services.earnings_post(check_spend=False)
        again_topups = sum(
            a.total_minor for a in services.fairpay_settle_projects(project_ids=pids[:5]).values()
        )
        rerun = time.perf_counter() - t0
        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            pg = cur.fetchone()[0].split(",")[0]
        summary = {
            "annotations": n,
            "experts": experts,
            "projects": projects,
            "projects_per_expert": spread,
            "connections": workers,
            "settle_earnings_s": round(settle_earnings, 2),
            "settle_fairpay_s": round(settle_fairpay, 2),
            "settle_total_s": round(settle_earnings + settle_fairpay, 2),
            "settle_cpu_s": round(earnings_cpu + fairpay_cpu, 2),
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
    log(f"total run time {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
