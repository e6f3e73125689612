"""Fault injection on real services (issue #8, item 6): a Celery worker SIGKILLed in the middle of
an export, Redis restarted (without persistence) in the middle of earnings work, PostgreSQL
connections terminated in the middle of claims and submissions.

The payout batch under SIGKILL is tests/payments/test_payouts_worker_kill.py.

"In the middle" is made deterministic with database locks instead of sleeps in the code: a
second connection (`admin`) holds a row lock or an uncommitted conflicting row that the work
under test needs after it has already written something, and the test waits until PostgreSQL
reports that backend as blocked before injecting the fault.
"""

import json
import random
import shutil
import threading
import uuid
from pathlib import Path

import httpx
import pytest
from django.db import OperationalError, connection
from django.db.models import Sum
from django.urls import reverse

from accounts.services import api_token_create
from config.beat import BEAT_SCHEDULE
from config.celery_app import app as celery_app
from core.api.exception_handler import RETRY_AFTER_SECONDS, error_body
from labeling.exports.services import exports_dir
from labeling.models import Annotation, Assignment, ExpertProjectStats, ExportJob, Item
from marketplace.models import ProjectStatus
from payments.models import JournalEntry, Posting
from tests.conftest import api_as
from tests.factories import ExpertFactory
from tests.labeling.factories import add_items, live_project
from tests.marketplace.factories import make_project
from tests.payments.money import accepted_work, fund_escrow
from tests.reliability.conftest import blocked_by, wait_until
from tests.worker import WorkerProcess

# --- 1. SIGKILL a worker in the middle of an export job -----------------------------------------

#: Above two progress steps (labeling.exports.services.PROGRESS_EVERY = 10,000 lines), so the
#: job is still writing when its first progress update is held.
EXPORT_ROWS = 25_000

BULK_ACCEPTED_SQL = """
WITH items AS (
    INSERT INTO labeling_item (project_id, external_id, payload, is_gold, gold_retired, priority,
                               open_slots, submitted_count, created_at)
    SELECT %(project)s, 'bulk-' || g,
           jsonb_build_object('prompt', 'Question ' || g || '?', 'response_a', 'Yes.',
                              'response_b', 'No.'),
           false, false, 0, 0, 1, now()
      FROM generate_series(1, %(n)s) AS g
    RETURNING id
), leases AS (
    INSERT INTO labeling_assignment (project_id, item_id, expert_id, status, is_gold, leased_at,
                                     lease_expires_at, finished_at)
    SELECT %(project)s, id, %(expert)s, 'submitted', false, now(), now(), now() FROM items
    RETURNING id, item_id
)
INSERT INTO labeling_annotation (assignment_id, project_id, item_id, expert_id, response,
                                 active_seconds, submitted_at, review_status, reviewed_at,
                                 rejection_reason, auto_accepted, review_due_at)
SELECT id, %(project)s, item_id, %(expert)s, '{"choice": "a", "strength": 1}', 600, now(),
       'accepted', now(), '', false, now()
  FROM leases
"""


def _bulk_accepted_work(project, expert, n: int) -> None:
    """n accepted annotations in one statement (tests.payments.money.accepted_work writes the
    same rows through the ORM, ~30x slower at this size)."""
    with connection.cursor() as cursor:
        cursor.execute(BULK_ACCEPTED_SQL, {"project": project.pk, "expert": expert.pk, "n": n})


@pytest.mark.worker
def test_killing_the_worker_mid_export_then_restarting_it_finishes_the_job_cleanly(
    admin, organization, owner, monkeypatch, settings
):
    # Export files live under PRIVATE_STORAGE_ROOT/exports/<project id>/, shared by every test
    # database on this machine: a project id no other run uses keeps parallel runs apart.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('marketplace_project', 'id'), %s)",
            [random.randrange(10**8, 10**9)],
        )
    project = live_project(organization, overlap=1, item_count=EXPORT_ROWS)
    _bulk_accepted_work(project, ExpertFactory(), EXPORT_ROWS)
    expected_ids = set(Annotation.objects.filter(project=project).values_list("id", flat=True))
    queue = f"export-kill-{uuid.uuid4().hex[:8]}"
    settings.PLUMBLINE_LABELING_IO_QUEUE = queue
    # Redis hands the killed worker's unacknowledged message to the next worker after this
    # (production keeps it above the longest task).
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "3")
    client = api_as(owner)

    first = WorkerProcess(queue).start()
    try:
        response = client.post(
            reverse("api-project-export-jobs", args=[project.pk]),
            {"format": "annotations.jsonl"},
            format="json",
        )
        assert response.status_code == 202, response.content
        job_id = response.json()["id"]
        job = ExportJob.objects.filter(pk=job_id)
        assert wait_until(lambda: job.get().status == "running"), first.log_path.read_text()
        # Hold the job row: the worker's first progress update (after 10,000 lines) waits.
        admin.execute("SELECT id FROM labeling_exportjob WHERE id = %s FOR UPDATE", [job_id])
        assert wait_until(lambda: blocked_by(admin)), "the export never reached a progress update"
        partial = exports_dir() / str(project.pk) / f"export-{job_id}-annotations.jsonl.part"
        final = partial.with_name(partial.name.removesuffix(".part"))
        assert partial.stat().st_size > 0 and not final.exists()
        first.kill()  # SIGKILL to the process group, mid-file
        admin.rollback()
    finally:
        first.stop()

    # Dead worker, message unacknowledged: the job says so and offers no file.
    dead = job.get()
    assert dead.status == "running" and dead.file_path == "" and dead.finished_at is None
    assert 0 <= dead.rows_written < EXPORT_ROWS
    assert not final.exists()
    detail_url = reverse("api-project-export-job", args=[project.pk, job_id])
    download_url = reverse("api-project-export-job-download", args=[project.pk, job_id])
    assert client.get(download_url).status_code == 409

    progress: list[int] = []

    def finished():
        body = client.get(detail_url).json()
        progress.append(body["rows_written"])
        return body["status"] in ("succeeded", "failed") and body

    second = WorkerProcess(queue).start()
    try:
        body = wait_until(finished, timeout=90, step=0.3)
    finally:
        second.stop()
    assert body and body["status"] == "succeeded", (body, second.log_path.read_text()[-3000:])
    assert body["rows_written"] == EXPORT_ROWS and body["error"] == ""
    assert all(0 <= n <= EXPORT_ROWS for n in progress)
    assert not partial.exists()  # rewritten from the start, renamed into place when complete
    lines = Path(job.get().file_path).read_text().splitlines()
    assert len(lines) == EXPORT_ROWS
    assert {json.loads(line)["annotation_id"] for line in lines} == expected_ids
    response = client.get(download_url)
    assert response.status_code == 200
    assert sum(chunk.count(b"\n") for chunk in response.streaming_content) == EXPORT_ROWS
    response.close()
    shutil.rmtree(final.parent)


# --- 2. Restart Redis in the middle of earnings work --------------------------------------------

EXPERTS = 8
BLOCKED = 3  # the worker is held on the 4th expert's batch when Redis dies


def _send(redis_url: str, name: str, *, queue: str, args=(), kwargs=None) -> None:
    """Publish a task to the throw-away Redis (the test process's app talks to the suite's)."""
    with celery_app.connection_for_write(redis_url) as conn:
        celery_app.send_task(name, args=args, kwargs=kwargs or {}, queue=queue, connection=conn)


def _earned(annotations) -> int:
    keys = [f"earning:annotation:{a.pk}" for a in annotations]
    return JournalEntry.objects.filter(idempotency_key__in=keys).count()


@pytest.mark.worker
def test_a_redis_restart_loses_queued_tasks_and_the_beat_sweep_earns_every_annotation_once(
    admin, organization, owner, monkeypatch, throwaway_redis
):
    project = make_project(
        organization, actor=owner, status=ProjectStatus.LIVE, item_count=500, overlap=1
    )
    fund_escrow(project, 10_000_000)
    batches = [accepted_work(project, ExpertFactory(), 3) for _ in range(EXPERTS)]
    queue = f"redis-restart-{uuid.uuid4().hex[:8]}"
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL"):
        monkeypatch.setenv(name, throwaway_redis.url)
    monkeypatch.setenv("PAYMENTS_QUEUE", queue)
    # An uncommitted entry under one annotation's earning key: the worker's INSERT of that
    # entry waits for this transaction (unique key), in the middle of the queue.
    held_key = f"earning:annotation:{batches[BLOCKED][0].pk}"
    admin.execute(
        "INSERT INTO payments_journalentry (idempotency_key, kind, currency, description,"
        " effective_at, created_at, metadata, bulk)"
        " VALUES (%s, 'earning', 'USD', 'held by the test', now(), now(), '{}', false)",
        [held_key],
    )
    for batch in batches:
        _send(
            throwaway_redis.url,
            "payments.tasks.earnings_post_for_annotations",
            queue=queue,
            args=([a.pk for a in batch],),
        )

    worker = WorkerProcess(queue).start()
    try:
        assert wait_until(lambda: blocked_by(admin)), worker.log_path.read_text()[-3000:]
        assert [_earned(b) for b in batches[:BLOCKED]] == [3] * BLOCKED
        assert throwaway_redis.size(queue) > 0  # the rest is still queued

        throwaway_redis.kill()
        throwaway_redis.start()  # same port, empty: the queued batches are gone
        admin.rollback()  # the held task finishes its transaction
        assert wait_until(lambda: _earned(batches[BLOCKED]) == 3)
        lost = [b for b in batches if _earned(b) == 0]
        assert lost, "every batch was earned before the restart: nothing was lost to test"

        # The worker process survived and reconnected: new work is processed.
        late = accepted_work(project, ExpertFactory(), 2)
        _send(
            throwaway_redis.url,
            "payments.tasks.earnings_post_for_annotations",
            queue=queue,
            args=([a.pk for a in late],),
        )
        assert wait_until(lambda: _earned(late) == 2, timeout=60), worker.log_path.read_text()
        assert sum(_earned(b) for b in lost) == 0  # lost messages stay lost ...

        # ... until beat's earnings sweep (the every-5-minutes entry) catches up.
        sweep = BEAT_SCHEDULE["payments.earnings_settle"]
        _send(throwaway_redis.url, sweep["task"], queue=queue, kwargs=sweep.get("kwargs"))
        assert wait_until(lambda: all(_earned(b) == 3 for b in lost), timeout=60)
        assert worker.proc.poll() is None
    finally:
        worker.stop()

    every = [a for b in [*batches, late] for a in b]
    for annotation in every:
        assert _earned([annotation]) == 1
    assert JournalEntry.objects.filter(kind="earning").count() == len(every)
    assert Posting.objects.aggregate(total=Sum("amount"))["total"] == 0


# --- 3. Terminate PostgreSQL connections during claims and submissions -------------------------


def _post_in_thread(url: str, token: str, body: dict | None = None):
    """POST from another thread (it blocks on a lock); returns a function that joins it."""
    result: dict = {}

    def run():
        result["response"] = httpx.post(
            url, json=body or {}, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    thread = threading.Thread(target=run)
    thread.start()

    def join() -> httpx.Response:
        thread.join(timeout=60)
        return result["response"]

    return join


def _terminate_blocked(admin) -> None:
    pids = wait_until(lambda: blocked_by(admin))
    assert len(pids) == 1, pids
    admin.execute("SELECT pg_terminate_backend(%s)", pids)
    admin.rollback()


def _assert_retryable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == error_body(
        "service_unavailable", "The service is briefly unavailable; retry."
    )


def test_a_connection_dropped_mid_claim_or_mid_submit_is_retryable_and_leaves_no_half_rows(
    admin, live_server, organization, expert
):
    project = live_project(organization, overlap=2)
    first, _second = add_items(project, 2)
    _, token = api_token_create(user=expert, name="fault injection")
    base = live_server.url + "/api/v1"

    # Claim: an uncommitted lease of the same (item, expert) makes the claim's INSERT of its
    # lease wait, in the middle of the transaction that also takes the item's slot.
    admin.execute(
        "INSERT INTO labeling_assignment (project_id, item_id, expert_id, status, is_gold,"
        " leased_at, lease_expires_at)"
        " VALUES (%s, %s, %s, 'leased', false, now(), now() + interval '30 minutes')",
        [project.pk, first.pk, expert.pk],
    )
    join = _post_in_thread(f"{base}/projects/{project.pk}/tasks/next/", token)
    _terminate_blocked(admin)
    _assert_retryable(join())
    assert not Assignment.objects.exists()
    assert Item.objects.get(pk=first.pk).open_slots == 2
    assert not ExpertProjectStats.objects.filter(tasks_claimed__gt=0).exists()

    retry = httpx.post(
        f"{base}/projects/{project.pk}/tasks/next/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert retry.status_code == 200, retry.text
    task_id = retry.json()["id"]
    assignment = Assignment.objects.get()
    assert assignment.pk == task_id and assignment.item_id == first.pk
    assert Item.objects.get(pk=first.pk).open_slots == 1
    assert ExpertProjectStats.objects.get(expert=expert).tasks_claimed == 1

    # Submit: holding the expert's stats row makes the submit wait in the middle of the
    # transaction that also ends the lease, stores the annotation and counts it on the item.
    admin.execute(
        "SELECT id FROM labeling_expertprojectstats WHERE expert_id = %s FOR UPDATE", [expert.pk]
    )
    submit_url = f"{base}/tasks/{task_id}/submit/"
    body = {"response": {"choice": "a", "strength": 2}, "active_seconds": 90}
    join = _post_in_thread(submit_url, token, body)
    _terminate_blocked(admin)
    _assert_retryable(join())
    assert not Annotation.objects.exists()
    assert Assignment.objects.get().status == Assignment.Status.LEASED
    assert Item.objects.get(pk=first.pk).submitted_count == 0
    assert ExpertProjectStats.objects.get(expert=expert).tasks_submitted == 0

    retry = httpx.post(
        submit_url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert retry.status_code == 201, retry.text
    annotation = Annotation.objects.get()
    assert annotation.response == body["response"] and annotation.active_seconds == 90
    assert Assignment.objects.get().status == Assignment.Status.SUBMITTED
    assert Item.objects.get(pk=first.pk).submitted_count == 1
    assert ExpertProjectStats.objects.get(expert=expert).tasks_submitted == 1


def test_a_persistent_connection_killed_by_a_failover_is_replaced_at_the_next_request(admin):
    """Production keeps connections (CONN_MAX_AGE); CONN_HEALTH_CHECKS checks a reused one at
    the start of each request, so a connection killed by a failover fails no request."""
    from django.core.signals import request_started

    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=60)
    try:
        for health_checks in (True, False):
            connection.settings_dict["CONN_HEALTH_CHECKS"] = health_checks
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                (pid,) = cursor.fetchone()
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            admin.commit()
            request_started.send(sender=None)  # what Django does before each request
            if health_checks:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    assert cursor.fetchone()[0] != pid
            else:  # the control: without the check, the request's first query fails
                with pytest.raises(OperationalError), connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            connection.close()
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert saved["CONN_HEALTH_CHECKS"] is True  # the project's setting (config/settings/base.py)
