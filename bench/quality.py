"""Quality analytics benchmark: recompute every statistic of a 1M-annotation project, then read
the dashboard and the API from the stored snapshot.

Creates its own PostgreSQL database and fills it with COPY: a live pairwise project with
100k items x overlap 3, 500 experts, and gold items that every expert answers, up to 1M
annotations in all (so 700k gold answers at full size), plus 20k verdicts of one LLM judge
(with swapped verdicts). Planted: 5 speeders and 5 position-biased experts. Then:

  1. snapshot: labeling.quality.services.quality_snapshot_compute in a fresh process (load
     with one values_list pass, all statistics with 1000 bootstrap replicates, write the
     snapshot, aggregated labels and flags): wall time and the process's peak RSS
     (resource.getrusage ru_maxrss);
  2. reads: the company dashboard page and the project quality API, --requests times each
     through Django's test client (in process, real PostgreSQL): p50/p95 latency and queries.

    python bench/quality.py            # full size (~3-5 min on 2 cores, most of it loading)
    python bench/quality.py --quick    # 10k items, 100 experts, 100k annotations (< 1 min)

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/plumbline_bench_quality) names the
database the script creates and drops (--keep leaves it); REDIS_URL (default
redis://127.0.0.1:6379/13) the cache. Progress goes to stderr; the last line on stdout is one
JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    create_database,
    django_setup,
    drop_database,
    log,
    percentile,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/plumbline_bench_quality"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
MODELS = ["model-a", "model-b", "model-c", "model-d", "model-e"]


def _copy(cur, sql: str, lines) -> None:
    with cur.copy(sql) as copy:
        buf = io.StringIO()
        for n, line in enumerate(lines, start=1):
            buf.write(line)
            if n % 50_000 == 0:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())


def build(args) -> dict:
    """Fill the database; returns ids and sizes."""
    import numpy as np
    from django.db import connection
    from django.utils import timezone

    from accounts.models import ExpertProfile, Membership, Organization, Role, User
    from marketplace import services as marketplace

    rng = np.random.default_rng(7)
    t0 = time.perf_counter()
    # (plain Python lists below: formatting numpy scalars row by row is slow)
    owner = User.objects.create(
        email="owner@bench.example", kind=User.Kind.COMPANY, name="Owner", password="!"
    )
    org = Organization.objects.create(name="Bench AI", slug="bench-ai")
    Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
    project = marketplace.project_create(
        organization=org,
        actor=owner,
        data={
            "title": "Quality bench",
            "summary": "Benchmark",
            "task_type": "pairwise",
            "instructions": "Pick the better answer.",
            "pay_per_task_minor": 500,
            "estimated_minutes": 5,
            "item_count": args.items,
            "overlap": args.overlap,
            "currency": "USD",
            "gold_ratio_bps": 1000,
        },
    )
    project = marketplace.project_mark_funded(project=project, actor=None)
    project = marketplace.project_transition(project=project, actor=owner, to_status="live")
    users = User.objects.bulk_create(
        [
            User(email=f"e{i}@bench.example", kind=User.Kind.EXPERT, name=f"e{i}", password="!")
            for i in range(args.experts)
        ],
        batch_size=1000,
    )
    ExpertProfile.objects.bulk_create(
        [ExpertProfile(user=u, pseudonym=f"bx-{u.pk:06x}") for u in users], batch_size=1000
    )
    expert_ids = np.array([u.pk for u in users], dtype=np.int64)
    n_regular = args.items * args.overlap
    n_gold = max(0, -(-(args.annotations - n_regular) // args.experts))
    n_items = args.items + n_gold

    # Items: truth per item (0 a, 1 b, 2 tie), models from a latent strength.
    strength = np.array([1.0, 0.5, 0.0, -0.4, -0.9])
    ma = rng.integers(0, 5, n_items)
    mb = (ma + rng.integers(1, 5, n_items)) % 5
    diff = strength[ma] - strength[mb] + rng.normal(0, 0.8, n_items)
    truth = np.where(np.abs(diff) < 0.1, 2, np.where(diff > 0, 0, 1))
    choice_names = np.array(["a", "b", "tie"])
    now = timezone.now()
    ts = now.isoformat()
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM labeling_item")
        first_item = cur.fetchone()[0] + 1

        ma_l, mb_l, truth_l = ma.tolist(), mb.tolist(), truth.tolist()

        def item_lines():
            for i in range(n_items):
                gold = i >= args.items
                payload = json.dumps(
                    {
                        "prompt": f"Question {i}?",
                        "response_a": f"A{i}",
                        "response_b": f"B{i}",
                        "model_a": MODELS[ma_l[i]],
                        "model_b": MODELS[mb_l[i]],
                    }
                )
                answer = (
                    json.dumps({"choice": str(choice_names[truth_l[i]]), "strength": 2})
                    if gold
                    else "\\N"
                )
                yield (
                    f"{first_item + i}\t{project.pk}\t{'gold' if gold else 'item'}-{i}\t"
                    f"{payload}\t{'t' if gold else 'f'}\t{answer}\tf\t0\t0\t"
                    f"{args.overlap if not gold else args.experts}\t{ts}\n"
                )

        _copy(
            cur,
            "COPY labeling_item (id, project_id, external_id, payload, is_gold, "
            "gold_answer, gold_retired, priority, open_slots, submitted_count, "
            "created_at) FROM STDIN",
            item_lines(),
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('labeling_item', 'id'), %s)",
            [first_item + n_items],
        )
        log(f"items: {n_items} ({n_gold} gold) in {time.perf_counter() - t0:.1f}s")

        # Annotations: overlap distinct experts per regular item; every expert on every gold.
        chosen = rng.integers(0, args.experts, size=(args.items, args.overlap))
        while True:
            s = np.sort(chosen, axis=1)
            dup = (s[:, 1:] == s[:, :-1]).any(axis=1)
            if not dup.any():
                break
            chosen[dup] = rng.integers(0, args.experts, size=(int(dup.sum()), args.overlap))
        ann_item_np = np.r_[
            np.repeat(np.arange(args.items), args.overlap),
            np.repeat(np.arange(args.items, n_items), args.experts),
        ]
        ann_worker = np.r_[chosen.ravel(), np.tile(np.arange(args.experts), n_gold)]
        n_ann = ann_item_np.shape[0]
        ann_item = ann_item_np
        accuracy = rng.uniform(0.75, 0.95, args.experts)
        speeders = np.arange(5)
        biased = np.arange(5, 10)
        accuracy[speeders] = 0.55
        right = rng.random(n_ann) < accuracy[ann_worker]
        t = truth[ann_item]
        wrong = np.where(t == 2, rng.integers(0, 2, n_ann), 1 - np.minimum(t, 1))
        answer = np.where(right, t, wrong)
        is_biased = np.isin(ann_worker, biased) & (rng.random(n_ann) < 0.8)
        answer = np.where(is_biased, 0, answer)
        seconds = rng.lognormal(np.log(240), 0.4, n_ann).astype(np.int64) + 1
        seconds = np.where(np.isin(ann_worker, speeders), rng.integers(5, 30, n_ann), seconds)
        gold = ann_item >= args.items
        correct = answer == t
        when = now.timestamp() - rng.uniform(0, 60 * 86400, n_ann)
        responses = [json.dumps({"choice": str(c), "strength": 2}) for c in choice_names]
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM labeling_assignment")
        first_asg = cur.fetchone()[0] + 1
        from datetime import UTC, datetime

        stamps = [
            datetime.fromtimestamp(x, tz=UTC).isoformat() for x in when[:: max(1, n_ann // 20000)]
        ]

        def stamp(k):
            return stamps[(k // max(1, n_ann // 20000)) % len(stamps)]

        ann_item_l, worker_l = ann_item.tolist(), ann_worker.tolist()
        expert_l, gold_l = expert_ids.tolist(), gold.tolist()
        correct_l, answer_l, seconds_l = correct.tolist(), answer.tolist(), seconds.tolist()

        def asg_lines():
            for k in range(n_ann):
                s = stamp(k)
                yield (
                    f"{first_asg + k}\t{project.pk}\t{first_item + ann_item_l[k]}\t"
                    f"{expert_l[worker_l[k]]}\tsubmitted\t{'t' if gold_l[k] else 'f'}\t"
                    f"{s}\t{s}\t{s}\n"
                )

        _copy(
            cur,
            "COPY labeling_assignment (id, project_id, item_id, expert_id, status, "
            "is_gold, leased_at, lease_expires_at, finished_at) FROM STDIN",
            asg_lines(),
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('labeling_assignment', 'id'), %s)",
            [first_asg + n_ann],
        )
        log(f"assignments: {n_ann} in {time.perf_counter() - t0:.1f}s")

        def ann_lines():
            for k in range(n_ann):
                s = stamp(k)
                g = ("t" if correct_l[k] else "f") if gold_l[k] else "\\N"
                yield (
                    f"{first_asg + k}\t{first_asg + k}\t{project.pk}\t"
                    f"{first_item + ann_item_l[k]}\t{expert_l[worker_l[k]]}\t"
                    f"{responses[answer_l[k]]}\t{seconds_l[k]}\t{s}\taccepted\t\t\tf\t"
                    f"{s}\t{g}\n"
                )

        _copy(
            cur,
            "COPY labeling_annotation (id, assignment_id, project_id, item_id, expert_id, "
            "response, active_seconds, submitted_at, review_status, rejection_reason, "
            "reviewed_at, auto_accepted, review_due_at, gold_correct) FROM STDIN "
            "WITH (NULL '\\N')",
            (line.replace("\t\t\tf\t", "\t\t\\N\tf\t") for line in ann_lines()),
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('labeling_annotation', 'id'), %s)",
            [first_asg + n_ann],
        )
        log(f"annotations: {n_ann} in {time.perf_counter() - t0:.1f}s")

        # One judge on up to 20k regular items, with swapped verdicts.
        from labeling.models import JudgeUpload

        upload = JudgeUpload.objects.create(
            project=project, uploaded_by=owner, filename="bench.jsonl"
        )
        n_judge = min(20_000, args.items)
        jc = np.where(rng.random(n_judge) < 0.85, truth[:n_judge], rng.integers(0, 3, n_judge))
        swap = np.array([1, 0, 2])[jc]

        jc, swap = jc.tolist(), swap.tolist()

        def judge_lines():
            for i in range(n_judge):
                yield (
                    f"{project.pk}\t{first_item + i}\tbench-judge\tjudge\t"
                    f"{responses[jc[i]]}\t{responses[swap[i]]}\t{upload.pk}\t{owner.pk}\t"
                    f"{ts}\n"
                )

        _copy(
            cur,
            "COPY labeling_judgeverdict (project_id, item_id, judge_name, source, "
            "verdict, swapped_verdict, upload_id, uploaded_by_id, created_at) FROM STDIN",
            judge_lines(),
        )
        cur.execute("ANALYZE")
    log(f"data ready in {time.perf_counter() - t0:.1f}s")
    return {
        "project_id": project.pk,
        "owner_id": owner.pk,
        "annotations": int(n_ann),
        "items": int(n_items),
        "gold_items": int(n_gold),
        "experts": args.experts,
        "judge_verdicts": int(n_judge),
        "load_seconds": round(time.perf_counter() - t0, 1),
    }


def _compute_child(db_url: str, redis_url: str, project_id: int, queue) -> None:
    django_setup(db_url, redis_url)
    from labeling.quality.services import quality_snapshot_compute

    t0 = time.perf_counter()
    snapshot = quality_snapshot_compute(project_id=project_id, n_boot=1000)
    wall = time.perf_counter() - t0
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put(
        {
            "seconds": round(wall, 2),
            "peak_rss_mb": round(rss_kb / 1024, 1),
            "snapshot_id": snapshot.pk,
            "duration_ms": snapshot.duration_ms,
            "flags": snapshot.data["flags"],
            "blocks": snapshot.blocks.count(),
        }
    )


def reads(project_id: int, owner_id: int, n: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=owner_id))
    out = {}
    for name, url in (
        ("dashboard", reverse("quality_dashboard", args=[project_id])),
        ("api", reverse("api-project-quality", args=[project_id])),
        ("judge_report", reverse("quality_judges", args=[project_id])),
    ):
        client.get(url)  # warm
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        with CaptureQueriesContext(connection) as ctx:
            size = len(client.get(url).content)
        out[name] = {
            "p50_ms": round(percentile(samples, 50), 1),
            "p95_ms": round(percentile(samples, 95), 1),
            "queries": len(ctx.captured_queries),
            "bytes": size,
        }
        log(f"{name}: p50 {out[name]['p50_ms']} ms, p95 {out[name]['p95_ms']} ms")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", action="store_true", help="leave the database")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    if args.quick:
        args.items, args.overlap, args.experts, args.annotations = 10_000, 3, 100, 100_000
    else:
        args.items, args.overlap, args.experts, args.annotations = 100_000, 3, 500, 1_000_000
    db_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    if "bench" not in db_url:
        db_url = DEFAULT_DB
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    create_database(db_url)
    try:
        django_setup(db_url, redis_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        info = build(args)
        from django.db import connections

        connections.close_all()
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        child = ctx.Process(
            target=_compute_child, args=(db_url, redis_url, info["project_id"], queue)
        )
        child.start()
        snapshot = queue.get(timeout=1800)
        child.join()
        log(f"snapshot: {snapshot['seconds']} s, peak RSS {snapshot['peak_rss_mb']} MB")
        latency = reads(info["project_id"], info["owner_id"], args.requests)
        connections.close_all()
    finally:
        if not args.keep:
            drop_database(db_url)
    result = {
        "benchmark": "quality",
        "quick": args.quick,
        **info,
        "snapshot": snapshot,
        "reads": latency,
        "targets": {"snapshot_seconds": 60, "peak_rss_mb": 2048, "dashboard_ms": 200},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
