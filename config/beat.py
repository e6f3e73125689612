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
}
