"""The claim and submit hot paths (labeling.services.work_pg on PostgreSQL): a handful of
statements each, the same stored state as the ORM version, and a remembered eligibility verdict
that never outlives a pause, a budget stop or a suspension."""

import re

import pytest
from django.db import connection
from django.utils import timezone

from core.exceptions import InvalidState, NotFound
from labeling import services
from labeling.exceptions import ExpertSuspended, TaskLimitReached
from labeling.models import Annotation, Assignment, ExpertProjectStats, Item, LabelingConfig
from marketplace.exceptions import ProjectNotLive
from marketplace.models import Project, ProjectStatus
from tests.factories import ExpertFactory
from tests.labeling.factories import add_items, claim_and_submit, live_project

GOOD = {"choice": "a", "strength": 2}


@pytest.mark.django_db
def test_a_claim_is_one_statement_a_submit_two_and_they_store_the_same_state(
    organization, expert, django_assert_num_queries
):
    assert connection.vendor == "postgresql"
    project = live_project(organization, overlap=2, gold_ratio_bps=0)
    add_items(project, 3)
    claim_and_submit(project, expert)  # creates the stats row, remembers the verdict

    # the claim statement: it reads the project, locks the stats row, leases and counts (its
    # own transaction)
    with django_assert_num_queries(1):
        lease = services.task_claim_live(project_id=project.pk, expert=expert)
    assert lease.project.title == project.title and lease.item.payload
    # the lease read, the submit statement (lease end, annotation, counters: one transaction)
    with django_assert_num_queries(2):
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
    claim_and_submit(project, expert)  # the expert-side verdict is now remembered

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


@pytest.mark.django_db
def test_a_claim_by_project_id_with_a_remembered_verdict_still_sees_the_project_state(
    organization, expert
):
    """The one-statement claim (task_claim_live) reads the project's state from its row: a
    pause hides the project (404, as before the verdict), a budget stop and a suspension
    refuse, and the project's own lease length and task limit apply."""
    project = live_project(organization, overlap=2, gold_ratio_bps=0, max_tasks_per_expert=2)
    LabelingConfig.objects.update_or_create(project=project, defaults={"lease_minutes": 7})
    add_items(project, 5)
    claim_and_submit(project, expert)  # the verdict is now remembered
    lease = services.task_claim_live(project_id=project.pk, expert=expert)
    assert (lease.lease_expires_at - lease.leased_at).total_seconds() == 7 * 60
    services.annotation_submit(
        assignment_id=lease.pk, expert=expert, response=GOOD, active_seconds=5
    )
    with pytest.raises(TaskLimitReached):
        services.task_claim_live(project_id=project.pk, expert=expert)

    Project.objects.filter(pk=project.pk).update(max_tasks_per_expert=None)
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.PAUSED)
    with pytest.raises(NotFound):
        services.task_claim_live(project_id=project.pk, expert=expert)
    with pytest.raises(NotFound):
        services.task_claim_live(project_id=10**9, expert=expert)
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.LIVE, spend_blocked=True)
    with pytest.raises(InvalidState) as refused:
        services.task_claim_live(project_id=project.pk, expert=expert)
    assert refused.value.code == "spend_blocked"
    Project.objects.filter(pk=project.pk).update(spend_blocked=False)
    ExpertProjectStats.objects.filter(project=project, expert=expert).update(
        suspended_at=timezone.now(), suspension_reason="Too many gold items missed."
    )
    with pytest.raises(ExpertSuspended):
        services.task_claim_live(project_id=project.pk, expert=expert)
    assert Assignment.objects.filter(expert=expert).count() == 2


def _plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.django_db
def test_the_done_by_this_expert_probe_uses_the_item_expert_index_whatever_the_statistics(
    organization, expert, other_expert
):
    """The claim skips items the expert already did with one probe of the unique (item, expert)
    index per scanned item. Statistics that predate the expert's work once made PostgreSQL read
    all of the expert's assignments for every scanned item instead (a claim 650 tasks in took
    12 ms)."""
    import json

    from django.db import transaction

    from labeling.services import work_pg

    project = live_project(organization, overlap=2, gold_ratio_bps=0)
    items = add_items(project, 400)
    claim_and_submit(project, expert)  # the stats row exists
    others = [other_expert, *ExpertFactory.create_batch(29)]
    with connection.cursor() as cursor:
        # A table of some size, where the statistics put this expert at one row: 30 other
        # experts who released each of the items (released leases keep no slot).
        cursor.execute(
            """INSERT INTO labeling_assignment (project_id, item_id, expert_id, status, is_gold,
                   leased_at, lease_expires_at, finished_at)
               SELECT %s, i.id, u.id, 'released', false, now(), now(), now()
               FROM labeling_item i CROSS JOIN accounts_user u
               WHERE i.project_id = %s AND u.id = ANY(%s)""",
            [project.pk, project.pk, [u.pk for u in others]],
        )
        cursor.execute("ANALYZE labeling_assignment")
        cursor.execute("ANALYZE labeling_item")
        # Since the statistics were taken: 300 more items done, each still open for someone.
        cursor.execute(
            """INSERT INTO labeling_assignment (project_id, item_id, expert_id, status, is_gold,
                   leased_at, lease_expires_at, finished_at)
               SELECT %s, id, %s, 'released', false, now(), now(), now()
               FROM labeling_item WHERE project_id = %s AND id > %s ORDER BY id LIMIT 300""",
            [project.pk, expert.pk, project.pk, items[0].pk],
        )

    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + work_pg.claim_sql(),
            work_pg.claim_params(project_id=project.pk, expert=expert, now=now),
        )
        plan = cursor.fetchone()[0]
        transaction.set_rollback(True)
    if isinstance(plan, str):
        plan = json.loads(plan)
    nodes = list(_plan_nodes(plan[0]["Plan"]))
    # PostgreSQL names the probes' alias u, u_1, u_2... (gold, regular work left, regular).
    probes = [n for n in nodes if re.fullmatch(r"u(_\d+)?", n.get("Alias", ""))]
    assert probes, "the claim statement has a done-by-this-expert probe"
    assert {n.get("Index Name") for n in probes} == {"assignment_once_per_expert"}
    assert not [n for n in nodes if n["Node Type"] == "Materialize"]
    # The pick passed over the expert's 300 (+1) done items, one index probe each.
    assert max(n["Actual Loops"] for n in probes) >= 300
    assert all(n.get("Rows Removed by Filter", 0) == 0 for n in probes)
