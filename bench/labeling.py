"""Labeling claim/submit benchmark: real HTTP, real PostgreSQL, concurrent simulated experts.

Creates its own PostgreSQL database, fills it, starts gunicorn (config.wsgi, config.settings.test
with DEBUG off, persistent DB connections, Redis cache) on a free local port and drives it with
keep-alive http.client clients in several processes, authenticated with personal API tokens:

  1. throughput: each client is one expert looping POST /projects/{id}/tasks/next/ then
     POST /tasks/{id}/submit/ for --duration seconds, at 1, 8 and 32 clients: cycles/s and
     p50/p95 cycle latency;
  2. duplicate assignments, counted in SQL at the end (same item leased twice to one expert, or
     an item leased beyond its overlap): must be 0;
  3. next-task latency at 10k and at 1M items (100k with --quick): claim + release loops by
     fresh experts and by experts who already did --history tasks in the project;
  4. in-process profile: queries per claim/submit, marketplace eligibility
     (check_expert_can_work, uncached) next to the claim service, EXPLAIN ANALYZE of the claim
     statement (labeling.services.work_pg);
  5. import rate for 1M items and export rate and peak memory for 1M annotations (20,000 with
     --quick): bench/labeling_io.py, run as a child process after the server has stopped
     (--skip-io leaves it out); its figures go under "import_export".

    python bench/labeling.py            # full: 1M items, 15 s per level, then import/export
    python bench/labeling.py --quick    # < 1 minute

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/plumbline_bench_labeling) names the
database the script creates and drops (--keep leaves it); REDIS_URL (default
redis://127.0.0.1:6379/13) the cache. Progress goes to stderr; the last line on stdout is one
JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
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

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/plumbline_bench_labeling"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
ANSWER = {"choice": "a", "strength": 2}
LATENCY_OVERLAP = 50  # items of the latency projects stay open whatever the history


# --- Client side (runs in worker processes; no Django here) ------------------------------------


class _Response:
    __slots__ = ("status_code", "content")

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

    def json(self):
        return json.loads(self.content)


class _Client:
    """One expert's keep-alive HTTP/1.1 connection (http.client). The load generator shares the
    machine's cores with the server, so it is kept as light as it can be: httpx cost ~4 ms of
    CPU per claim + submit cycle on a slow 2-core machine, more than a sixth of the server's."""

    def __init__(self, base_url: str, token: str):
        from urllib.parse import urlparse

        url = urlparse(base_url)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, path: str, json_body=None) -> _Response:
        body = b"" if json_body is None else json.dumps(json_body).encode()
        self.conn.request("POST", path, body=body, headers=self.headers)
        response = self.conn.getresponse()
        return _Response(response.status, response.read())

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc) -> None:
        self.conn.close()


def _cycle_worker(
    base_url: str, project_id: int, tokens: list[str], duration: float, start_at: float
) -> dict:
    """One process: a thread per token, each looping claim + submit until the deadline."""
    results: dict = {"cycles": [], "claims": [], "submits": [], "errors": {}, "no_task": 0}
    cpu_before = time.process_time()
    lock = threading.Lock()

    def run(token: str) -> None:
        cycles, claims, submits, errors, no_task = [], [], [], {}, 0
        with _Client(base_url, token) as client:
            while time.time() < start_at:
                time.sleep(0.001)
            deadline = start_at + duration
            while time.time() < deadline:
                t0 = time.perf_counter()
                r = client.post(f"/api/v1/projects/{project_id}/tasks/next/")
                t1 = time.perf_counter()
                if r.status_code != 200:
                    if r.status_code == 404:
                        no_task += 1
                        break
                    errors[f"next {r.status_code}"] = errors.get(f"next {r.status_code}", 0) + 1
                    continue
                task = r.json()["id"]
                r = client.post(
                    f"/api/v1/tasks/{task}/submit/", {"response": ANSWER, "active_seconds": 20}
                )
                t2 = time.perf_counter()
                if r.status_code != 201:
                    errors[f"submit {r.status_code}"] = errors.get(f"submit {r.status_code}", 0) + 1
                    continue
                cycles.append(t2 - t0)
                claims.append(t1 - t0)
                submits.append(t2 - t1)
        with lock:
            results["cycles"] += cycles
            results["claims"] += claims
            results["submits"] += submits
            results["no_task"] += no_task
            for k, v in errors.items():
                results["errors"][k] = results["errors"].get(k, 0) + v

    threads = [threading.Thread(target=run, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results["cpu_s"] = time.process_time() - cpu_before
    return results


def _claim_worker(base_url: str, project_id: int, tokens: list[str], samples: int) -> dict:
    """Next-task latency: claim then release, `samples` times per token, a thread per token."""
    latencies: list[float] = []
    errors: dict = {}
    lock = threading.Lock()

    def run(token: str) -> None:
        mine, errs = [], {}
        with _Client(base_url, token) as client:
            for _ in range(samples):
                t0 = time.perf_counter()
                r = client.post(f"/api/v1/projects/{project_id}/tasks/next/")
                mine.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errs[r.status_code] = errs.get(r.status_code, 0) + 1
                    continue
                client.post(f"/api/v1/tasks/{r.json()['id']}/release/", {})
        with lock:
            latencies.extend(mine)
            for k, v in errs.items():
                errors[str(k)] = errors.get(str(k), 0) + v

    threads = [threading.Thread(target=run, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"latencies": latencies, "errors": errors}


def _noop(_: int) -> int:
    return os.getpid()


def _split(items: list, parts: int) -> list[list]:
    parts = max(1, min(parts, len(items)))
    return [items[i::parts] for i in range(parts)]


# --- Server ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, redis_url: str, workers: int, threads: int, log_path: Path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.labeling_settings",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = open(log_path, "w")  # noqa: SIM115 - closed with the server
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code < 500:
                return proc, base_url, log_file
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log_path}")
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not come up; see {log_path}")


def stop_server(proc, log_file) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
    log_file.close()


# --- Data --------------------------------------------------------------------------------------


def make_experts(n: int, prefix: str) -> list[tuple[object, str]]:
    from accounts.models import ExpertProfile, User
    from accounts.services import api_token_create

    users = User.objects.bulk_create(
        [
            User(
                email=f"{prefix}{i}@bench.example",
                kind=User.Kind.EXPERT,
                name=f"{prefix} {i}",
                password="!",
            )
            for i in range(n)
        ]
    )
    ExpertProfile.objects.bulk_create(
        [ExpertProfile(user=u, pseudonym=f"{prefix}-{u.pk:08x}") for u in users]
    )
    return [(u, api_token_create(user=u, name="bench")[1]) for u in users]


def make_project(owner, organization, title: str, *, overlap: int, gold_ratio_bps: int):
    from marketplace import services

    project = services.project_create(
        organization=organization,
        actor=owner,
        data={
            "title": title,
            "summary": "Benchmark",
            "task_type": "pairwise",
            "instructions": "Pick the better answer.",
            "pay_per_task_minor": 500,
            "estimated_minutes": 10,
            "item_count": 1000,
            "overlap": overlap,
            "currency": "USD",
            "gold_ratio_bps": gold_ratio_bps,
        },
    )
    project = services.project_mark_funded(project=project, actor=None)
    return services.project_transition(project=project, actor=owner, to_status="live")


def insert_items(project, n: int, *, gold: int = 0) -> float:
    """n regular + `gold` gold items in one INSERT ... SELECT generate_series each."""
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO labeling_item (project_id, external_id, payload, is_gold, gold_answer,
                gold_retired, priority, open_slots, submitted_count, created_at)
            SELECT %s, 'item-' || g,
                   jsonb_build_object('prompt', 'Question ' || g || '?',
                                      'response_a', 'Answer A to ' || g,
                                      'response_b', 'Answer B to ' || g),
                   false, NULL, false, 0, %s, 0, now()
            FROM generate_series(1, %s) AS g
            """,
            [project.pk, project.overlap, n],
        )
        if gold:
            cur.execute(
                """
                INSERT INTO labeling_item (project_id, external_id, payload, is_gold, gold_answer,
                    gold_retired, priority, open_slots, submitted_count, created_at)
                SELECT %s, 'gold-' || g,
                       jsonb_build_object('prompt', 'Question g' || g || '?',
                                          'response_a', 'Answer A to g' || g,
                                          'response_b', 'Answer B to g' || g),
                       true, '{"choice": "a"}'::jsonb, false, 0, 0, 0, now()
                FROM generate_series(1, %s) AS g
                """,
                [project.pk, gold],
            )
        cur.execute("ANALYZE labeling_item")
    return time.perf_counter() - t0


def give_history(project, experts, n: int) -> None:
    """Each expert has already submitted the project's first n items (in claim order)."""
    from django.db import connection

    from labeling.models import ExpertProjectStats

    with connection.cursor() as cur:
        for user, _ in experts:
            cur.execute(
                """
                INSERT INTO labeling_assignment (project_id, item_id, expert_id, status, is_gold,
                    leased_at, lease_expires_at, finished_at)
                SELECT %s, id, %s, 'submitted', false, now() - interval '1 day',
                       now() - interval '1 day' + interval '30 minutes', now() - interval '1 day'
                FROM labeling_item
                WHERE project_id = %s AND NOT is_gold
                ORDER BY priority DESC, id LIMIT %s
                """,
                [project.pk, user.pk, project.pk, n],
            )
        cur.execute(
            """
            UPDATE labeling_item SET open_slots = open_slots - %s, submitted_count = %s
            WHERE id IN (SELECT id FROM labeling_item WHERE project_id = %s AND NOT is_gold
                         ORDER BY priority DESC, id LIMIT %s)
            """,
            [len(experts), len(experts), project.pk, n],
        )
        cur.execute("ANALYZE labeling_assignment")
        cur.execute("ANALYZE labeling_item")
    ExpertProjectStats.objects.bulk_create(
        [
            ExpertProjectStats(project=project, expert=u, tasks_claimed=n, tasks_submitted=n)
            for u, _ in experts
        ]
    )


def duplicates() -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """SELECT count(*) FROM (SELECT item_id, expert_id FROM labeling_assignment
               GROUP BY item_id, expert_id HAVING count(*) > 1) d"""
        )
        same_expert = cur.fetchone()[0]
        cur.execute(
            """SELECT count(*) FROM (
                 SELECT a.item_id FROM labeling_assignment a
                 JOIN labeling_item i ON i.id = a.item_id
                 JOIN marketplace_project p ON p.id = a.project_id
                 WHERE a.status IN ('leased', 'submitted') AND NOT i.is_gold
                 GROUP BY a.item_id, p.overlap HAVING count(*) > p.overlap) o"""
        )
        over_overlap = cur.fetchone()[0]
        cur.execute(
            """SELECT count(*) FROM labeling_item i WHERE NOT i.is_gold AND i.open_slots <> (
                 SELECT p.overlap FROM marketplace_project p WHERE p.id = i.project_id)
                 - (SELECT count(*) FROM labeling_assignment a WHERE a.item_id = i.id
                    AND a.status IN ('leased', 'submitted'))
               AND i.project_id = %s""",
            [_THROUGHPUT_PROJECT[0]],
        )
        slot_drift = cur.fetchone()[0]
    return {
        "same_item_same_expert": same_expert,
        "beyond_overlap": over_overlap,
        "open_slots_drift": slot_drift,
    }


_THROUGHPUT_PROJECT: list[int] = [0]


# --- Measurements ------------------------------------------------------------------------------


def _server_pids(master_pid: int, db_name: str) -> list[int]:
    """gunicorn workers (children of the master) and PostgreSQL backends of the bench database."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == master_pid or (cmdline.startswith("postgres:") and f" {db_name} " in cmdline):
            pids.append(int(entry.name))
    return pids


def server_cpu_split(master_pid: int, db_name: str) -> dict[str, float]:
    """CPU time (user + system) used so far by the server side, in seconds: gunicorn workers
    ("app") and PostgreSQL backends of the bench database ("db")."""
    ticks = os.sysconf("SC_CLK_TCK")
    split = {"app": 0, "db": 0}
    for pid in _server_pids(master_pid, db_name):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        side = "app" if int(fields[1]) == master_pid else "db"  # fields[1]: the parent's pid
        split[side] += int(fields[11]) + int(fields[12])  # utime, stime
    return {side: t / ticks for side, t in split.items()}


def server_cpu_seconds(master_pid: int, db_name: str) -> float:
    """CPU time (user + system) used so far by the server side: gunicorn workers + backends."""
    return sum(server_cpu_split(master_pid, db_name).values())


_SERVER: dict = {}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def run_throughput(pool, base_url, project, experts, clients: int, duration: float) -> dict:
    tokens = [t for _, t in experts]
    start_at = time.time() + 0.5  # the client processes are already spawned and warm
    cpu_before = server_cpu_split(_SERVER["pid"], _SERVER["db"]) if _SERVER else None
    groups = _split(tokens, min(4, clients))
    futures = [
        pool.submit(_cycle_worker, base_url, project.pk, g, duration, start_at) for g in groups
    ]
    cycles, claims, submits, errors, no_task, client_cpu = [], [], [], {}, 0, 0.0
    for f in futures:
        r = f.result()
        client_cpu += r["cpu_s"]
        cycles += r["cycles"]
        claims += r["claims"]
        submits += r["submits"]
        no_task += r["no_task"]
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    cpu_after = server_cpu_split(_SERVER["pid"], _SERVER["db"]) if _SERVER else None
    app_cpu = cpu_after["app"] - cpu_before["app"] if cpu_after else 0.0
    db_cpu = cpu_after["db"] - cpu_before["db"] if cpu_after else 0.0
    cpu = app_cpu + db_cpu
    out = {
        "clients": clients,
        "cycles": len(cycles),
        "cycles_per_s": round(len(cycles) / duration, 1),
        "p50_ms": ms(percentile(cycles, 50)) if cycles else None,
        "p95_ms": ms(percentile(cycles, 95)) if cycles else None,
        "claim_p95_ms": ms(percentile(claims, 95)) if claims else None,
        "submit_p95_ms": ms(percentile(submits, 95)) if submits else None,
        # Server-side CPU (gunicorn workers + PostgreSQL backends) per cycle: what one cycle
        # costs whatever else the machine is doing; 2 idle cores give ~2000 / this cycles/s.
        "server_cpu_ms_per_cycle": round(cpu * 1000 / len(cycles), 1) if cycles else None,
        "app_cpu_ms_per_cycle": round(app_cpu * 1000 / len(cycles), 1) if cycles else None,
        "db_cpu_ms_per_cycle": round(db_cpu * 1000 / len(cycles), 1) if cycles else None,
        # The load generator shares the machine: its CPU is not the server's but is not free.
        "client_cpu_ms_per_cycle": round(client_cpu * 1000 / len(cycles), 1) if cycles else None,
        "errors": errors,
    }
    if no_task:
        out["ran_out_of_items"] = no_task
    log(f"  {clients:>2} clients: {out}")
    return out


def run_next_task(pool, base_url, project, experts, samples: int) -> dict:
    tokens = [t for _, t in experts]
    groups = _split(tokens, 2)
    futures = [pool.submit(_claim_worker, base_url, project.pk, g, samples) for g in groups]
    latencies, errors = [], {}
    for f in futures:
        r = f.result()
        latencies += r["latencies"]
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    return {
        "samples": len(latencies),
        "p50_ms": ms(percentile(latencies, 50)),
        "p95_ms": ms(percentile(latencies, 95)),
        "errors": errors,
    }


def profile_claim(project, expert, repeats: int) -> dict:
    """In-process: queries per claim and submit, uncached eligibility, the claim's plan."""

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from labeling import services
    from labeling.services import work_pg
    from marketplace.services import check_expert_can_work

    with CaptureQueriesContext(connection) as claim_q:
        lease = services.task_claim(project=project, expert=expert)
    with CaptureQueriesContext(connection) as submit_q:
        services.annotation_submit(
            assignment_id=lease.pk, expert=expert, response=ANSWER, active_seconds=20
        )

    eligibility, claim = [], []
    from marketplace.models import Project

    for _ in range(repeats):
        # A fresh Project each time, as in a request (job_rows caches prefetches on the instance).
        project = Project.objects.get(pk=project.pk)
        t0 = time.perf_counter()
        check_expert_can_work(project=project, expert=expert)
        eligibility.append(time.perf_counter() - t0)
        project = Project.objects.get(pk=project.pk)
        t0 = time.perf_counter()
        lease = services.task_claim(project=project, expert=expert)
        claim.append(time.perf_counter() - t0)
        services.assignment_release(assignment_id=lease.pk, expert=expert)

    # The claim statement itself (work_pg._CLAIM: live lease, pick, lease insert, counters),
    # executed by EXPLAIN ANALYZE inside a transaction that is rolled back.
    with transaction.atomic(), connection.cursor() as cursor:
        now = timezone.now()
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) " + work_pg.claim_sql(),
            work_pg.claim_params(project_id=project.pk, expert=expert, now=now),
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    execution = [line for line in plan.splitlines() if "Execution Time" in line]
    eligibility_ms = ms(percentile(eligibility, 50))
    claim_ms = ms(percentile(claim, 50))
    return {
        "claim_queries": len(claim_q.captured_queries),
        "submit_queries": len(submit_q.captured_queries),
        "claim_service_p50_ms": claim_ms,
        # check_expert_can_work called directly (uncached); the claim service above reuses the
        # verdict it remembered (PLUMBLINE_CLAIM_VERDICT_SECONDS), so this is not a share of it.
        "eligibility_uncached_p50_ms": eligibility_ms,
        "claim_query_plan": plan,
        "claim_query_execution": execution[0].strip() if execution else "",
    }


def run_import_export(quick: bool) -> dict:
    """bench/labeling_io.py in a child process (its own database on the same server, its own
    memory figures); its progress goes to our stderr, its last stdout line is its JSON."""
    command = [sys.executable, str(ROOT / "bench" / "labeling_io.py")]
    if quick:
        command.append("--quick")
    done = subprocess.run(
        command, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- Main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--duration", type=float, help="seconds per client level")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--big", type=int, help="items of the large project (1M; 100k quick)")
    parser.add_argument("--history", type=int, help="tasks already done by 'busy' experts")
    parser.add_argument("--skip-io", action="store_true", help="leave out import/export")
    args = parser.parse_args()

    quick = args.quick
    duration = args.duration or (3.0 if quick else 15.0)
    big = args.big or (100_000 if quick else 1_000_000)
    small = 10_000
    history = args.history or (300 if quick else 2000)
    samples = 25 if quick else 100
    levels = [int(c) for c in args.clients.split(",")]
    db_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    started = time.time()

    def step(message: str) -> None:
        log(f"[{time.time() - started:5.1f} s] {message}")

    create_database(db_url)
    django_setup(db_url, redis_url)
    server = None
    try:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        step("migrated")
        from accounts.models import Membership, Organization, Role, User

        org = Organization.objects.create(name="Bench AI", slug="bench-ai")
        owner = User.objects.create(
            email="owner@bench.example", kind=User.Kind.COMPANY, password="!"
        )
        Membership.objects.create(organization=org, user=owner, role=Role.OWNER)

        throughput = make_project(owner, org, "Throughput", overlap=3, gold_ratio_bps=1000)
        _THROUGHPUT_PROJECT[0] = throughput.pk
        tp_items = 3_000 if quick else small
        insert_items(throughput, tp_items, gold=tp_items // 20)
        p_small = make_project(
            owner, org, "Next task 10k", overlap=LATENCY_OVERLAP, gold_ratio_bps=1000
        )
        insert_items(p_small, small, gold=small // 100)
        p_big = make_project(
            owner, org, f"Next task {big}", overlap=LATENCY_OVERLAP, gold_ratio_bps=1000
        )
        seconds = insert_items(p_big, big, gold=small // 100)
        step(f"inserted {big:,} items in {seconds:.1f} s")

        level_experts = {c: make_experts(c, f"tp{c}-") for c in levels}
        warm = make_experts(8, "warm-")
        fresh = make_experts(4, "fresh-")
        busy = make_experts(4, "busy-")
        for project in (p_small, p_big):
            give_history(project, busy, history)
        # In production items arrive long before they are worked on and autovacuum has been
        # through them; here they were inserted seconds ago, and autovacuum would otherwise run
        # over the million-row tables while the throughput levels are measured.
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        step(f"experts ready, vacuumed ({time.time() - started:.0f} s)")

        server, base_url, log_file = start_server(
            db_url, redis_url, args.workers, args.threads, ROOT / "var" / "bench_labeling.log"
        )
        from urllib.parse import urlparse

        _SERVER.update(pid=server.pid, db=urlparse(db_url).path.lstrip("/"))
        step(f"gunicorn on {base_url} ({args.workers} workers x {args.threads} threads)")
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=4, mp_context=ctx) as pool:
            step("warm-up")
            list(pool.map(_noop, range(16)))  # spawn the client processes first
            # Every gunicorn worker imports and resolves lazily on its first requests: keep
            # that (seconds of CPU per worker) out of the measured levels.
            run_throughput(pool, base_url, throughput, warm, 8, 5.0 if quick else 8.0)
            step("throughput (claim + submit cycles)")
            results = {
                c: run_throughput(pool, base_url, throughput, level_experts[c], c, duration)
                for c in levels
            }
            step("next-task latency")
            next_task = {}
            for label, project in (("10k", p_small), ("big", p_big)):
                next_task[label] = {
                    "fresh": run_next_task(pool, base_url, project, fresh, samples),
                    "busy": run_next_task(pool, base_url, project, busy, samples),
                }
                step(f"  {label}: {next_task[label]}")
        stop_server(server, log_file)
        server = None

        dup = duplicates()
        step(f"duplicates: {dup}")
        prof = profile_claim(p_big, busy[0][0], 30 if quick else 100)
        step("claim query plan (large project, busy expert):\n" + prof.pop("claim_query_plan"))

        io = None
        if not args.skip_io:
            step("import/export (bench/labeling_io.py)")
            io = run_import_export(quick)
            step(
                f"  import {io['import_items_per_s']:,} items/s, export "
                f"{io['export_rows_per_s']:,} rows/s, peak RSS {io['export_peak_rss_mb']} MB"
            )

        def p95(label):
            return max(next_task[label]["fresh"]["p95_ms"], next_task[label]["busy"]["p95_ms"])

        summary = {
            "benchmark": "labeling_claim_submit",
            "quick": quick,
            "duration_s_per_level": duration,
            "server": f"gunicorn {args.workers}w x {args.threads}t, bench.labeling_settings "
            "(test settings, DEBUG off, Redis cache, persistent connections)",
            "throughput": [results[c] for c in levels],
            "cycles_per_s_at_8": results[8]["cycles_per_s"] if 8 in results else None,
            "server_cpu_ms_per_cycle_at_8": results[8]["server_cpu_ms_per_cycle"]
            if 8 in results
            else None,
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
            "duplicate_assignments": dup["same_item_same_expert"] + dup["beyond_overlap"],
            "duplicates_detail": dup,
            "next_task": {
                "items_small": small,
                "items_big": big,
                "history_of_busy_experts": history,
                "p95_ms_small": p95("10k"),
                "p95_ms_big": p95("big"),
                "ratio_big_to_small": round(p95("big") / p95("10k"), 2),
                "detail": next_task,
            },
            "profile": prof,
            "import_items_per_s": io["import_items_per_s"] if io else None,
            "export_rows_per_s": io["export_rows_per_s"] if io else None,
            "export_peak_rss_mb": io["export_peak_rss_mb"] if io else None,
            "import_export": io,
            "elapsed_s": round(time.time() - started, 1),
        }
    finally:
        if server is not None:
            stop_server(server, log_file)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(db_url)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
