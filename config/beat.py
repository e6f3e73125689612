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
}
