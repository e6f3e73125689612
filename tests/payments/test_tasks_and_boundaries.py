"""Celery settings for money tasks, the beat entries, and the Stripe boundary."""

import ast
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery_app import app
from payments import services, stripe_client, tasks
from payments.models import Funding, JournalEntry, StripeEvent
from tests.payments.conftest import deliver, event_body, sign

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("task", [tasks.stripe_event_process_task, tasks.funding_sync_task])
def test_stripe_tasks_retry_transient_errors_with_capped_jittered_backoff(task):
    assert set(task.autoretry_for) == set(stripe_client.TRANSIENT_ERRORS)
    assert {e.__name__ for e in task.autoretry_for} == {"APIConnectionError", "RateLimitError"}
    assert task.retry_backoff and task.retry_jitter
    assert task.retry_backoff_max < settings.CELERY_VISIBILITY_TIMEOUT
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


def test_beat_schedules_the_payments_sweeps():
    schedule = app.conf.beat_schedule
    assert schedule["payments.stripe_events_process_pending"]["task"] == (
        tasks.stripe_events_process_pending.name
    )
    assert schedule["payments.fundings_sync_pending"]["task"] == tasks.fundings_sync_pending.name


@pytest.mark.django_db
def test_the_event_task_is_safe_to_run_twice(
    client, localstripe, project, owner, django_capture_on_commit_callbacks
):
    funding = services.funding_create(project=project, actor=owner).funding
    stripe_client.payment_intent_confirm(
        payment_intent_id=funding.payment_intent_id, payment_method="pm_card_visa"
    )
    body = event_body(
        "payment_intent.succeeded",
        {"id": funding.payment_intent_id, "object": "payment_intent", "metadata": {}},
        event_id="evt_task_twice",
    )
    with django_capture_on_commit_callbacks(execute=False):
        deliver(client, body, sign(body))
    event = StripeEvent.objects.get()
    assert tasks.stripe_event_process_task.apply(args=[event.pk]).get().startswith("funding")
    tasks.stripe_event_process_task.apply(args=[event.pk]).get()
    assert JournalEntry.objects.count() == 2
    assert tasks.stripe_event_process_task.apply(args=[10**9]).get() == "missing"


@pytest.mark.django_db
def test_the_sweeps_pick_up_stuck_events_and_fundings(localstripe, project, owner, eager_celery):
    funding = services.funding_create(project=project, actor=owner).funding
    stripe_client.payment_intent_confirm(
        payment_intent_id=funding.payment_intent_id, payment_method="pm_card_visa"
    )
    # The webhook never came: reconciliation reads Stripe and books the payment.
    Funding.objects.filter(pk=funding.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert tasks.fundings_sync_pending.apply().get() == 1
    funding.refresh_from_db()
    assert funding.status == Funding.Status.SUCCEEDED

    StripeEvent.objects.create(
        event_id="evt_lost",
        type="customer.created",
        payload={},
        created=timezone.now(),
        received_at=timezone.now() - timedelta(minutes=10),
    )
    assert tasks.stripe_events_process_pending.apply().get() == 1
    assert StripeEvent.objects.get(event_id="evt_lost").processed_at is not None


def test_only_the_gateway_imports_stripe():
    offenders = []
    apps = ("config", "core", "accounts", "qualifications", "marketplace", "labeling", "payments")
    for path in (p for pkg in apps for p in (ROOT / pkg).rglob("*.py")):
        rel = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(n == "stripe" or n.startswith("stripe.") for n in names):
                offenders.append(str(rel))
    assert sorted(set(offenders)) == ["payments/stripe_client.py"]


def test_the_gateway_type_checks_against_the_stripe_sdk():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "payments/stripe_client.py",
            "--ignore-missing-imports",
            "--follow-imports=silent",
            "--strict-optional",
            "--disallow-untyped-defs",
            "--warn-unused-ignores",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
