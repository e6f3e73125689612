"""Labeling Celery tasks: thin, take ids, safe to run twice."""

from celery import shared_task


@shared_task(name="labeling.tasks.import_job_run", acks_late=True)
def import_job_run_task(job_id: int) -> str:
    from labeling.imports import import_job_run

    return import_job_run(job_id=job_id).status


@shared_task(name="labeling.tasks.export_job_run", acks_late=True)
def export_job_run_task(job_id: int) -> str:
    from labeling.exports.services import export_job_run

    return export_job_run(job_id=job_id).status


@shared_task(name="labeling.tasks.leases_expire", acks_late=True)
def leases_expire_task() -> int:
    """Beat: end leases past their expiry and return their items to the pool."""
    from labeling.services import leases_expire

    return leases_expire()


@shared_task(name="labeling.tasks.jobs_fail_lost", acks_late=True)
def jobs_fail_lost_task() -> int:
    """Beat: import/export jobs whose message was lost end as failed instead of hanging."""
    from labeling.services.job_recovery import jobs_fail_lost

    return jobs_fail_lost()


# --- review, appeals, webhooks (labeling/services/review.py, labeling/webhooks/) ---


@shared_task(name="labeling.tasks.annotations_auto_accept", acks_late=True)
def annotations_auto_accept_task() -> int:
    """Beat: accept pending annotations whose review window has passed."""
    from labeling.services.review import annotations_auto_accept

    return annotations_auto_accept()


@shared_task(name="labeling.tasks.webhook_deliver", acks_late=True)
def webhook_deliver(delivery_id: int) -> str:
    """One attempt of one delivery; on failure the service schedules the next one."""
    from labeling.webhooks.services import webhook_delivery_attempt

    delivery = webhook_delivery_attempt(delivery_id=delivery_id)
    return delivery.status if delivery is not None else "missing-or-busy"


@shared_task(name="labeling.tasks.webhook_deliveries_sweep", acks_late=True)
def webhook_deliveries_sweep() -> int:
    """Beat (every minute): queue deliveries whose attempt is overdue."""
    from labeling.webhooks.services import webhook_deliveries_requeue_due

    return webhook_deliveries_requeue_due()


# --- quality analytics (labeling/quality/tasks.py): imported so autodiscovery registers them ---
from labeling.quality import tasks as _quality_tasks  # noqa: E402, F401
