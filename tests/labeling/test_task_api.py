"""The expert task API over HTTP (and the workspace pages built on it), on PostgreSQL."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from labeling.models import Annotation, Assignment, ExpertProjectStats
from marketplace.models import ProjectStatus
from tests.conftest import api_as
from tests.labeling.factories import add_items, live_project
from tests.marketplace.factories import domain, make_project

pytestmark = pytest.mark.django_db

GOOD = {"choice": "a", "strength": 2}


def next_url(project) -> str:
    return f"/api/v1/projects/{project.pk}/tasks/next/"


def claim(api, project):
    response = api.post(next_url(project))
    assert response.status_code == 200, response.content
    return response.json()


def key_paths(value, prefix="") -> set[str]:
    """Every key path in a JSON document (list items collapsed to [])."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}/{key}"
            paths.add(path)
            paths |= key_paths(child, path)
    elif isinstance(value, list):
        for child in value:
            paths |= key_paths(child, f"{prefix}[]")
    return paths


def all_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in all_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in all_keys(v)}
    return set()


# --- Claiming ----------------------------------------------------------------------------------


def test_claim_over_http_returns_a_lease_with_the_item(organization, expert):
    assert connection.vendor == "postgresql"
    project = live_project(organization)
    add_items(project, 3)
    task = claim(api_as(expert), project)
    assert set(task) == {
        "id",
        "status",
        "leased_at",
        "lease_expires_at",
        "payload",
        "draft",
        "project",
    }
    assert task["status"] == "leased"
    assert task["payload"]["prompt"].startswith("Question")
    assert task["project"]["id"] == project.pk
    assert task["project"]["response_schema"]["properties"]["choice"]
    lease = Assignment.objects.get(pk=task["id"])
    assert lease.expert == expert
    assert lease.lease_expires_at - lease.leased_at == timedelta(minutes=30)
    # Asking again resumes the same lease.
    assert claim(api_as(expert), project)["id"] == task["id"]


def test_gold_and_regular_tasks_have_identical_keys_at_every_level(organization):
    from tests.factories import ExpertFactory

    project = live_project(organization, overlap=1, gold_ratio_bps=5000)
    add_items(project, 30, gold=30)
    shapes: dict[bool, set[frozenset]] = {True: set(), False: set()}
    submitted: dict[bool, set[frozenset]] = {True: set(), False: set()}
    for _ in range(3):
        expert = ExpertFactory()
        api = api_as(expert)
        for _ in range(12):
            task = claim(api, project)
            gold = Assignment.objects.get(pk=task["id"]).is_gold
            shapes[gold].add(frozenset(key_paths(task)))
            assert not {k for k in all_keys(task) if "gold" in k.lower()}
            detail = api.get(f"/api/v1/tasks/{task['id']}/").json()
            assert key_paths(detail) == key_paths(task)
            done = api.post(
                f"/api/v1/tasks/{task['id']}/submit/", {"response": GOOD, "active_seconds": 7}
            )
            assert done.status_code == 201
            submitted[gold].add(frozenset(key_paths(done.json())))
            assert not {k for k in all_keys(done.json()) if "gold" in k.lower()}
    assert shapes[True] and shapes[False], "the draw served both kinds"
    assert shapes[True] == shapes[False] and len(shapes[True]) == 1
    assert submitted[True] == submitted[False] and len(submitted[True]) == 1
    listing = api.get("/api/v1/my/annotations/").json()
    assert not {k for k in all_keys(listing) if "gold" in k.lower()}


def test_a_suspended_expert_cannot_claim(organization, expert):
    project = live_project(organization)
    add_items(project, 3)
    ExpertProjectStats.objects.create(
        project=project,
        expert=expert,
        suspended_at=timezone.now(),
        suspension_reason="Too many check items missed.",
    )
    response = api_as(expert).post(next_url(project))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "expert_suspended"
    assert not Assignment.objects.exists()


def test_an_ineligible_expert_gets_403(organization, expert):
    project = make_project(
        organization,
        status=ProjectStatus.LIVE,
        domains=[{"domain_id": domain("cardiology").pk, "min_level": 2}],
    )
    add_items(project, 2)
    response = api_as(expert).post(next_url(project))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_eligible"
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("status", [ProjectStatus.DRAFT, ProjectStatus.PAUSED])
def test_a_project_that_is_not_live_is_404(organization, expert, status):
    project = make_project(organization, status=status)
    add_items(project, 2)
    response = api_as(expert).post(next_url(project))
    assert response.status_code == 404
    assert not Assignment.objects.exists()
    assert api_as(expert).post("/api/v1/projects/999999/tasks/next/").status_code == 404


def test_no_task_available_is_a_clear_404(organization, expert):
    project = live_project(organization)
    response = api_as(expert).post(next_url(project))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_task_available"


def test_a_content_warning_needs_opt_in_first(organization, expert):
    from marketplace import services as marketplace_services

    project = live_project(organization, content_warning="violence")
    add_items(project, 2)
    response = api_as(expert).post(next_url(project))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "needs_opt_in"
    marketplace_services.content_opt_in(project=project, expert=expert)
    assert api_as(expert).post(next_url(project)).status_code == 200


# --- Submitting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "field"),
    [
        ({"choice": "c", "strength": 2}, "/choice"),
        ({"choice": "a"}, "/strength"),
        ({"choice": "a", "strength": 9}, "/strength"),
        ({"choice": "a", "strength": 2, "extra": 1}, "/extra"),
    ],
)
def test_a_schema_violating_submit_is_400_with_field_errors_and_stores_nothing(
    organization, expert, response, field
):
    project = live_project(organization)
    add_items(project, 2)
    api = api_as(expert)
    task = claim(api, project)
    answer = api.post(
        f"/api/v1/tasks/{task['id']}/submit/", {"response": response, "active_seconds": 5}
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "validation_failed"
    assert field in error["fields"] and error["fields"][field]
    assert not Annotation.objects.exists()
    lease = Assignment.objects.get(pk=task["id"])
    assert lease.status == Assignment.Status.LEASED and lease.is_live
    # A corrected answer then goes through.
    ok = api.post(f"/api/v1/tasks/{task['id']}/submit/", {"response": GOOD, "active_seconds": 5})
    assert ok.status_code == 201


def test_submit_without_active_seconds_is_400(organization, expert):
    project = live_project(organization)
    add_items(project, 1)
    api = api_as(expert)
    task = claim(api, project)
    answer = api.post(f"/api/v1/tasks/{task['id']}/submit/", {"response": GOOD})
    assert answer.status_code == 400
    assert "active_seconds" in answer.json()["error"]["fields"]
    assert not Annotation.objects.exists()


def test_a_retried_submit_returns_the_same_annotation(organization, expert):
    project = live_project(organization)
    add_items(project, 2)
    api = api_as(expert)
    task = claim(api, project)
    url = f"/api/v1/tasks/{task['id']}/submit/"
    first = api.post(url, {"response": GOOD, "active_seconds": 40})
    again = api.post(url, {"response": {"choice": "b", "strength": 1}, "active_seconds": 90})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Annotation.objects.count() == 1
    assert Annotation.objects.get().response == GOOD


def test_active_seconds_are_clamped_to_the_lease_length(organization, expert):
    project = live_project(organization)
    add_items(project, 1)
    api = api_as(expert)
    task = claim(api, project)
    body = api.post(
        f"/api/v1/tasks/{task['id']}/submit/", {"response": GOOD, "active_seconds": 10**7}
    ).json()
    assert body["active_seconds"] == 30 * 60


def test_an_expired_lease_is_409_lease_expired(organization, expert):
    project = live_project(organization)
    add_items(project, 2)
    api = api_as(expert)
    task = claim(api, project)
    Assignment.objects.filter(pk=task["id"]).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    for method, url, body in [
        ("post", f"/api/v1/tasks/{task['id']}/submit/", {"response": GOOD, "active_seconds": 5}),
        ("put", f"/api/v1/tasks/{task['id']}/draft/", {"draft": {"response": GOOD}}),
    ]:
        response = getattr(api, method)(url, body)
        assert response.status_code == 409, (url, response.content)
        assert response.json()["error"]["code"] == "lease_expired"
    assert not Annotation.objects.exists()


def test_draft_release_and_skip(organization, expert):
    project = live_project(organization, overlap=1)
    add_items(project, 3)
    api = api_as(expert)
    task = claim(api, project)
    saved = api.put(
        f"/api/v1/tasks/{task['id']}/draft/",
        {"draft": {"response": {"choice": "b"}, "active_seconds": 12}},
    )
    assert saved.status_code == 200
    assert api.get(f"/api/v1/tasks/{task['id']}/").json()["draft"]["response"] == {"choice": "b"}
    released = api.post(f"/api/v1/tasks/{task['id']}/release/", {})
    assert released.json()["status"] == "released"
    second = claim(api, project)
    assert second["id"] != task["id"]
    skipped = api.post(f"/api/v1/tasks/{second['id']}/release/", {"skip": True})
    assert skipped.json()["status"] == "skipped"
    third = claim(api, project)
    assert third["id"] not in (task["id"], second["id"])


# --- Isolation between experts -----------------------------------------------------------------


def test_an_expert_cannot_touch_another_experts_task_or_annotation(
    organization, expert, other_expert
):
    project = live_project(organization)
    add_items(project, 3)
    mine = api_as(expert)
    task = claim(mine, project)
    theirs = api_as(other_expert)
    tid = task["id"]
    assert theirs.get(f"/api/v1/tasks/{tid}/").status_code == 404
    assert theirs.put(f"/api/v1/tasks/{tid}/draft/", {"draft": {"x": 1}}).status_code == 404
    assert theirs.post(f"/api/v1/tasks/{tid}/release/", {}).status_code == 404
    assert theirs.post(f"/api/v1/tasks/{tid}/release/", {"skip": True}).status_code == 404
    submit = theirs.post(f"/api/v1/tasks/{tid}/submit/", {"response": GOOD, "active_seconds": 1})
    assert submit.status_code == 404
    lease = Assignment.objects.get(pk=tid)
    assert lease.status == Assignment.Status.LEASED and lease.draft is None
    assert not Annotation.objects.exists()

    annotation = mine.post(
        f"/api/v1/tasks/{tid}/submit/", {"response": GOOD, "active_seconds": 3}
    ).json()
    assert mine.get(f"/api/v1/my/annotations/{annotation['id']}/").status_code == 200
    assert theirs.get(f"/api/v1/my/annotations/{annotation['id']}/").status_code == 404
    assert theirs.get("/api/v1/my/annotations/").json()["count"] == 0
    assert mine.get("/api/v1/my/annotations/").json()["count"] == 1
    # Their workspace page for my task is a 404 too.
    from django.test import Client

    client = Client()
    client.force_login(other_expert)
    assert client.get(f"/work/tasks/{tid}/").status_code == 404


def test_anonymous_requests_are_rejected(organization):
    from rest_framework.test import APIClient

    project = live_project(organization)
    add_items(project, 1)
    assert APIClient().post(next_url(project)).status_code in (401, 403)


# --- The workspace pages -----------------------------------------------------------------------


@pytest.fixture
def expert_client(client, expert):
    client.force_login(expert)
    return client


def test_workspace_claims_and_renders_the_task(organization, expert, expert_client):
    project = live_project(organization, instructions="# Be careful\n\n<script>x</script>")
    add_items(project, 2)
    job = expert_client.get(f"/jobs/{project.pk}/").content.decode()
    assert f'href="/work/projects/{project.pk}/" data-testid="start-working"' in job
    response = expert_client.get(f"/work/projects/{project.pk}/")
    assert response.status_code == 302
    lease = Assignment.objects.get(expert=expert)
    assert response["Location"] == f"/work/tasks/{lease.pk}/"
    page = expert_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Be careful" in html and "<script>x</script>" not in html
    assert 'data-path="/choice"' in html and 'data-key="1"' in html
    assert f'data-api-submit="/api/v1/tasks/{lease.pk}/submit/"' in html
    assert "<script>" not in html.replace("<script src=", "")
    assert ' style="' not in html
    # Reloading the project page resumes the same lease.
    assert expert_client.get(f"/work/projects/{project.pk}/")["Location"] == response["Location"]


@pytest.mark.parametrize(
    ("task_type", "config", "payload", "marker"),
    [
        ("ranking", {"k": 3}, {"prompt": "Q?", "responses": ["x", "y", "z"]}, "/ranks/2"),
        ("rubric", {}, {"prompt": "Q?", "response": "R."}, "/scores/accuracy"),
        ("classification", {"multi": True, "allow_none": True}, {"text": "T"}, "none_of_these"),
        (
            "free_text",
            {"mode": "critique_revision", "min_length": 5},
            {"prompt": "P", "response": "R"},
            "/revision",
        ),
        (
            "trajectory",
            {"step_comments": "optional"},
            {"task": "Book a flight", "steps": [{"action": "search"}, {"action": "pay"}]},
            "/steps/1/rating",
        ),
    ],
)
def test_workspace_renders_every_task_type(
    organization, expert, expert_client, task_type, config, payload, marker
):
    from labeling.models import Item

    project = live_project(organization, task_type=task_type, task_config=config)
    Item.objects.create(project=project, external_id="x", payload=payload, open_slots=1)
    page = expert_client.get(f"/work/projects/{project.pk}/", follow=True)
    assert page.status_code == 200
    assert marker in page.content.decode()


def test_workspace_notices(organization, expert, expert_client):
    project = live_project(organization)
    page = expert_client.get(f"/work/projects/{project.pk}/")
    assert page.status_code == 200 and b"No more tasks right now" in page.content
    ExpertProjectStats.objects.create(
        project=project,
        expert=expert,
        suspended_at=timezone.now(),
        suspension_reason="Paused for accuracy.",
    )
    page = expert_client.get(f"/work/projects/{project.pk}/")
    assert page.status_code == 403 and b"Paused for accuracy." in page.content
    warned = live_project(organization, content_warning="violence")
    add_items(warned, 1)
    page = expert_client.get(f"/work/projects/{warned.pk}/")
    assert page.status_code == 302 and page["Location"] == f"/jobs/{warned.pk}/"


def test_my_work_lists_leases_annotations_and_summaries(organization, expert, expert_client):
    project = live_project(organization)
    add_items(project, 3)
    api = api_as(expert)
    task = claim(api, project)
    api.post(f"/api/v1/tasks/{task['id']}/submit/", {"response": GOOD, "active_seconds": 9})
    rejected = Annotation.objects.get()
    Annotation.objects.filter(pk=rejected.pk).update(
        review_status="rejected", rejection_reason="Missed the contraindication."
    )
    live = claim(api, project)
    page = expert_client.get("/work/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"/work/tasks/{live['id']}/" in html
    assert "Missed the contraindication." in html
    assert 'data-status="rejected"' in html
    assert "Rejected" in html


def test_workspace_is_for_experts_only(client, owner):
    client.force_login(owner)
    assert client.get("/work/").status_code == 403
