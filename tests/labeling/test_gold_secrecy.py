"""Gold secrecy: nothing an expert receives tells a gold item from a regular one.

An expert claims and submits many tasks of a project with gold items, through the task API and
through the workspace pages. No response body (raw bytes) may contain a gold answer, a gold
external id, the words "gold"/"is_gold", or an item id; and responses for gold tasks have the
same keys and, payload aside, the same size as the others.
"""

import json
import statistics

import pytest
from django.test import Client

from labeling.models import Assignment, Item
from tests.conftest import api_as
from tests.labeling.factories import live_project

pytestmark = pytest.mark.django_db

# Item ids far from any other id in the test database, so finding one in a body means a leak.
ITEM_ID_BASE = 987_650_000
GOLD_ANSWERS = [
    {"choice": "a", "strength": 3, "rationale": "Secret-gold-rationale-7f3a: A cites the dose."},
    {"choice": "a", "strength": 1, "rationale": "Secret-gold-rationale-91c2: A is guideline."},
]
# The expert answers like the gold (choice "a"), so they are never suspended mid-test.
ANSWER = {"choice": "a", "strength": 2, "rationale": "Seems right to me."}


def _items(project, regular: int, gold: int) -> list[Item]:
    items = []
    for i in range(regular + gold):
        is_gold = i % (regular // gold + 1) == 0 and sum(x.is_gold for x in items) < gold
        items.append(
            Item(
                pk=ITEM_ID_BASE + i,
                project=project,
                external_id=f"{'golden-check' if is_gold else 'case'}-{i:04d}-x",
                # Same payload shape for both kinds (as a company would upload them).
                payload={
                    "prompt": f"Patient case {i:04d}: which answer is safer?",
                    "response_a": f"Answer A{i:04d}.",
                    "response_b": f"Answer B{i:04d}.",
                },
                is_gold=is_gold,
                gold_answer=GOLD_ANSWERS[i % 2] if is_gold else None,
                open_slots=0 if is_gold else project.overlap,
            )
        )
    return Item.objects.bulk_create(items)


def _forbidden(items: list[Item]) -> list[bytes]:
    needles = [b"gold", b"Gold", b"GOLD", b"is_gold", b"Secret-gold", b"golden-check"]
    for item in items:
        needles.append(str(item.pk).encode())
        if item.is_gold:
            needles.append(item.external_id.encode())
            for separators in ((", ", ": "), (",", ":")):
                needles.append(json.dumps(item.gold_answer, separators=separators).encode())
                needles.append(
                    json.dumps(item.gold_answer, separators=separators, ensure_ascii=False)
                    .replace('"', "&quot;")
                    .encode()
                )
    return needles


def _assert_clean(body: bytes, needles: list[bytes], where: str) -> None:
    for needle in needles:
        assert needle not in body, f"{needle!r} leaked in {where}"


def _shape(value):
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return type(value).__name__


def test_nothing_an_expert_receives_reveals_gold(organization, expert):
    project = live_project(
        organization, overlap=1, gold_ratio_bps=3000, task_config={"rationale": "optional"}
    )
    items = _items(project, regular=60, gold=20)
    assert sum(i.is_gold for i in items) == 20
    needles = _forbidden(items)
    api = api_as(expert)
    pages = Client()
    pages.force_login(expert)

    sizes: dict[bool, list[int]] = {True: [], False: []}
    shapes: dict[bool, set[str]] = {True: set(), False: set()}
    page_sizes: dict[bool, list[int]] = {True: [], False: []}
    seen = 0
    for n in range(50):
        if n % 2:
            response = api.post(f"/api/v1/projects/{project.pk}/tasks/next/")
            assert response.status_code == 200, response.content
            task_id = response.json()["id"]
            bodies = [("next", response)]
        else:
            redirect = pages.get(f"/work/projects/{project.pk}/")
            assert redirect.status_code == 302
            bodies = [("workspace redirect", redirect)]
            task_id = int(redirect["Location"].rstrip("/").rsplit("/", 1)[1])
            response = api.get(f"/api/v1/tasks/{task_id}/")
            bodies.append(("task detail", response))
        gold = Assignment.objects.get(pk=task_id).is_gold
        page = pages.get(f"/work/tasks/{task_id}/")
        assert page.status_code == 200
        bodies.append(("workspace page", page))
        payload_len = len(json.dumps(response.json()["payload"]))
        sizes[gold].append(len(response.content) - payload_len)
        shapes[gold].add(json.dumps(_shape(response.json()), sort_keys=True))
        page_sizes[gold].append(len(page.content) - len(response.json()["payload"]["prompt"]))

        draft = api.put(f"/api/v1/tasks/{task_id}/draft/", {"draft": {"response": ANSWER}})
        bodies.append(("draft", draft))
        submitted = api.post(
            f"/api/v1/tasks/{task_id}/submit/", {"response": ANSWER, "active_seconds": 30}
        )
        assert submitted.status_code == 201
        bodies.append(("submit", submitted))
        annotation = submitted.json()["id"]
        bodies.append(("annotation", api.get(f"/api/v1/my/annotations/{annotation}/")))
        for where, body in bodies:
            _assert_clean(body.content, needles, where)
        seen += gold

    assert 5 <= seen < 50, "both kinds were served"
    for where, body in [
        ("annotation list", api.get("/api/v1/my/annotations/?page_size=100")),
        ("my work", pages.get("/work/")),
        ("job page", pages.get(f"/jobs/{project.pk}/")),
    ]:
        assert body.status_code == 200, where
        _assert_clean(body.content, needles, where)

    # Same keys and types everywhere, and no size difference beyond the payload itself.
    assert shapes[True] == shapes[False] and len(shapes[True]) == 1
    for kind_sizes in (sizes, page_sizes):
        gold_mean = statistics.mean(kind_sizes[True])
        regular_mean = statistics.mean(kind_sizes[False])
        assert abs(gold_mean - regular_mean) <= 16, (kind_sizes[True], kind_sizes[False])
