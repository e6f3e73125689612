"""The Celery app. Reliability settings live here, in one place, for every task.

Money moves through these tasks, so a task must never be lost or run half-way silently:
- acks_late + task_reject_on_worker_lost: a task is acknowledged only after it finished; a worker
  child killed mid-task (SIGKILL, OOM) puts the message back instead of dropping it.
- worker_prefetch_multiplier=1: a dying worker holds at most one unacknowledged message per child.
- visibility_timeout > the longest task and the longest retry countdown, or Redis redelivers a
  task that is still running.
Tasks themselves take ids, lock rows and use idempotency keys, so a redelivery is harmless.
"""

import os

from celery import Celery

from config.beat import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("plumbline")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_configure.connect
def _apply_reliability_settings(sender: Celery, **_kwargs) -> None:
    from django.conf import settings

    sender.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.CELERY_TASK_TIME_LIMIT,
        task_soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
        broker_transport_options={
            "visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT,
            # Look for messages a dead worker left unacknowledged on every sweep (every 10 s),
            # not on every 10th: kombu's default makes redelivery wait up to ~100 s more.
            "unacked_restore_throttle": 1,
            **getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        },
        result_backend_transport_options={"visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT},
        broker_connection_retry_on_startup=True,
        result_expires=24 * 60 * 60,
        task_track_started=True,
        timezone="UTC",
        beat_schedule=BEAT_SCHEDULE,
        beat_schedule_filename=settings.CELERY_BEAT_SCHEDULE_FILENAME,
    )


app.autodiscover_tasks()
