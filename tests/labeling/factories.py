"""Labeling test helpers: a live project with items, experts who may work on it."""

from labeling.models import Item
from marketplace.models import ProjectStatus
from tests.marketplace.factories import make_project


def live_project(organization, **overrides):
    overrides.setdefault("overlap", 2)
    return make_project(organization, status=ProjectStatus.LIVE, **overrides)


def add_items(project, n: int, *, gold: int = 0, start: int = 0, priority: int = 0) -> list[Item]:
    """n regular items then `gold` gold items (answer: A is better)."""
    items = [
        Item(
            project=project,
            external_id=f"item-{start + i}",
            priority=priority,
            payload={"prompt": f"Question {start + i}?", "response_a": "Yes.", "response_b": "No."},
            open_slots=project.overlap,
        )
        for i in range(n)
    ]
    items += [
        Item(
            project=project,
            external_id=f"gold-{start + i}",
            is_gold=True,
            open_slots=0,
            payload={
                "prompt": f"Check {start + i}?",
                "response_a": "Right.",
                "response_b": "Wrong.",
            },
            gold_answer={"choice": "a", "strength": 2},
        )
        for i in range(gold)
    ]
    return Item.objects.bulk_create(items)


def claim_and_submit(project, expert) -> None:
    """One task cycle through the services: claim the next task, submit a valid answer."""
    from labeling import services

    lease = services.task_claim(project=project, expert=expert)
    services.annotation_submit(
        assignment_id=lease.pk,
        expert=expert,
        response={"choice": "a", "strength": 2},
        active_seconds=5,
    )
