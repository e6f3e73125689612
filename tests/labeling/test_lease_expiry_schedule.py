"""Stale leases are expired by beat, not only when someone calls the service."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.beat import BEAT_SCHEDULE
from labeling import services
from labeling.models import Assignment, Item
from labeling.tasks import leases_expire_task
from tests.factories import ExpertFactory
from tests.labeling.factories import add_items, live_project


def test_beat_runs_the_lease_expiry_every_minute():
    [entry] = [e for e in BEAT_SCHEDULE.values() if e["task"] == "labeling.tasks.leases_expire"]
    assert entry["schedule"].minute == set(range(60))


@pytest.mark.django_db
def test_the_beat_task_expires_a_stale_lease_and_frees_its_item(organization):
    project = live_project(organization, overlap=1)
    add_items(project, 1)
    lease = services.task_claim(project=project, expert=ExpertFactory())
    Assignment.objects.filter(pk=lease.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert leases_expire_task.apply().get() == 1

    lease.refresh_from_db()
    assert lease.status == Assignment.Status.EXPIRED
    assert Item.objects.get().open_slots == 1
    assert leases_expire_task.apply().get() == 0  # nothing left to expire
