"""Soak under load: the whole marketplace loop for a bounded time, then its invariants checked.

Creates its own PostgreSQL database (created and dropped), starts a localstripe harness (in this
process, a free port), gunicorn (bench.labeling's server: test settings, DEBUG off, Redis cache)
and a real Celery worker (tests/worker.py) on Redis, and seeds through the real services:

- companies with an owner, a manager and reviewers; live projects funded through the real Stripe
  flow (`funding_create` + `funding_pay_with_test_card` against localstripe: PaymentIntent,
  charge, ledger escrow), with items and gold items (SQL, as bench/labeling.py does);
- experts with API tokens and Stripe Connect accounts onboarded on localstripe (onboarding link,
  the harness's hosted page, `payout_account_refresh`).

Then, for --duration seconds, httpx clients in processes run concurrently (all through the API):
experts claim and submit (sometimes release, sometimes walk away from a lease so it expires),
reviewers bulk-accept their queue (and reject a few), a manager imports items and runs export
jobs now and then; a beat-like thread here sends the periodic tasks by name every few seconds
(lease expiry, earnings sweep, payout batch, payouts resume, spend checks, fair pay).

At the end it drains (earnings settled, a last payout batch paid, leases expired) and checks:
zero 5xx and transport errors, zero double assignments, zero leaked leases (and item and stats
counters consistent with the leases), every accepted annotation earned exactly once, the ledger
balanced (per entry and overall), and localstripe's transfers equal to the ledger's payouts.

    python bench/soak.py               # 600 s of load
    python bench/soak.py --quick       # 60 s of load
    python bench/soak.py --duration 45

The database is DATABASE_URL's with `_soak` appended to its name (unless the name has `soak` in
it already), created at the start and dropped at the end (--keep leaves it); Redis is REDIS_URL's
server with database --redis-db (default 11) as broker, result backend and cache, flushed at the
start, so give each concurrent soak its own. Progress goes to stderr; the last line on stdout is
one JSON object with every figure and `ok`; the exit code is 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import random
import sys
import threading
import time
import traceback
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import create_database, django_setup, drop_database, log, percentile  # noqa: E402
from bench.labeling import (  # noqa: E402
    _split,
    insert_items,
    make_experts,
    ms,
    server_cpu_seconds,
    start_server,
    stop_server,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/plumbline_soak"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
PAY_MINOR = 500
LEASE_MINUTES = 1  # short, so leases walked away from expire within the run
EXPORT_FORMATS = ("annotations.jsonl", "trl.jsonl", "annotations.csv")


# --- Client side (runs in client processes; no Django here) ------------------------------------


class Recorder:
    """Latency and status of every request of one thread, by endpoint label."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {}
        self.status: dict[str, dict[str, int]] = {}
        self.transport: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.crashes: list[str] = []  # a client thread that died: a bug here or a bad answer

    def call(self, client, label: str, method: str, url: str, **kwargs):
        t0 = time.perf_counter()
        try:
            response = client.request(method, url, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any transport failure counts against the server
            key = f"{label}: {type(exc).__name__}"
            self.transport[key] = self.transport.get(key, 0) + 1
            return None
        self.latency.setdefault(label, []).append(time.perf_counter() - t0)
        by_status = self.status.setdefault(label, {})
        code = str(response.status_code)
        by_status[code] = by_status.get(code, 0) + 1
        return response

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def merge(self, other: dict) -> None:
        for label, values in other["latency"].items():
            self.latency.setdefault(label, []).extend(values)
        for label, codes in other["status"].items():
            mine = self.status.setdefault(label, {})
            for code, n in codes.items():
                mine[code] = mine.get(code, 0) + n
        for key, n in other["transport"].items():
            self.transport[key] = self.transport.get(key, 0) + n
        for key, n in other["counts"].items():
            self.count(key, n)
        self.crashes += other["crashes"]

    def export(self) -> dict:
        return {
            "latency": self.latency,
            "status": self.status,
            "transport": self.transport,
            "counts": self.counts,
            "crashes": self.crashes,
        }


def _timestamp(value, context) -> float:
    if not isinstance(value, str):
        raise ValueError(f"no lease_expires_at in the claimed task: {context}")
    return datetime.fromisoformat(value).timestamp()


def _client(base_url: str, token: str):
    import httpx

    return httpx.Client(base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {token}"})


def _expert_loop(base_url, token, projects, deadline, seed, walk_first, rec: Recorder) -> None:
    """Claim and submit, round the projects. Now and then release a task, or walk away from it
    (the lease then expires and the expiry task must give the slot back); with `walk_first`,
    walk away from the very first task, so that even a short soak sees leases expire."""
    rng = random.Random(seed)
    walk_next = walk_first
    avoid_until: dict[int, float] = {}  # project -> time: no task there, or a lease walked away
    with _client(base_url, token) as client:
        while time.time() < deadline:
            open_projects = [p for p in projects if avoid_until.get(p, 0) <= time.time()]
            if not open_projects:
                time.sleep(0.2)
                continue
            pid = rng.choice(open_projects)
            r = rec.call(client, "POST tasks/next", "POST", f"/api/v1/projects/{pid}/tasks/next/")
            if r is None or r.status_code != 200:
                if r is not None and r.status_code == 404:
                    avoid_until[pid] = time.time() + 2
                continue
            task = r.json()
            draw = rng.random()
            if draw < 0.01 or walk_next:
                walk_next = False
                # Walk away: claiming here again would hand back the same live lease.
                expires = _timestamp(task.get("lease_expires_at"), task)
                avoid_until[pid] = expires + 1
                rec.count("leases_walked_away")
                continue
            if draw < 0.03:
                rec.call(
                    client, "POST tasks/release", "POST", f"/api/v1/tasks/{task['id']}/release/"
                )
                continue
            r = rec.call(
                client,
                "POST tasks/submit",
                "POST",
                f"/api/v1/tasks/{task['id']}/submit/",
                json={
                    "response": {"choice": "a", "strength": rng.randint(1, 3)},
                    "active_seconds": rng.randint(60, 900),
                },
            )
            if r is not None and r.status_code == 201:
                rec.count("cycles")


def _reviewer_loop(base_url, token, projects, deadline, seed, rec: Recorder) -> None:
    """Take each project's queue (oldest first), reject one now and then, bulk-accept the rest."""
    rng = random.Random(seed)
    with _client(base_url, token) as client:
        while time.time() < deadline:
            for pid in projects:
                r = rec.call(
                    client,
                    "GET review/queue",
                    "GET",
                    f"/api/v1/review/projects/{pid}/queue/",
                    params={"page_size": 200},
                )
                if r is None or r.status_code != 200:
                    continue
                ids = [a["id"] for a in r.json()["results"]]
                if ids and rng.random() < 0.3:
                    rejected = ids.pop(rng.randrange(len(ids)))
                    r = rec.call(
                        client,
                        "POST review/reject",
                        "POST",
                        f"/api/v1/review/annotations/{rejected}/reject/",
                        json={"reason": "Soak: the rationale does not follow the instructions."},
                    )
                    if r is not None and r.status_code == 200:
                        rec.count("rejected")
                if ids:
                    r = rec.call(
                        client,
                        "POST review/bulk-accept",
                        "POST",
                        f"/api/v1/review/projects/{pid}/bulk-accept/",
                        json={"annotation_ids": ids},
                    )
                    if r is not None and r.status_code == 200:
                        rec.count("accepted_by_reviewers", len(r.json()["accepted"]))
            time.sleep(rng.uniform(0.5, 1.5))


def _items_file(n: int) -> bytes:
    tag = uuid.uuid4().hex[:8]
    lines = [
        json.dumps(
            {
                "external_id": f"import-{tag}-{i}",
                "payload": {
                    "prompt": f"Imported question {tag} {i}?",
                    "response_a": f"Answer A {i}",
                    "response_b": f"Answer B {i}",
                },
            }
        )
        for i in range(n)
    ]
    return ("\n".join(lines) + "\n").encode()


def _manager_loop(base_url, token, projects, deadline, every, drain, seed, rec: Recorder) -> None:
    """An items import and an export job now and then (async jobs: create, poll, download);
    after the deadline, waits up to `drain` seconds for its jobs to finish."""
    rng = random.Random(seed)
    pending: list[tuple[str, int, int]] = []  # (kind, project, job id)
    next_import = time.time() + every / 2
    next_export = time.time() + every
    with _client(base_url, token) as client:
        while time.time() < deadline or (pending and time.time() < deadline + drain):
            now = time.time()
            if now < deadline and now >= next_import:
                next_import += every
                pid = rng.choice(projects)
                r = rec.call(
                    client,
                    "POST imports",
                    "POST",
                    f"/api/v1/projects/{pid}/imports/",
                    files={"file": ("items.jsonl", _items_file(100), "application/x-ndjson")},
                )
                if r is not None and r.status_code == 202:
                    pending.append(("import", pid, r.json()["id"]))
            if now < deadline and now >= next_export:
                next_export += every
                pid = rng.choice(projects)
                r = rec.call(
                    client,
                    "POST exports",
                    "POST",
                    f"/api/v1/projects/{pid}/exports/",
                    json={"format": rng.choice(EXPORT_FORMATS), "filters": {"accepted_only": True}},
                )
                if r is not None and r.status_code == 202:
                    pending.append(("export", pid, r.json()["id"]))
            for job in list(pending):
                kind, pid, job_id = job
                url = (
                    f"/api/v1/projects/{pid}/imports/{job_id}/"
                    if kind == "import"
                    else f"/api/v1/projects/{pid}/exports/jobs/{job_id}/"
                )
                r = rec.call(client, f"GET {kind}s/job", "GET", url)
                if r is None or r.status_code != 200:
                    continue
                status = r.json()["status"]
                if status not in ("succeeded", "failed"):
                    continue
                pending.remove(job)
                rec.count(f"{kind}s_{status}")
                if kind == "import" and status == "succeeded":
                    rec.count("items_imported", r.json()["items_created"])
                if kind == "export" and status == "succeeded":
                    r = rec.call(client, "GET exports/download", "GET", url + "download/")
                    if r is not None and r.status_code == 200:
                        rec.count("export_bytes", len(r.content))
            time.sleep(0.5)
        rec.count("jobs_unfinished", len(pending))


def _client_process(base_url: str, roles: list[tuple], start_at: float, deadline: float) -> dict:
    """One client process: a thread per role, all merged into one recorder at the end."""
    import httpx  # noqa: F401 - imported before the clock starts

    loops = {"expert": _expert_loop, "reviewer": _reviewer_loop, "manager": _manager_loop}
    recorders: list[Recorder] = []

    def run(kind: str, args: tuple) -> None:
        rec = Recorder()
        recorders.append(rec)
        while time.time() < start_at:
            time.sleep(0.01)
        try:
            loops[kind](base_url, *args, rec=rec)
        except Exception:  # noqa: BLE001 - reported in the summary and fails the run
            rec.crashes.append(f"{kind}: {traceback.format_exc(limit=3)[-1500:]}")

    threads = [threading.Thread(target=run, args=role) for role in roles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = Recorder()
    for rec in recorders:
        total.merge(rec.export())
    return total.export()


def _noop(_: int) -> int:
    import httpx  # noqa: F401 - pay the import before the clock starts

    return os.getpid()


# --- Seeding (Django, this process) ------------------------------------------------------------


def seed_company(index: int, reviewers: int) -> dict:
    """An organization with an owner (seeding), a manager (imports, exports) and reviewers."""
    from accounts.models import Membership, Organization, Role, User
    from accounts.services import api_token_create

    org = Organization.objects.create(name=f"Soak Co {index}", slug=f"soak-co-{index}")

    def member(role: str, n: int) -> User:
        user = User.objects.create(
            email=f"{role}{n}@soak{index}.example", kind=User.Kind.COMPANY, password="!"
        )
        Membership.objects.create(organization=org, user=user, role=role)
        return user

    owner = member(Role.OWNER, 0)
    manager = member(Role.MANAGER, 0)
    return {
        "org": org,
        "owner": owner,
        "manager_token": api_token_create(user=manager, name="soak")[1],
        "reviewer_tokens": [
            api_token_create(user=member(Role.REVIEWER, i), name="soak")[1]
            for i in range(reviewers)
        ],
    }


def seed_project(company: dict, title: str, *, items: int, budget_items: int):
    """A live project funded through the real Stripe flow on localstripe (PaymentIntent +
    test card → escrow in the ledger → funded), with items and 2 % gold items."""
    from labeling.models import LabelingConfig
    from marketplace import services as mk
    from payments import services as pay

    owner = company["owner"]
    project = mk.project_create(
        organization=company["org"],
        actor=owner,
        data={
            "title": title,
            "summary": "Soak",
            "task_type": "pairwise",
            "instructions": "Pick the better answer.",
            "pay_per_task_minor": PAY_MINOR,
            "estimated_minutes": 10,
            "item_count": budget_items,
            "overlap": 2,
            "currency": "USD",
            "gold_ratio_bps": 500,
        },
    )
    insert_items(project, items, gold=max(10, items // 50))
    start = pay.funding_create(project=project, actor=owner)
    funding = pay.funding_pay_with_test_card(funding=start.funding, actor=owner)
    if funding.status != "succeeded":
        raise SystemExit(f"funding of {title} did not succeed: {funding.status}")
    project.refresh_from_db()
    project = mk.project_transition(project=project, actor=owner, to_status="live")
    LabelingConfig.objects.update_or_create(
        project=project, defaults={"lease_minutes": LEASE_MINUTES}
    )
    return project


def seed_experts(n: int) -> list[str]:
    """Experts with API tokens and an active Connect account, onboarded on localstripe through
    the real flow (onboarding link → the harness's hosted page → refresh)."""
    import httpx

    from payments import services as pay

    tokens = []
    for user, token in make_experts(n, "soak-"):
        url = pay.payout_account_onboarding_link(
            expert=user, refresh_url="http://soak.invalid/r", return_url="http://soak.invalid/ok"
        )
        if httpx.get(url, follow_redirects=False).status_code != 302:
            raise SystemExit(f"onboarding of {user.email} failed")
        account = pay.payout_account_refresh(expert=user)
        if account is None or account.status != "active":
            raise SystemExit(f"payout account of {user.email} is not active")
        tokens.append(token)
    return tokens


# --- Beat-like triggering ----------------------------------------------------------------------


class Beat(threading.Thread):
    """Sends the periodic tasks by name to the worker, each on its own short period (the real
    schedule in config/beat.py runs minutes to a week apart)."""

    def __init__(self, app, schedule: list[tuple[str, dict, float]]) -> None:
        super().__init__(name="soak-beat", daemon=True)
        self.app = app
        self.schedule = schedule
        self.sent: dict[str, int] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        due = {name: started + every / 2 for name, _, every in self.schedule}
        while not self.stopped.wait(0.25):
            now = time.monotonic()
            for name, kwargs, every in self.schedule:
                if now >= due[name]:
                    due[name] += every
                    self.app.send_task(name, kwargs=kwargs)
                    self.sent[name] = self.sent.get(name, 0) + 1

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def run_task(app, name: str, kwargs: dict | None = None, timeout: float = 180):
    """Send a task to the worker and wait for its result."""
    return app.send_task(name, kwargs=kwargs or {}).get(timeout=timeout)


def wait_for(predicate, timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# --- Checks (SQL on the soak database) ---------------------------------------------------------


def _one(sql: str, params=None):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        return cur.fetchone()


def _counts_by_status(table: str) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT status, count(*) FROM {table} GROUP BY status")  # noqa: S608
        return dict(cur.fetchall())


def check_assignments() -> dict:
    same_expert = _one(
        """SELECT count(*) FROM (SELECT 1 FROM labeling_assignment
           GROUP BY item_id, expert_id HAVING count(*) > 1) d"""
    )[0]
    beyond_overlap = _one(
        """SELECT count(*) FROM (
             SELECT a.item_id FROM labeling_assignment a
             JOIN labeling_item i ON i.id = a.item_id
             JOIN marketplace_project p ON p.id = a.project_id
             WHERE a.status IN ('leased', 'submitted') AND NOT i.is_gold
             GROUP BY a.item_id, p.overlap HAVING count(*) > p.overlap) o"""
    )[0]
    return {"same_item_same_expert": same_expert, "beyond_overlap": beyond_overlap}


def check_leases(cutoff) -> dict:
    """After the expiry task ran at `cutoff`: no lease past its expiry still held, and the
    items' and experts' counters equal what the assignments say."""
    leaked = _one(
        "SELECT count(*) FROM labeling_assignment WHERE status = 'leased' "
        "AND lease_expires_at <= %s",
        [cutoff],
    )[0]
    open_slots, submitted = _one(
        """SELECT count(*) FILTER (WHERE NOT i.is_gold
                                     AND i.open_slots <> p.overlap - coalesce(a.live, 0)),
                  count(*) FILTER (WHERE i.submitted_count <> coalesce(a.done, 0))
           FROM labeling_item i
           JOIN marketplace_project p ON p.id = i.project_id
           LEFT JOIN (SELECT item_id,
                             count(*) FILTER (WHERE status IN ('leased', 'submitted')) AS live,
                             count(*) FILTER (WHERE status = 'submitted') AS done
                      FROM labeling_assignment GROUP BY item_id) a ON a.item_id = i.id"""
    )
    stats = _one(
        """SELECT count(*) FROM labeling_expertprojectstats s
           LEFT JOIN (SELECT project_id, expert_id,
                             count(*) FILTER (WHERE status IN ('leased', 'submitted')) AS live,
                             count(*) FILTER (WHERE status = 'submitted') AS done
                      FROM labeling_assignment GROUP BY project_id, expert_id) a
             ON a.project_id = s.project_id AND a.expert_id = s.expert_id
           WHERE s.tasks_claimed <> coalesce(a.live, 0)
              OR s.tasks_submitted <> coalesce(a.done, 0)"""
    )[0]
    by_status = _counts_by_status("labeling_assignment")
    return {
        "leased_past_expiry": leaked,
        "open_slots_drift": open_slots,
        "submitted_count_drift": submitted,
        "expert_stats_drift": stats,
        "assignments_by_status": by_status,
    }


def check_earnings() -> dict:
    """Every accepted annotation has exactly one earning entry, of the task's pay to the expert;
    nothing else earned."""
    accepted, missing = _one(
        """SELECT count(*), count(*) FILTER (WHERE e.id IS NULL)
           FROM labeling_annotation a
           LEFT JOIN payments_journalentry e
             ON e.idempotency_key = 'earning:annotation:' || a.id
           WHERE a.review_status = 'accepted'"""
    )
    entries, unexpected = _one(
        """SELECT count(*), count(*) FILTER (WHERE a.id IS NULL)
           FROM payments_journalentry e
           LEFT JOIN labeling_annotation a
             ON a.id = split_part(e.idempotency_key, ':', 3)::bigint
            AND a.review_status = 'accepted'
           WHERE e.kind = 'earning'"""
    )
    duplicated = _one(
        """SELECT count(*) FROM (SELECT metadata->>'annotation_id' FROM payments_journalentry
           WHERE kind = 'earning' GROUP BY 1 HAVING count(*) > 1) d"""
    )[0]
    wrong_amount = _one(
        """SELECT count(*) FROM (
             SELECT e.id FROM payments_journalentry e
             JOIN payments_posting p ON p.entry_id = e.id
             JOIN payments_ledgeraccount acc ON acc.id = p.account_id
             WHERE e.kind = 'earning' AND acc.kind = 'expert_payable'
             GROUP BY e.id HAVING sum(p.amount) <> %s) w""",
        [-PAY_MINOR],
    )[0]
    return {
        "accepted_annotations": accepted,
        "earning_entries": entries,
        "accepted_without_earning": missing,
        "earning_without_accepted": unexpected,
        "annotations_earned_twice": duplicated,
        "earning_wrong_amount": wrong_amount,
    }


def check_ledger() -> dict:
    unbalanced = _one(
        """SELECT count(*) FROM (SELECT entry_id FROM payments_posting
           GROUP BY entry_id HAVING sum(amount) <> 0) u"""
    )[0]
    entries, postings, total = _one(
        "SELECT (SELECT count(*) FROM payments_journalentry), count(*), coalesce(sum(amount), 0) "
        "FROM payments_posting"
    )
    return {
        "journal_entries": entries,
        "postings": postings,
        "unbalanced_entries": unbalanced,
        "trial_balance": int(total),
    }


def check_transfers(localstripe) -> dict:
    """localstripe's transfers against the ledger's payout entries and the Payout rows."""
    from payments.models import Payout, PayoutAccount
    from payments.testing.localstripe_server import ls

    ours = set(PayoutAccount.objects.values_list("stripe_account_id", flat=True))

    def collect():
        return [
            (obj.id, obj.amount, obj.amount_reversed)
            for key, obj in list(ls.store.items())
            if key.startswith("transfer:") and obj.destination in ours
        ]

    transfers = localstripe.call(collect)
    ledger = {}
    for kind in ("payout", "payout_failed"):
        ledger[kind] = _one(
            """SELECT count(DISTINCT e.id), coalesce(sum(p.amount) FILTER (WHERE p.amount > 0), 0)
               FROM payments_journalentry e JOIN payments_posting p ON p.entry_id = e.id
               WHERE e.kind = %s""",
            [kind],
        )
    by_status = _counts_by_status("payments_payout")
    paid_ids = set(
        Payout.objects.filter(status=Payout.Status.PAID).values_list(
            "stripe_transfer_id", flat=True
        )
    )
    transfer_count = len(transfers)
    transfer_net = sum(amount - reversed_ for _, amount, reversed_ in transfers)
    ledger_count = ledger["payout"][0] - ledger["payout_failed"][0]
    ledger_net = int(ledger["payout"][1]) - int(ledger["payout_failed"][1])
    return {
        "transfers": transfer_count,
        "transfers_net_minor": transfer_net,
        "ledger_payouts": ledger_count,
        "ledger_payouts_net_minor": ledger_net,
        "payouts_by_status": by_status,
        "paid_payouts_without_their_transfer": len(paid_ids - {t[0] for t in transfers}),
        "transfers_without_a_paid_payout": len({t[0] for t in transfers} - paid_ids),
    }


# --- Report ------------------------------------------------------------------------------------


def endpoint_figures(rec: Recorder, duration: float) -> dict:
    out = {}
    for label in sorted(rec.latency):
        samples = rec.latency[label]
        out[label] = {
            "requests": len(samples),
            "per_s": round(len(samples) / duration, 2),
            "p50_ms": ms(percentile(samples, 50)),
            "p95_ms": ms(percentile(samples, 95)),
            "p99_ms": ms(percentile(samples, 99)),
            "status": rec.status.get(label, {}),
        }
    return out


def print_table(endpoints: dict) -> None:
    log(f"{'endpoint':<26}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for label, f in endpoints.items():
        log(
            f"{label:<26}{f['requests']:>9}{f['per_s']:>8}{f['p50_ms']:>9}{f['p95_ms']:>9}"
            f"{f['p99_ms']:>9}  {f['status']}"
        )


# --- Main --------------------------------------------------------------------------------------


def soak_urls(redis_db: int) -> tuple[str, str]:
    """The soak's database (DATABASE_URL's name + `_soak` unless it names a soak database
    already, so the suite's database is never dropped) and its own Redis database number."""
    db = urlparse(os.environ.get("DATABASE_URL", DEFAULT_DB))
    name = db.path.lstrip("/")
    if "soak" not in name:
        name = f"{name}_soak"
    redis = urlparse(os.environ.get("REDIS_URL", DEFAULT_REDIS))
    return db._replace(path=f"/{name}").geturl(), redis._replace(path=f"/{redis_db}").geturl()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, help="seconds of load (default 600)")
    parser.add_argument("--quick", action="store_true", help="60 s of load")
    parser.add_argument("--experts", type=int, default=12)
    parser.add_argument("--reviewers", type=int, default=2)
    parser.add_argument("--projects", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--payout-every", type=float, help="seconds between payout batches")
    parser.add_argument("--jobs-every", type=float, help="seconds between imports (and exports)")
    parser.add_argument("--redis-db", type=int, default=11, help="Redis database (flushed)")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    duration = args.duration or (60.0 if args.quick else 600.0)
    payout_every = args.payout_every or (10.0 if duration <= 120 else 30.0)
    jobs_every = args.jobs_every or (15.0 if duration <= 120 else 45.0)
    items = max(1000, int(duration * 12))
    db_url, redis_url = soak_urls(args.redis_db)
    started = time.time()

    def say(message: str) -> None:
        log(f"[{time.time() - started:5.1f} s] {message}")

    import redis

    redis.Redis.from_url(redis_url).flushdb()  # no task of an earlier run is left in the queue
    from payments.testing.localstripe_server import LocalStripe

    localstripe = LocalStripe(host="127.0.0.1", port=0).start()
    os.environ["STRIPE_API_BASE"] = localstripe.url  # for this process, gunicorn and the worker
    create_database(db_url)
    django_setup(db_url, redis_url)
    server = worker = beat = log_file = None
    starters: list[threading.Thread] = []
    started_services: dict = {}
    try:
        from django.core.management import call_command
        from django.utils import timezone

        from config.celery_app import app
        from tests.worker import WorkerProcess

        for name in ("stripe", "httpx"):  # one line per request: too chatty for a soak
            logging.getLogger(name).setLevel(logging.WARNING)
        # gunicorn and the worker touch no table while they boot: start them (seconds of
        # imports each) while the database is migrated and seeded.
        worker = WorkerProcess("celery", concurrency=args.concurrency)
        worker.log_path = ROOT / "var" / "soak-worker.log"
        gunicorn_log = ROOT / "var" / "soak-gunicorn.log"

        def start_services(which: str) -> None:
            try:
                if which == "worker":
                    worker.start(timeout=120)
                else:
                    started_services["server"] = start_server(
                        db_url, redis_url, args.workers, args.threads, gunicorn_log
                    )
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                started_services["error"] = exc

        starters = [
            threading.Thread(target=start_services, args=(which,), name=f"soak-start-{which}")
            for which in ("worker", "server")
        ]
        for starter in starters:
            starter.start()
        call_command("migrate", verbosity=0)
        say("migrated")
        companies = [seed_company(i, args.reviewers) for i in range((args.projects + 1) // 2)]
        projects = []
        for i in range(args.projects):
            company = companies[i % len(companies)]
            budget_items = items + int(duration / jobs_every + 1) * 100
            project = seed_project(company, f"Soak {i}", items=items, budget_items=budget_items)
            projects.append((company, project.pk))
        expert_tokens = seed_experts(args.experts)
        say(f"seeded {args.projects} funded projects x {items} items, {args.experts} experts")
        for starter in starters:
            starter.join()
        if "server" in started_services:
            server, base_url, log_file = started_services["server"]
        if "error" in started_services:
            raise started_services["error"]
        say(f"gunicorn on {base_url} ({args.workers}x{args.threads}), Celery worker ready")

        all_pids = [pid for _, pid in projects]
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=3, mp_context=ctx) as pool:
            list(pool.map(_noop, range(6)))  # spawn the client processes first
            start_at = time.time() + 2.0
            deadline = start_at + duration
            expert_roles = [
                ("expert", (token, all_pids, deadline, 1000 + i, i % 4 == 0))
                for i, token in enumerate(expert_tokens)
            ]
            office_roles = [
                (
                    "manager",
                    (
                        companies[0]["manager_token"],
                        [pid for c, pid in projects if c is companies[0]],
                        deadline,
                        jobs_every,
                        120.0,
                        7,
                    ),
                )
            ]
            for ci, company in enumerate(companies):
                mine = [pid for c, pid in projects if c is company]
                office_roles += [
                    ("reviewer", (token, mine, deadline, 100 * ci + r))
                    for r, token in enumerate(company["reviewer_tokens"])
                ]
            groups = [*_split(expert_roles, 2), office_roles]
            beat = Beat(
                app,
                [
                    ("labeling.tasks.leases_expire", {}, 10.0),
                    ("payments.tasks.earnings_settle", {}, 15.0),
                    ("payments.tasks.payouts_weekly", {}, payout_every),
                    ("payments.tasks.payouts_resume", {}, 60.0),
                    ("payments.tasks.projects_spend_check", {}, 30.0),
                    ("payments.tasks.fairpay_settle_due", {}, 60.0),
                ],
            )
            cpu_before = server_cpu_seconds(server.pid, urlparse(db_url).path.lstrip("/"))
            futures = [
                pool.submit(_client_process, base_url, g, start_at, deadline) for g in groups
            ]
            time.sleep(max(0.0, start_at - time.time()))
            beat.start()
            say(f"load: {duration:.0f} s, {len(expert_tokens)} experts")
            rec = Recorder()
            for f in futures:
                rec.merge(f.result())
            cpu = server_cpu_seconds(server.pid, urlparse(db_url).path.lstrip("/")) - cpu_before
        beat.stop()
        load_s = time.time() - start_at
        say(f"load done ({load_s:.0f} s incl. job drain); settling")

        # Drain: every accepted annotation earned, a last payout batch paid, leases expired.
        run_task(app, "payments.tasks.earnings_settle", {"full": True})
        from labeling.models import Annotation
        from payments.models import JournalEntry, Payout

        def earned_all() -> bool:
            accepted = Annotation.objects.filter(review_status="accepted").count()
            return JournalEntry.objects.filter(kind="earning").count() >= accepted

        drained = wait_for(earned_all, 60)
        run_task(app, "payments.tasks.payouts_weekly")
        paid_out = wait_for(
            lambda: not Payout.objects.filter(status__in=["pending", "submitted"]).exists(), 120
        )
        # Leases walked away from at the start expire about a minute in: in a short soak, wait
        # (20 s at most) for those about to expire, so the expiry task has work to check.
        from labeling.models import Assignment

        soonest = (
            Assignment.objects.filter(status="leased")
            .order_by("lease_expires_at")
            .values_list("lease_expires_at", flat=True)
            .first()
        )
        if soonest is not None:
            wait = (soonest - timezone.now()).total_seconds() + 1
            if 0 < wait <= 20:
                say(f"waiting {wait:.0f} s for walked-away leases to expire")
                time.sleep(wait)
        cutoff = timezone.now()
        expired_at_end = run_task(app, "labeling.tasks.leases_expire")
        say(f"drained (earnings {drained}, payouts {paid_out}); checking")

        assignments = check_assignments()
        leases = check_leases(cutoff)
        earnings = check_earnings()
        ledger = check_ledger()
        transfers = check_transfers(localstripe)
    finally:
        if beat is not None:
            beat.stop()
        for starter in starters:
            starter.join()
        if server is None and "server" in started_services:
            server, _, log_file = started_services["server"]
        # Stop gunicorn and the worker side by side: each waits for its in-flight work.
        stoppers = [threading.Thread(target=stop_server, args=(server, log_file))] if server else []
        if worker is not None:
            stoppers.append(threading.Thread(target=worker.stop))
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        localstripe.stop()
        say("stopped gunicorn, the worker and localstripe")
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(db_url)

    five_xx = sum(
        n for codes in rec.status.values() for code, n in codes.items() if code.startswith("5")
    )
    transport_errors = sum(rec.transport.values())
    for crash in rec.crashes:
        log(f"client thread crashed: {crash}")
    double = assignments["same_item_same_expert"] + assignments["beyond_overlap"]
    leaked = (
        leases["leased_past_expiry"]
        + leases["open_slots_drift"]
        + leases["submitted_count_drift"]
        + leases["expert_stats_drift"]
    )
    earned_once = (
        earnings["accepted_without_earning"] == 0
        and earnings["earning_without_accepted"] == 0
        and earnings["annotations_earned_twice"] == 0
        and earnings["earning_wrong_amount"] == 0
    )
    balanced = ledger["unbalanced_entries"] == 0 and ledger["trial_balance"] == 0
    unsettled = transfers["payouts_by_status"].get("pending", 0) + transfers[
        "payouts_by_status"
    ].get("submitted", 0)
    transfers_match = (
        transfers["transfers"] == transfers["ledger_payouts"]
        and transfers["transfers_net_minor"] == transfers["ledger_payouts_net_minor"]
        and transfers["paid_payouts_without_their_transfer"] == 0
        and transfers["transfers_without_a_paid_payout"] == 0
        and unsettled == 0
    )
    cycles = rec.counts.get("cycles", 0)
    checks = {
        "zero_5xx": five_xx == 0,
        "zero_transport_errors": transport_errors == 0,
        "no_client_crashed": not rec.crashes,
        "zero_double_assignments": double == 0,
        "zero_leaked_leases": leaked == 0,
        "earned_exactly_once": earned_once,
        "ledger_balanced": balanced,
        "transfers_match": transfers_match,
        "jobs_finished": rec.counts.get("jobs_unfinished", 0) == 0,
        "work_done": cycles > 0 and earnings["accepted_annotations"] > 0,
        "money_moved": transfers["transfers"] > 0,
    }
    endpoints = endpoint_figures(rec, duration)
    print_table(endpoints)
    summary = {
        "benchmark": "soak",
        "duration_s": duration,
        "server": f"gunicorn {args.workers}w x {args.threads}t (bench.labeling_settings), "
        f"Celery worker x {args.concurrency}, localstripe, beat-like triggering",
        "experts": args.experts,
        "reviewers": args.reviewers * len(companies),
        "projects": args.projects,
        "items_per_project": items,
        "cycles": cycles,
        "cycles_per_s": round(cycles / duration, 2),
        "requests": sum(f["requests"] for f in endpoints.values()),
        "requests_per_s": round(sum(f["requests"] for f in endpoints.values()) / duration, 2),
        "server_cpu_ms_per_cycle": round(cpu * 1000 / cycles, 1) if cycles else None,
        "endpoints": endpoints,
        "five_xx": five_xx,
        "transport_errors": transport_errors,
        "transport_detail": rec.transport,
        "client_crashes": rec.crashes,
        "double_assignments": double,
        "double_detail": assignments,
        "leaked_leases": leaked,
        "lease_detail": {
            **leases,
            "walked_away": rec.counts.get("leases_walked_away", 0),
            "expired_by_final_task": expired_at_end,
        },
        "earned_exactly_once": earned_once,
        "earnings": earnings,
        "ledger_balanced": balanced,
        "ledger": ledger,
        "transfers_match": transfers_match,
        "transfers": transfers,
        "jobs": {
            k: rec.counts.get(k, 0)
            for k in (
                "imports_succeeded",
                "imports_failed",
                "items_imported",
                "exports_succeeded",
                "exports_failed",
                "export_bytes",
                "jobs_unfinished",
            )
        },
        "reviews": {
            "accepted_by_reviewers": rec.counts.get("accepted_by_reviewers", 0),
            "rejected": rec.counts.get("rejected", 0),
        },
        "beat_sent": beat.sent,
        "checks": checks,
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "elapsed_s": round(time.time() - started, 1),
        "ok": all(checks.values()),
    }
    failed = [name for name, passed in checks.items() if not passed]
    log("all checks passed" if not failed else f"FAILED: {', '.join(failed)}")
    print(json.dumps(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
