"""The claim and submit hot paths (labeling.services.work_pg on PostgreSQL): a handful of
statements each, the same stored state as the ORM version, and a remembered eligibility verdict
that never outlives a pause, a budget stop or a suspension."""

import pytest
from django.db import connection
from django.utils import timezone

from core.exceptions import InvalidState
from labeling import services
from labeling.exceptions import ExpertSuspended
from labeling.models import Annotation, Assignment, ExpertProjectStats, Item
from labeling.selectors.work import project_get_live
from marketplace.exceptions import ProjectNotLive
from marketplace.models import ProjectStatus
from tests.labeling.factories import add_items, live_project

GOOD = {"choice": "a", "strength": 2}


def _claim_and_submit(project, expert):
    lease = services.task_claim(project=project, expert=expert)
    services.annotation_submit(
        assignment_id=lease.pk, expert=expert, response=GOOD, active_seconds=5
    )


@pytest.mark.django_db
def test_claim_and_submit_take_four_statements_each_and_store_the_same_state(
    organization, expert, django_assert_num_queries
):
    assert connection.vendor == "postgresql"
    project = live_project(organization, overlap=2, gold_ratio_bps=0)
    add_items(project, 3)
    _claim_and_submit(project, expert)  # creates the stats row, remembers the verdict

    with django_assert_num_queries(1):
        project = project_get_live(project_id=project.pk)
    # savepoint, stats row lock, the claim statement, release
    with django_assert_num_queries(4):
        lease = services.task_claim(project=project, expert=expert)
    # savepoint, lease row lock, the submit statement, release
    with django_assert_num_queries(4):
        annotation = services.annotation_submit(
            assignment_id=lease.pk, expert=expert, response=GOOD, active_seconds=99_999
        )

    stored = Annotation.objects.get(pk=annotation.pk)
    assert (stored.assignment_id, stored.item_id, stored.expert_id) == (
        lease.pk,
        lease.item_id,
        expert.pk,
    )
    assert stored.response == annotation.response == GOOD
    assert stored.active_seconds == annotation.active_seconds == 30 * 60  # clamped to the lease
    assert stored.review_status == annotation.review_status == Annotation.Review.PENDING
    assert Assignment.objects.get(pk=lease.pk).status == Assignment.Status.SUBMITTED
    item = Item.objects.get(pk=lease.item_id)
    assert (item.open_slots, item.submitted_count) == (1, 1)
    stats = ExpertProjectStats.objects.get(project=project, expert=expert)
    assert (stats.tasks_claimed, stats.tasks_submitted) == (2, 2)


@pytest.mark.django_db
def test_a_remembered_verdict_does_not_outlive_a_pause_a_budget_stop_or_a_suspension(
    organization, expert
):
    project = live_project(organization, overlap=2)
    add_items(project, 5)
    _claim_and_submit(project, expert)  # the expert-side verdict is now remembered

    project.status = ProjectStatus.PAUSED
    project.save(update_fields=["status"])
    with pytest.raises(ProjectNotLive):
        services.task_claim(project=project, expert=expert)

    project.status = ProjectStatus.LIVE
    project.spend_blocked = True
    project.save(update_fields=["status", "spend_blocked"])
    with pytest.raises(InvalidState):
        services.task_claim(project=project, expert=expert)

    project.spend_blocked = False
    project.save(update_fields=["spend_blocked"])
    ExpertProjectStats.objects.filter(project=project, expert=expert).update(
        suspended_at=timezone.now(), suspension_reason="Too many gold items missed."
    )
    with pytest.raises(ExpertSuspended):
        services.task_claim(project=project, expert=expert)
    assert Assignment.objects.filter(expert=expert).count() == 1
