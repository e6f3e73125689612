import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from labeling import services
from labeling.exceptions import ExpertSuspended, LeaseExpired, NoTaskAvailable
from labeling.models import Annotation, Assignment, ExpertProjectStats, Item, LabelingConfig
from tests.factories import ExpertFactory
from tests.labeling.factories import add_items, live_project

GOOD = {"choice": "a", "strength": 2}


def at_once(work, args: list) -> list[BaseException]:
    """work(arg) for each arg, in threads that start together, each with its own database
    connection; the exceptions they raised."""
    barrier = threading.Barrier(len(args))
    errors: list[BaseException] = []

    def run(arg):
        try:
            barrier.wait()
            work(arg)
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(arg,)) for arg in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


@pytest.mark.django_db(transaction=True)
def test_32_experts_claiming_at_once_never_double_assign_or_exceed_overlap(organization):
    assert connection.vendor == "postgresql"
    project = live_project(organization, overlap=2)
    add_items(project, 40)
    experts = [ExpertFactory() for _ in range(32)]

    def work(expert):
        while True:
            try:
                assignment = services.task_claim(project=project, expert=expert)
            except NoTaskAvailable:
                return
            services.annotation_submit(
                assignment_id=assignment.pk, expert=expert, response=GOOD, active_seconds=30
            )

    errors = at_once(work, experts)
    assert not errors, errors

    per_item = Counter(Assignment.objects.values_list("item_id", flat=True))
    assert len(per_item) == 40
    assert max(per_item.values()) == 2, "an item went beyond its overlap"
    pairs = Counter(Assignment.objects.values_list("item_id", "expert_id"))
    assert max(pairs.values()) == 1, "an item was leased twice to one expert"
    assert Annotation.objects.count() == 80
    assert set(Item.objects.values_list("open_slots", flat=True)) == {0}


@pytest.mark.django_db(transaction=True)
def test_one_expert_claiming_from_many_tabs_at_once_holds_one_lease(organization, expert):
    """The claim statement waits for the expert's stats row lock while another claim of theirs
    commits a lease its snapshot cannot see: it must notice and run again, never lease a
    second item nor fail on the (item, expert) unique index."""
    assert connection.vendor == "postgresql"
    project = live_project(organization, overlap=1, gold_ratio_bps=0)
    add_items(project, 30)
    for _ in range(10):
        leases: list[int] = []
        errors = at_once(
            lambda _: leases.append(services.task_claim(project=project, expert=expert).pk),
            list(range(8)),
        )
        assert not errors, errors
        assert len(leases) == 8 and len(set(leases)) == 1, leases
        services.annotation_submit(
            assignment_id=leases[0], expert=expert, response=GOOD, active_seconds=30
        )

    assert Assignment.objects.filter(expert=expert).count() == 10
    stats = ExpertProjectStats.objects.get(project=project, expert=expert)
    assert (stats.tasks_claimed, stats.tasks_submitted) == (10, 10)
    assert Item.objects.filter(project=project, open_slots=0).count() == 10


@pytest.mark.django_db(transaction=True)
def test_the_same_submit_sent_many_times_at_once_is_stored_once(organization, expert):
    assert connection.vendor == "postgresql"
    project = live_project(organization, overlap=1, gold_ratio_bps=0)
    add_items(project, 2)
    lease = services.task_claim(project=project, expert=expert)
    stored: list[int] = []

    def submit(_):
        annotation = services.annotation_submit(
            assignment_id=lease.pk, expert=expert, response=GOOD, active_seconds=30
        )
        stored.append(annotation.pk)

    errors = at_once(submit, list(range(8)))
    assert not errors, errors
    assert len(stored) == 8 and len(set(stored)) == 1
    assert Annotation.objects.filter(assignment=lease.pk).count() == 1
    assert Item.objects.get(pk=lease.item_id).submitted_count == 1
    stats = ExpertProjectStats.objects.get(project=project, expert=expert)
    assert (stats.tasks_claimed, stats.tasks_submitted) == (1, 1)


@pytest.mark.django_db
def test_the_default_lease_comes_from_the_setting(organization, expert, settings):
    settings.PLUMBLINE_DEFAULT_LEASE = timedelta(minutes=45)
    project = live_project(organization, overlap=1, gold_ratio_bps=0)
    add_items(project, 2)
    lease = services.task_claim(project=project, expert=expert)
    assert lease.lease_expires_at - lease.leased_at == timedelta(minutes=45)
    assert LabelingConfig.objects.create(project=project).lease_minutes == 45


@pytest.mark.django_db
def test_an_expired_lease_returns_its_item_to_the_pool(organization):
    project = live_project(organization, overlap=1)
    add_items(project, 1)
    alice, bob = ExpertFactory(), ExpertFactory()
    lease = services.task_claim(project=project, expert=alice)
    with pytest.raises(NoTaskAvailable):
        services.task_claim(project=project, expert=bob)

    assert services.leases_expire(now=timezone.now() + timedelta(minutes=31)) == 1
    lease.refresh_from_db()
    assert lease.status == Assignment.Status.EXPIRED
    assert Item.objects.get().open_slots == 1
    assert services.task_claim(project=project, expert=bob).item_id == lease.item_id
    with pytest.raises(LeaseExpired):
        services.annotation_submit(
            assignment_id=lease.pk, expert=alice, response=GOOD, active_seconds=5
        )


@pytest.mark.django_db
def test_asking_again_returns_the_live_lease(organization, expert):
    project = live_project(organization)
    add_items(project, 3)
    first = services.task_claim(project=project, expert=expert)
    assert services.task_claim(project=project, expert=expert).pk == first.pk


@pytest.mark.django_db
def test_released_or_skipped_items_are_not_offered_again_to_the_same_expert(organization, expert):
    project = live_project(organization, overlap=1)
    add_items(project, 2)
    first = services.task_claim(project=project, expert=expert)
    services.assignment_release(assignment_id=first.pk, expert=expert, skip=True)
    second = services.task_claim(project=project, expert=expert)
    assert second.item_id != first.item_id
    assert Item.objects.get(pk=first.item_id).open_slots == 1  # free for others
    services.assignment_release(assignment_id=second.pk, expert=expert)
    with pytest.raises(NoTaskAvailable):
        services.task_claim(project=project, expert=expert)


@pytest.mark.django_db
def test_priority_items_are_served_first(organization, expert):
    project = live_project(organization)
    add_items(project, 3)
    urgent = add_items(project, 1, start=100, priority=5)[0]
    assert services.task_claim(project=project, expert=expert).item_id == urgent.pk


@pytest.mark.django_db
def test_max_tasks_per_expert_is_enforced(organization, expert):
    from labeling.exceptions import TaskLimitReached

    project = live_project(organization, max_tasks_per_expert=2)
    add_items(project, 5)
    for _ in range(2):
        lease = services.task_claim(project=project, expert=expert)
        services.annotation_submit(
            assignment_id=lease.pk, expert=expert, response=GOOD, active_seconds=5
        )
    with pytest.raises(TaskLimitReached):
        services.task_claim(project=project, expert=expert)


@pytest.mark.django_db
def test_a_retried_submit_is_stored_once(organization, expert):
    project = live_project(organization)
    add_items(project, 2)
    lease = services.task_claim(project=project, expert=expert)
    first = services.annotation_submit(
        assignment_id=lease.pk, expert=expert, response=GOOD, active_seconds=12
    )
    again = services.annotation_submit(
        assignment_id=lease.pk,
        expert=expert,
        response={"choice": "b", "strength": 1},
        active_seconds=99,
    )
    assert again.pk == first.pk
    assert Annotation.objects.count() == 1
    assert Annotation.objects.get().response == GOOD


@pytest.mark.django_db
def test_active_seconds_are_clamped_to_the_lease(organization, expert):
    project = live_project(organization)
    add_items(project, 1)
    lease = services.task_claim(project=project, expert=expert)
    annotation = services.annotation_submit(
        assignment_id=lease.pk, expert=expert, response=GOOD, active_seconds=10**9
    )
    assert annotation.active_seconds == 30 * 60


@pytest.mark.django_db
def test_gold_items_are_served_at_the_gold_ratio_and_never_twice(organization):
    project = live_project(organization, overlap=1, gold_ratio_bps=2500)
    add_items(project, 400, gold=30)
    expert = ExpertFactory()
    gold_seen = []
    for _ in range(200):
        lease = services.task_claim(project=project, expert=expert)
        if lease.is_gold:
            gold_seen.append(lease.item_id)
        services.annotation_submit(
            assignment_id=lease.pk, expert=expert, response=GOOD, active_seconds=5
        )
    assert len(gold_seen) == len(set(gold_seen)) <= 30
    assert 25 <= len(gold_seen) <= 30  # ~50 draws wanted gold; at most 30 gold items exist


@pytest.mark.django_db
def test_failing_gold_suspends_the_expert_and_holds_their_work(organization, expert):
    project = live_project(organization, overlap=1, gold_ratio_bps=5000)
    add_items(project, 20, gold=20)
    bad = {"choice": "b", "strength": 1}
    stats = None
    for _ in range(40):
        try:
            lease = services.task_claim(project=project, expert=expert)
        except ExpertSuspended:
            break
        services.annotation_submit(
            assignment_id=lease.pk, expert=expert, response=bad, active_seconds=5
        )
        stats = ExpertProjectStats.objects.get(project=project, expert=expert)
    stats.refresh_from_db()
    assert stats.is_suspended
    assert stats.gold_correct == 0 and stats.gold_seen >= 3
    assert stats.p_below_threshold >= 0.95
    assert "appeal" in stats.suspension_reason
    assert not Annotation.objects.filter(expert=expert, review_status="pending").exists()
    assert Annotation.objects.filter(expert=expert, review_status="held").exists()
    with pytest.raises(ExpertSuspended):
        services.task_claim(project=project, expert=expert)


@pytest.mark.django_db
def test_an_expert_with_good_gold_is_not_suspended(organization, expert):
    project = live_project(organization, overlap=1, gold_ratio_bps=5000)
    # More regular items than claims: gold is only served while regular work remains.
    add_items(project, 40, gold=20)
    for _ in range(30):
        lease = services.task_claim(project=project, expert=expert)
        services.annotation_submit(
            assignment_id=lease.pk, expert=expert, response=GOOD, active_seconds=5
        )
    stats = ExpertProjectStats.objects.get(project=project, expert=expert)
    assert stats.gold_seen > 5 and stats.gold_correct == stats.gold_seen
    assert not stats.is_suspended
