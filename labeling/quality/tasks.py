"""Quality analytics Celery tasks: thin, take ids, safe to run twice."""

from celery import shared_task


@shared_task(name="labeling.quality.tasks.quality_snapshot_compute", acks_late=True)
def quality_snapshot_compute_task(project_id: int, force: bool = True) -> int | None:
    """Recompute one project's quality snapshot (skipped while another run holds the lock)."""
    from django.core.cache import cache

    from labeling.quality.services import quality_snapshot_compute

    cache.delete(f"quality:queued:{project_id}")  # later changes may queue a new run
    snapshot = quality_snapshot_compute(project_id=project_id, force=force)
    return snapshot.pk if snapshot is not None else None


@shared_task(name="labeling.quality.tasks.quality_snapshots_sweep", acks_late=True)
def quality_snapshots_sweep_task() -> int:
    """Beat: queue a snapshot for every project with annotations newer than its last one."""
    from labeling.quality.services import quality_snapshots_sweep

    return len(quality_snapshots_sweep())
