from celery import shared_task


@shared_task(name="core.tasks.ping")
def ping(value: str = "pong") -> str:
    """Round-trip check: proves a worker consumed the message and stored the result."""
    return value


@shared_task(name="core.tasks.heartbeat")
def heartbeat() -> str:
    """Scheduled by beat so the demo shows the beat -> broker -> worker path is alive."""
    return "alive"
