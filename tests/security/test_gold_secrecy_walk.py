"""Gold secrecy, walked over everything an expert can receive.

tests/labeling/test_gold_secrecy.py checks the task flow (claim, detail, draft, submit) in depth,
with item ids and payload-size statistics. This test widens the net to every response an expert
can get, on the world of tests/security/world.py, whose gold answers all carry GOLD_SENTINEL:

1. every API endpoint and page the permission matrix lets an expert GET, as both experts;
2. the whole work loop of a fresh expert, until they have had gold and regular tasks: claim
   (API and workspace page), task detail, draft, release/skip, submit, annotation detail and
   review status, history (API list and pages), earnings and pay stub, appeals; and Alice's pay
   stub (API and page), with an accepted gold task and a regular one: counted and paid alike;
3. what tells the two kinds apart beyond the answer: the JSON of a gold task and of a regular
   one have the same keys and value types; the lease is the same length; and the numbers the
   expert can see (job board and job detail counts, earnings, annotation lists) move by the
   same amounts whether the task just claimed or submitted was gold or not — so no "items
   remaining" count skips or includes gold differently;
4. the one deliberate exception: the suspension notice (API and page) shows the suspended
   expert the gold items she missed, with the expected answers — exactly those, no gold item
   she answered right or never saw, and nothing of it to anyone else.

No body may contain a gold answer sentinel, a gold item's external id, or an `is_gold`/
`gold_answer`/`gold_correct` key; the work pages may not contain the word "gold" either.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from labeling.models import Annotation, Assignment, Item
from tests.factories import ExpertFactory
from tests.security.routes import project_routes
from tests.security.test_permission_matrix import MATRIX, _body
from tests.security.world import GOLD_SENTINEL, GOOD, ROLES, url_kwargs

pytestmark = pytest.mark.django_db

EXPERT_COLUMN = ROLES.index("expert")
SUSPENSION_ROUTES = {"api-my-suspension", "my_suspension"}
# Pages about the expert's own work must not even say "gold" (the landing page and docs may,
# describing the product).
WORK_PAGES = {
    "my_work",
    "workspace_project",
    "workspace_task",
    "job",
    "jobs",
    "expert_earnings",
    "expert_pay_stub",
}
GOLD_KEYS = re.compile(rb'"(is_gold|gold_answer|gold_correct|gold_retired|expected_answer)"')


def _needles(world) -> list[bytes]:
    gold = Item.objects.filter(is_gold=True)
    needles = [GOLD_SENTINEL.encode()]
    needles += [item.external_id.encode() for item in gold]
    return needles


def _assert_clean(response, needles: list[bytes], where: str, *, page: bool) -> None:
    body = _body(response)
    for needle in needles:
        assert needle not in body, f"{where}: {needle!r} reaches the expert"
    assert not GOLD_KEYS.search(body), f"{where}: a gold field reaches the expert"
    if page:
        assert b"gold" not in body.lower(), f"{where}: the page says 'gold'"


def _path(route, world) -> str:
    path = "/" + route.route
    for name, value in url_kwargs(world, route.name, list(route.kwargs)).items():
        path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
    return path


def _shape(value):
    """Keys and value types, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return type(value).__name__


def _numbers(value, prefix="") -> dict[str, float]:
    """Every number in a JSON document, by its path (list items by position)."""
    out = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(_numbers(v, f"{prefix}.{k}"))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(_numbers(v, f"{prefix}[{i}]"))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out[prefix] = value
    return out


def test_no_expert_response_anywhere_reveals_gold(world, clients, stripe_local):
    needles = _needles(world)
    walked = 0
    for route in project_routes():
        row = MATRIX.get((route.name, "GET"), "").split()
        if not row or row[EXPERT_COLUMN] != "ok" or route.name in SUSPENSION_ROUTES:
            continue
        path = _path(route, world)
        for role in ("expert", "expert2"):
            response = clients[role].get(path)
            # Bob meets Alice's objects (404) or the same lists and pages; both must be clean.
            if role == "expert":
                assert response.status_code < 400, (path, role, response.status_code)
            _assert_clean(response, needles, f"GET {path} as {role}", page=route.name in WORK_PAGES)
            walked += 1
    assert walked > 40, "the walk covered the expert's API and pages"


def test_a_fresh_experts_work_loop_never_tells_gold_apart(world, stripe_local):
    """Claim and submit until the expert has had both kinds, watching every response."""
    needles = _needles(world)
    carol = ExpertFactory(email="carol.expert@example.com")
    api, page = Client(), Client()
    api.force_login(carol)
    page.force_login(carol)
    project = world.project
    watched = [  # what an expert can read about their own progress and pay
        f"/api/v1/jobs/{project.pk}/",
        "/api/v1/jobs/",
        "/api/v1/my/annotations/",
        "/api/v1/me/earnings/",
        f"/api/v1/me/pay-stubs/{project.pk}/",
    ]

    def snapshot() -> dict[str, float]:
        numbers = {}
        for url in watched:
            response = api.get(url)
            if "pay-stubs" in url and response.status_code == 404:
                continue  # no stub before any accepted work; checked once there is one
            assert response.status_code == 200, (url, response.status_code)
            _assert_clean(response, needles, url, page=False)
            numbers.update(_numbers(response.json(), url))
        for url in ("/work/", f"/jobs/{project.pk}/", "/expert/earnings/"):
            _assert_clean(page.get(url), needles, url, page=True)
        return numbers

    def delta(before: dict, after: dict) -> dict[str, float]:
        # Ids and list positions differ by nature; compare counts and amounts only.
        return {
            k: after.get(k, 0) - before.get(k, 0)
            for k in set(before) | set(after)
            if not re.search(r"(\.id|\.task|\.project)$", k) and "[" not in k
        }

    shapes: dict[bool, set[str]] = {True: set(), False: set()}
    lease_seconds: dict[bool, set[int]] = {True: set(), False: set()}
    claim_deltas: dict[bool, list[dict]] = {True: [], False: []}
    submit_deltas: dict[bool, list[dict]] = {True: [], False: []}
    skipped = False
    after = None  # the last snapshot, when nothing happened since
    for n in range(40):
        before = after if after is not None else snapshot()
        if n % 2:
            claimed = api.post(f"/api/v1/projects/{project.pk}/tasks/next/")
            assert claimed.status_code == 200, claimed.content
            responses = [("next", claimed)]
            task_id = claimed.json()["id"]
        else:
            redirect = page.get(f"/work/projects/{project.pk}/")
            assert redirect.status_code == 302, redirect.status_code
            task_id = int(redirect["Location"].rstrip("/").rsplit("/", 1)[1])
            claimed = api.get(f"/api/v1/tasks/{task_id}/")
            responses = [("workspace redirect", redirect), ("detail", claimed)]
        gold = Assignment.objects.get(pk=task_id).is_gold
        claimed_state = snapshot()
        claim_deltas[gold].append(delta(before, claimed_state))
        task = claimed.json()
        shapes[gold].add(json.dumps(_shape(task), sort_keys=True))
        lease_seconds[gold].add(
            round((_parse(task["lease_expires_at"]) - _parse(task["leased_at"])).total_seconds())
        )
        responses.append(("workspace page", page.get(f"/work/tasks/{task_id}/")))
        responses.append(
            (
                "draft",
                api.put(
                    f"/api/v1/tasks/{task_id}/draft/",
                    {"draft": {"response": GOOD}},
                    content_type="application/json",
                ),
            )
        )
        if not skipped and not gold:
            # Skipping a regular task once; the next claim goes on as usual.
            released = api.post(
                f"/api/v1/tasks/{task_id}/release/", {"skip": True}, content_type="application/json"
            )
            assert released.status_code == 200, released.content
            _assert_clean(released, needles, "release", page=False)
            skipped = True
            after = None
            continue
        submitted = api.post(
            f"/api/v1/tasks/{task_id}/submit/",
            {"response": GOOD, "active_seconds": 30},
            content_type="application/json",
        )
        assert submitted.status_code == 201, submitted.content
        # From the claimed state: the workspace page and the draft in between change nothing
        # the expert sees, for either kind.
        after = snapshot()
        submit_deltas[gold].append(delta(claimed_state, after))
        annotation_id = submitted.json()["id"]
        responses += [
            ("submit", submitted),
            ("annotation", api.get(f"/api/v1/my/annotations/{annotation_id}/")),
            ("review status", api.get(f"/api/v1/my/annotations/{annotation_id}/review/")),
        ]
        for where, response in responses:
            assert response.status_code < 400, (where, response.status_code)
            _assert_clean(response, needles, where, page="page" in where or "redirect" in where)
        if len(submit_deltas[True]) >= 2 and len(submit_deltas[False]) >= 2:
            break

    assert submit_deltas[True] and submit_deltas[False], "both kinds were served"
    assert len(shapes[True] | shapes[False]) == 1, "gold and regular tasks have the same JSON shape"
    assert lease_seconds[True] == lease_seconds[False], "the same lease length"
    # Each claim and each submit moves the expert-visible numbers the same way for both kinds.
    for kind_deltas, what in ((claim_deltas, "claim"), (submit_deltas, "submit")):
        seen = {json.dumps(d, sort_keys=True) for ds in kind_deltas.values() for d in ds}
        assert len(seen) == 1, f"a {what} of a gold task changes what the expert sees: {seen}"


def _parse(value: str):
    from django.utils.dateparse import parse_datetime

    return parse_datetime(value)


def test_the_pay_stub_pays_and_counts_gold_work_like_any_other(world, clients):
    """Alice has one accepted gold and one accepted regular task in `project`, both earned: her
    stub (API and page) counts and pays them alike and names neither; Bob has no stub there."""
    project, alice = world.project, world.users["expert"]
    accepted = Annotation.objects.filter(
        expert=alice, project=project, review_status=Annotation.Review.ACCEPTED
    ).select_related("assignment")
    assert sorted(a.assignment.is_gold for a in accepted) == [False, True]
    needles = _needles(world)
    api_url = f"/api/v1/me/pay-stubs/{project.pk}/"
    page_url = f"/expert/earnings/projects/{project.pk}/"
    stub = clients["expert"].get(api_url)
    assert stub.status_code == 200, stub.status_code
    _assert_clean(stub, needles, api_url, page=False)
    body = stub.json()
    assert body["tasks"] == 2
    assert body["pay_minor"] == 2 * project.pay_per_task_minor
    page = clients["expert"].get(page_url)
    assert page.status_code == 200, page.status_code
    _assert_clean(page, needles, page_url, page=True)
    for url in (api_url, page_url):
        assert clients["expert2"].get(url).status_code == 404, url


def test_the_suspension_notice_shows_only_the_experts_missed_gold(world, clients):
    alice = clients["expert"]
    project = world.suspended_project
    missed = {item.gold_answer["rationale"] for item in world.missed_gold}
    all_gold = set(
        Item.objects.filter(project=project, is_gold=True).values_list(
            "gold_answer__rationale", flat=True
        )
    )
    assert missed and missed < all_gold
    for url in (
        f"/api/v1/my/projects/{project.pk}/suspension/",
        f"/work/projects/{project.pk}/suspension/",
    ):
        response = alice.get(url)
        assert response.status_code == 200, (url, response.status_code)
        shown = set(re.findall(rf"{GOLD_SENTINEL}-[\w-]+", response.content.decode()))
        assert shown == missed, (url, shown, missed)
    api = alice.get(f"/api/v1/my/projects/{project.pk}/suspension/").json()
    expected = sorted(json.dumps(i.gold_answer, sort_keys=True) for i in world.missed_gold)
    got = sorted(json.dumps(m["expected_answer"], sort_keys=True) for m in api["missed"])
    assert got == expected
    # Nobody else sees it: Bob is not suspended there, companies and staff use their own views.
    for role in ("expert2", "owner2", "anon"):
        for url in (
            f"/api/v1/my/projects/{project.pk}/suspension/",
            f"/work/projects/{project.pk}/suspension/",
        ):
            response = clients[role].get(url)
            assert response.status_code in (302, 401, 403, 404), (role, url)
            assert GOLD_SENTINEL.encode() not in response.content
