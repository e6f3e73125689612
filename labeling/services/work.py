"""The expert's loop: claim the next task, save a draft, release or skip it, submit it.

Concurrency: every claim of one expert in one project first locks that pair's
ExpertProjectStats row, so one expert's claims are serialised (max tasks, one live lease); the
item itself is taken with SELECT ... FOR UPDATE SKIP LOCKED, so experts racing for work never
wait on each other and never get the same slot twice. `open_slots` is only changed while the
item row is locked.

On PostgreSQL the claim, the lease lock and a regular item's submit run as a few hand-written
statements (`work_pg`, same locks in the same order); the ORM code here serves SQLite (the demo)
and gold items.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from core.exceptions import NotFound
from labeling.exceptions import ExpertSuspended, LeaseExpired, NoTaskAvailable, TaskLimitReached
from labeling.models import Annotation, Assignment, ExpertProjectStats, Item, LabelingConfig
from labeling.scoring import score_gold
from labeling.selectors.work import project_get_live
from labeling.services import work_pg
from labeling.trust import probability_below, wilson_lower_bound
from marketplace.models import Project, ProjectStatus
from marketplace.services import (
    check_expert_can_work,
    check_project_takes_work,
    project_validate_response,
)

BPS = work_pg.BPS


def labeling_config(project: Project) -> LabelingConfig:
    # Callers on hot paths load the project with select_related("labeling_config").
    config = Project.labeling_config.related.get_cached_value(project, None)
    if config is not None:
        return config
    config, _ = LabelingConfig.objects.get_or_create(project=project)
    return config


def _stats_for_update(*, project: Project, expert: User) -> ExpertProjectStats:
    # One query once the row exists (every claim after the expert's first in the project).
    locked = ExpertProjectStats.objects.select_for_update().filter(project=project, expert=expert)
    stats = locked.first()
    if stats is None:
        ExpertProjectStats.objects.get_or_create(project=project, expert=expert)
        stats = locked.get()
    return stats


def _wants_gold(project: Project) -> bool:
    # A fresh random draw per claim: no pattern in position or timing tells gold items apart.
    return project.gold_ratio_bps > 0 and secrets.randbelow(BPS) < project.gold_ratio_bps


def _not_done_by(expert: User):
    return ~Exists(Assignment.objects.filter(item=OuterRef("pk"), expert=expert))


def _pick_regular_queryset(project: Project, expert: User):
    return (
        Item.objects.filter(project=project, is_gold=False, open_slots__gt=0)
        .filter(_not_done_by(expert))
        .order_by("-priority", "id")
        .select_for_update(skip_locked=True, of=("self",))
    )


def _pick_regular(project: Project, expert: User) -> Item | None:
    """Called while holding the expert's stats lock. Locks and returns one open item."""
    return _pick_regular_queryset(project, expert).first()


def _pick_gold(project: Project, expert: User) -> Item | None:
    # Gold only while regular work is left for this expert: a task that came after a "no task"
    # answer would otherwise be known to be gold.
    regular_left = (
        Item.objects.filter(project=project, is_gold=False, open_slots__gt=0)
        .filter(_not_done_by(expert))
        .exists()
    )
    if not regular_left:
        return None
    # Gold items are not limited by overlap (every expert may see each once): no row lock needed.
    return (
        Item.objects.filter(project=project, is_gold=True, gold_retired=False)
        .filter(_not_done_by(expert))
        .order_by("id")
        .first()
    )


def _verdict_key(project_id: int, expert: User) -> str:
    return f"labeling:can-work:{project_id}:{expert.pk}"


def _verdicts():
    # In this process's memory: a verdict is cheap to recompute and must not cost a round trip.
    return caches["local"]


def _check_can_work(project: Project, expert: User) -> None:
    """check_expert_can_work, with its expert-side verdict (eligibility, admission, opt-in: three
    to six queries) remembered for PLUMBLINE_CLAIM_VERDICT_SECONDS after it passed. The project's
    own state (live, budget) is checked on every claim (here from `project`, and again by the
    claim statement from the project's row), and suspension under the stats row lock by the
    claim itself, so neither is ever stale. A revoked qualification or invitation takes effect
    within that TTL; a new grant at once (refusals are not remembered)."""
    ttl = settings.PLUMBLINE_CLAIM_VERDICT_SECONDS
    key = _verdict_key(project.pk, expert)
    live = project.status == ProjectStatus.LIVE and not project.spend_blocked
    if ttl and live and _verdicts().get(key):
        return
    check_expert_can_work(project=project, expert=expert)
    if ttl:
        _verdicts().set(key, 1, ttl)


def task_claim_live(*, project_id: int, expert: User) -> Assignment:
    """task_claim for the API, given the project's id: 404 unless the project is live (its
    existence is not disclosed). With the expert's verdict remembered, on
    PostgreSQL, the claim statement reads the project itself: one statement in all."""
    if (
        connection.vendor == "postgresql"
        and settings.PLUMBLINE_CLAIM_VERDICT_SECONDS
        and _verdicts().get(_verdict_key(project_id, expert))
    ):
        return _task_claim_postgresql(
            project_id=project_id, expert=expert, now=timezone.now(), hide_not_live=True
        )
    return task_claim(project=project_get_live(project_id=project_id), expert=expert)


def task_claim(*, project: Project, expert: User, now: datetime | None = None) -> Assignment:
    """The expert's live lease in the project, or a new one on the next item for them."""
    _check_can_work(project, expert)
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return _task_claim_postgresql(project_id=project.pk, expert=expert, now=now)
    config = labeling_config(project)
    with transaction.atomic():
        stats = _stats_for_update(project=project, expert=expert)
        if stats.is_suspended:
            raise ExpertSuspended(stats.suspension_reason or None)
        live = (
            Assignment.objects.filter(
                project=project,
                expert=expert,
                status=Assignment.Status.LEASED,
                lease_expires_at__gt=now,
            )
            .select_related("item")
            .first()
        )
        if live is not None:
            return live
        if project.max_tasks_per_expert and stats.tasks_claimed >= project.max_tasks_per_expert:
            raise TaskLimitReached()

        item = None
        if _wants_gold(project):
            item = _pick_gold(project, expert)
        if item is None:
            item = _pick_regular(project, expert)
            if item is None:
                raise NoTaskAvailable()
            Item.objects.filter(pk=item.pk).update(open_slots=F("open_slots") - 1)

        assignment = Assignment.objects.create(
            project=project,
            item=item,
            expert=expert,
            is_gold=item.is_gold,
            leased_at=now,
            lease_expires_at=now + timedelta(minutes=config.lease_minutes),
        )
        stats.tasks_claimed += 1
        stats.gold_served += int(item.is_gold)
        stats.save(update_fields=["tasks_claimed", "gold_served", "updated_at"])
    return assignment


#: Runs of the claim statement before giving up. It runs again only when the same expert's
#: stats row changed under it (a concurrent claim, release or submit of theirs).
CLAIM_ATTEMPTS = 20


def _task_claim_postgresql(
    *, project_id: int, expert: User, now: datetime, hide_not_live: bool = False
) -> Assignment:
    """task_claim as one statement (`work_pg`, its own transaction): same rules, same locks in
    the same order as the ORM version above. The project's state comes from its row, read by
    the statement: `hide_not_live` answers 404 for a project that is not live."""
    draw = secrets.randbelow(BPS)
    for _ in range(CLAIM_ATTEMPTS):
        try:
            outcome = work_pg.claim(project_id=project_id, expert=expert, now=now, draw=draw)
            _check_project(outcome, hide_not_live)
            if not outcome.has_stats:
                # The expert's first claim in the project: create their stats row in the same
                # transaction, so a refused first claim leaves nothing behind.
                with transaction.atomic():
                    ExpertProjectStats.objects.get_or_create(project_id=project_id, expert=expert)
                    outcome = work_pg.claim(
                        project_id=project_id, expert=expert, now=now, draw=draw
                    )
                    _check_project(outcome, hide_not_live)
                    return _claimed(outcome)
        except work_pg.Stale:
            continue
        return _claimed(outcome)
    raise RuntimeError(f"claim statement stale {CLAIM_ATTEMPTS} times in a row")


def _check_project(outcome: work_pg.ClaimOutcome, hide_not_live: bool) -> None:
    project = outcome.project
    if project is None or (hide_not_live and project.status != ProjectStatus.LIVE):
        raise NotFound("No such project.")
    check_project_takes_work(project)


def _claimed(outcome: work_pg.ClaimOutcome) -> Assignment:
    if not outcome.has_stats:
        raise RuntimeError("the expert's stats row vanished during a claim")
    if outcome.suspended:
        raise ExpertSuspended(outcome.suspension_reason or None)
    if outcome.assignment is not None:
        return outcome.assignment
    raise NoTaskAvailable() if outcome.may_pick else TaskLimitReached()


def _assignment_for_update(*, assignment_id: int, expert: User) -> Assignment:
    if connection.vendor == "postgresql":
        found = work_pg.assignment_get(assignment_id=assignment_id, expert=expert)
        assignment = found[0] if found else None
    else:
        assignment = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("item", "project")
            .filter(pk=assignment_id, expert=expert)
            .first()
        )
    if assignment is None:
        raise NotFound("No such task.")
    return assignment


def _return_slot(assignment: Assignment, status: str, now: datetime) -> None:
    """Called while holding the assignment's row lock, for a lease that ends unfinished."""
    assignment.status = status
    assignment.finished_at = now
    assignment.save(update_fields=["status", "finished_at"])
    if not assignment.is_gold:
        Item.objects.filter(pk=assignment.item_id).update(open_slots=F("open_slots") + 1)
    ExpertProjectStats.objects.filter(
        project_id=assignment.project_id, expert_id=assignment.expert_id
    ).update(
        tasks_claimed=F("tasks_claimed") - 1, gold_served=F("gold_served") - int(assignment.is_gold)
    )


@transaction.atomic
def assignment_release(*, assignment_id: int, expert: User, skip: bool = False) -> Assignment:
    """Give a task back (release) or pass on it (skip). Either way the item returns to the pool
    for others; this expert will not be offered it again."""
    assignment = _assignment_for_update(assignment_id=assignment_id, expert=expert)
    if assignment.status != Assignment.Status.LEASED:
        return assignment  # already finished: releasing twice is harmless
    _return_slot(
        assignment,
        Assignment.Status.SKIPPED if skip else Assignment.Status.RELEASED,
        timezone.now(),
    )
    return assignment


@transaction.atomic
def assignment_draft_save(*, assignment_id: int, expert: User, draft: dict) -> Assignment:
    assignment = _assignment_for_update(assignment_id=assignment_id, expert=expert)
    if not assignment.is_live:
        raise LeaseExpired()
    assignment.draft = draft
    assignment.draft_saved_at = timezone.now()
    assignment.save(update_fields=["draft", "draft_saved_at"])
    return assignment


def leases_expire(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """End leases past their expiry and return their items to the pool. Safe to run twice and
    concurrently: each lease is locked (SKIP LOCKED) and re-checked."""
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            batch = list(
                Assignment.objects.select_for_update(skip_locked=True)
                .filter(status=Assignment.Status.LEASED, lease_expires_at__lte=now)
                .order_by("lease_expires_at")[:batch_size]
            )
            for assignment in batch:
                _return_slot(assignment, Assignment.Status.EXPIRED, now)
        expired += len(batch)
        if len(batch) < batch_size:
            return expired


def annotation_submit(
    *, assignment_id: int, expert: User, response, active_seconds: int
) -> Annotation:
    """Store the expert's response once. A retried submit of the same lease returns the stored
    annotation unchanged (idempotent)."""
    if connection.vendor == "postgresql":
        annotation = _submit_regular_postgresql(
            assignment_id=assignment_id,
            expert=expert,
            response=response,
            active_seconds=active_seconds,
        )
        if annotation is not None:
            return annotation
    with transaction.atomic():
        assignment = _assignment_for_update(assignment_id=assignment_id, expert=expert)
        if assignment.status == Assignment.Status.SUBMITTED:
            return assignment.annotation
        now = timezone.now()
        if assignment.status != Assignment.Status.LEASED or assignment.lease_expires_at <= now:
            raise LeaseExpired()
        project = assignment.project
        project_validate_response(project, response)
        active_seconds = _active_seconds(assignment, active_seconds)
        item = assignment.item
        scored = item.is_gold and not item.gold_retired
        correct = None
        if scored:
            correct = score_gold(project.task_type, project.task_config, item.gold_answer, response)
        annotation = Annotation.objects.create(
            assignment=assignment,
            project=project,
            item=assignment.item,
            expert=expert,
            response=response,
            active_seconds=active_seconds,
            submitted_at=now,
            review_due_at=now + timedelta(days=project.review_window_days),
            gold_correct=correct,
        )
        assignment.status = Assignment.Status.SUBMITTED
        assignment.finished_at = now
        assignment.draft = None
        assignment.save(update_fields=["status", "finished_at", "draft"])
        Item.objects.filter(pk=assignment.item_id).update(submitted_count=F("submitted_count") + 1)

        stats = _stats_for_update(project=project, expert=expert)
        stats.tasks_submitted += 1
        if scored:
            if correct is not None:
                _record_gold(stats, correct=correct, project=project, now=now)
        elif stats.is_suspended:
            annotation.review_status = Annotation.Review.HELD
            annotation.save(update_fields=["review_status"])
        stats.save()
    return annotation


def _active_seconds(assignment: Assignment, active_seconds: int) -> int:
    """The workspace's count of active seconds, clamped to the lease's length."""
    lease_seconds = int((assignment.lease_expires_at - assignment.leased_at).total_seconds())
    return max(0, min(int(active_seconds), lease_seconds))


def _submit_regular_postgresql(
    *, assignment_id: int, expert: User, response, active_seconds: int
) -> Annotation | None:
    """The common submit in two statements and no explicit transaction: read the lease, check
    the response, then `work_pg._SUBMIT`, which ends the lease only if it is still live. None
    when this is not the common case (a gold item, a lease no longer live, a retried submit, no
    stats row): the caller then takes the locked path, which tells them apart."""
    found = work_pg.assignment_get(assignment_id=assignment_id, expert=expert, lock=False)
    if found is None:
        raise NotFound("No such task.")
    assignment, has_stats = found
    now = timezone.now()
    if (
        assignment.is_gold
        or not has_stats
        or assignment.status != Assignment.Status.LEASED
        or assignment.lease_expires_at <= now
    ):
        return None
    project = assignment.project
    project_validate_response(project, response)
    return work_pg.submit_regular(
        assignment=assignment,
        expert=expert,
        response=response,
        active_seconds=_active_seconds(assignment, active_seconds),
        now=now,
        review_due_at=now + timedelta(days=project.review_window_days),
    )


def _record_gold(
    stats: ExpertProjectStats, *, correct: bool, project: Project, now: datetime
) -> None:
    """Called while holding the stats row lock."""
    config = labeling_config(project)
    stats.gold_seen += 1
    stats.gold_correct += int(correct)
    stats.trust_lower = wilson_lower_bound(stats.gold_correct, stats.gold_seen)
    stats.p_below_threshold = probability_below(
        stats.gold_correct, stats.gold_seen, config.gold_accuracy_threshold
    )
    if (
        not stats.is_suspended
        and stats.gold_seen >= config.gold_min_seen
        and stats.p_below_threshold >= settings.PLUMBLINE_SUSPEND_PROBABILITY
    ):
        _suspend(stats, project=project, config=config, now=now)


def _suspend(
    stats: ExpertProjectStats, *, project: Project, config: LabelingConfig, now: datetime
) -> None:
    """Called while holding the stats row lock."""
    stats.suspended_at = now
    stats.suspension_reason = (
        f"Your answers on this project's check items were correct {stats.gold_correct} times "
        f"out of {stats.gold_seen}. There is a {stats.p_below_threshold:.0%} probability that "
        f"your accuracy is below the project's required {config.gold_accuracy_threshold:.0%}, "
        "so you are paused from this project. Your unreviewed work is held, not rejected. You "
        "can see the items you missed with the expected answers, and you can appeal."
    )
    held = Annotation.objects.filter(
        project=project, expert_id=stats.expert_id, review_status=Annotation.Review.PENDING
    ).update(review_status=Annotation.Review.HELD)
    # End live leases so the items go back to others.
    for assignment in Assignment.objects.select_for_update().filter(
        project=project, expert_id=stats.expert_id, status=Assignment.Status.LEASED
    ):
        _return_slot(assignment, Assignment.Status.RELEASED, now)
    # _return_slot adjusted these counters in the database; keep the row we save in step.
    stats.tasks_claimed, stats.gold_served = ExpertProjectStats.objects.filter(
        pk=stats.pk
    ).values_list("tasks_claimed", "gold_served")[0]
    audit_record(
        actor=None,
        verb="labeling.expert_suspended",
        target=project,
        details={
            "expert": stats.expert_id,
            "gold_seen": stats.gold_seen,
            "gold_correct": stats.gold_correct,
            "p_below_threshold": round(stats.p_below_threshold, 4),
            "held_annotations": held,
        },
    )
