"""Every periodic task of Plumbline, declared in one place.

Each app adds its entries here as it gains periodic work; tasks are referenced by name so this
module imports no app code.
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "core.heartbeat": {
        "task": "core.tasks.heartbeat",
        "schedule": crontab(minute="*/5"),
    },
    "qualifications.credentials_expire": {
        "task": "qualifications.tasks.credentials_expire",
        "schedule": crontab(hour=2, minute=15),
    },
    "qualifications.attempts_grade_overdue": {
        "task": "qualifications.tasks.attempts_grade_overdue",
        "schedule": crontab(minute="*/5"),
    },
    "labeling.leases_expire": {
        "task": "labeling.tasks.leases_expire",
        "schedule": crontab(minute="*"),
    },
    "labeling.jobs_fail_lost": {
        "task": "labeling.tasks.jobs_fail_lost",
        "schedule": crontab(minute="*/10"),
    },
    # --- labeling review and webhooks ---
    "labeling.annotations_auto_accept": {
        "task": "labeling.tasks.annotations_auto_accept",
        "schedule": crontab(minute="*/15"),
    },
    "labeling.webhook_deliveries_sweep": {
        "task": "labeling.tasks.webhook_deliveries_sweep",
        "schedule": crontab(minute="*"),
    },
    # --- labeling quality analytics: snapshots of projects with new annotations ---
    "labeling.quality_snapshots_sweep": {
        "task": "labeling.quality.tasks.quality_snapshots_sweep",
        "schedule": crontab(minute="*/5"),
    },
    # --- payments: webhook outbox and funding reconciliation ---
    "payments.stripe_events_process_pending": {
        "task": "payments.tasks.stripe_events_process_pending",
        "schedule": crontab(minute="*/5"),
    },
    "payments.fundings_sync_pending": {
        "task": "payments.tasks.fundings_sync_pending",
        "schedule": crontab(minute="*/15"),
    },
    # --- payments: earnings, fair pay, payouts, closing, reconciliation ---
    "payments.earnings_settle": {
        "task": "payments.tasks.earnings_settle",
        "schedule": crontab(minute="*/5"),
    },
    "payments.earnings_settle_full": {
        "task": "payments.tasks.earnings_settle",
        "schedule": crontab(hour=3, minute=5),
        "kwargs": {"full": True},
    },
    "payments.projects_spend_check": {
        "task": "payments.tasks.projects_spend_check",
        "schedule": crontab(minute="*/10"),
    },
    "payments.fairpay_settle_due": {
        "task": "payments.tasks.fairpay_settle_due",
        "schedule": crontab(minute=20),
    },
    "payments.payouts_weekly": {
        "task": "payments.tasks.payouts_weekly",
        "schedule": crontab(day_of_week="mon", hour=6, minute=0),
    },
    "payments.payouts_resume": {
        "task": "payments.tasks.payouts_resume",
        "schedule": crontab(minute="*/15"),
    },
    "payments.projects_close_settle": {
        "task": "payments.tasks.projects_close_settle",
        "schedule": crontab(hour=4, minute=30),
    },
    "payments.reconciliation_run": {
        "task": "payments.tasks.reconciliation_run",
        "schedule": crontab(hour=5, minute=0),
    },
}
