"""Thin periodic tasks: call a service, safe to run twice. Scheduled in config/beat.py."""

from celery import shared_task

from qualifications import services


@shared_task(name="qualifications.tasks.credentials_expire", acks_late=True)
def credentials_expire() -> int:
    """Daily: verified credentials past their expiry date expire and lose their grants."""
    return services.credentials_expire_due()


@shared_task(name="qualifications.tasks.attempts_grade_overdue", acks_late=True)
def attempts_grade_overdue() -> int:
    """Grade attempts whose time ran out without a submission."""
    return services.attempts_grade_overdue()
