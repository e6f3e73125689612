"""Company review: accept, reject with a reason, bulk accept, auto-accept, the company's record."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from labeling import hooks, services
from labeling.models import Annotation, ReviewDecision
from labeling.selectors import annotation_accepted_ids_for_project, annotations_accepted_since
from marketplace.models import OrganizationStats
from tests.conftest import api_as
from tests.labeling.factories import add_items, live_project

GOOD = {"choice": "a", "strength": 2}


def submit(project, expert, n=1, response=GOOD):
    out = []
    for _ in range(n):
        lease = services.task_claim(project=project, expert=expert)
        out.append(
            services.annotation_submit(
                assignment_id=lease.pk, expert=expert, response=response, active_seconds=30
            )
        )
    return out


@pytest.fixture
def project(organization, owner):
    project = live_project(organization, overlap=2)
    add_items(project, 6)
    return project


@pytest.mark.django_db
def test_reviewer_accepts_an_annotation(project, reviewer, expert):
    (annotation,) = submit(project, expert)
    res = api_as(reviewer).post(f"/api/v1/review/annotations/{annotation.pk}/accept/")
    assert res.status_code == 200, res.content
    assert res.json()["review_status"] == "accepted"
    annotation.refresh_from_db()
    assert annotation.review_status == "accepted" and annotation.reviewed_by == reviewer
    assert annotation.reviewed_at is not None and not annotation.auto_accepted
    assert AuditEvent.objects.filter(verb="annotation.accepted", actor=reviewer).exists()
    assert list(annotations_accepted_since()) == [annotation]
    assert annotation_accepted_ids_for_project(project) == [annotation.pk]
    # Accepting twice is refused: a review is final (only staff overturn, on appeal).
    again = api_as(reviewer).post(f"/api/v1/review/annotations/{annotation.pk}/accept/")
    assert again.status_code == 409


@pytest.mark.django_db
def test_viewer_cannot_review(project, viewer, expert):
    (annotation,) = submit(project, expert)
    res = api_as(viewer).post(f"/api/v1/review/annotations/{annotation.pk}/accept/")
    assert res.status_code == 403
    assert api_as(viewer).get(f"/api/v1/review/projects/{project.pk}/queue/").status_code == 200
    annotation.refresh_from_db()
    assert annotation.review_status == "pending"


@pytest.mark.django_db
def test_other_organization_and_experts_get_404(project, other_owner, expert, other_expert):
    (annotation,) = submit(project, expert)
    for user in (other_owner, other_expert, expert):
        client = api_as(user)
        assert client.post(f"/api/v1/review/annotations/{annotation.pk}/accept/").status_code == 404
        assert client.get(f"/api/v1/review/annotations/{annotation.pk}/").status_code == 404
    assert (
        api_as(other_owner).get(f"/api/v1/review/projects/{project.pk}/queue/").status_code == 404
    )


@pytest.mark.django_db
def test_an_expert_cannot_read_another_experts_annotation(project, expert, other_expert):
    (annotation,) = submit(project, expert)
    mine = api_as(expert).get(f"/api/v1/my/annotations/{annotation.pk}/review/")
    assert mine.status_code == 200 and mine.json()["review_status"] == "pending"
    theirs = api_as(other_expert).get(f"/api/v1/my/annotations/{annotation.pk}/review/")
    assert theirs.status_code == 404


@pytest.mark.django_db
def test_reject_without_a_reason_is_a_field_error(project, reviewer, expert):
    (annotation,) = submit(project, expert)
    res = api_as(reviewer).post(
        f"/api/v1/review/annotations/{annotation.pk}/reject/", {"reason": ""}, format="json"
    )
    assert res.status_code == 400
    assert "reason" in res.json()["error"]["fields"]
    res = api_as(reviewer).post(
        f"/api/v1/review/annotations/{annotation.pk}/reject/", {"reason": "   "}, format="json"
    )
    assert res.status_code == 400 and "reason" in res.json()["error"]["fields"]
    annotation.refresh_from_db()
    assert annotation.review_status == "pending"


@pytest.mark.django_db
def test_reject_cites_an_instruction_or_a_gold_item(organization, owner, reviewer, expert):
    project = live_project(organization, overlap=1)
    items = add_items(project, 3, gold=1)
    gold = items[-1]
    a1, a2 = submit(project, expert, 2)
    res = api_as(reviewer).post(
        f"/api/v1/review/annotations/{a1.pk}/reject/",
        {
            "reason": "Chose the unsafe answer.",
            "reference_kind": "instruction",
            "reference_text": "§2 Safety first",
        },
        format="json",
    )
    assert res.status_code == 200, res.content
    assert res.json()["review_status"] == "rejected"
    decision = ReviewDecision.objects.get(annotation=a1)
    assert decision.reference_text == "§2 Safety first" and decision.outcome == "rejected"
    bad = api_as(reviewer).post(
        f"/api/v1/review/annotations/{a2.pk}/reject/",
        {
            "reason": "See the check item.",
            "reference_kind": "gold_item",
            "reference_item": items[0].pk,
        },  # not a gold item
        format="json",
    )
    assert bad.status_code == 400 and "reference_item" in bad.json()["error"]["fields"]
    ok = api_as(reviewer).post(
        f"/api/v1/review/annotations/{a2.pk}/reject/",
        {"reason": "See the check item.", "reference_kind": "gold_item", "reference_item": gold.pk},
        format="json",
    )
    assert ok.status_code == 200
    # The expert sees the reason and that a check item is cited, never which one.
    seen = api_as(expert).get(f"/api/v1/my/annotations/{a2.pk}/review/").json()
    assert seen["rejection_reason"] == "See the check item."
    assert seen["reference"] == "A check item of this project" and seen["can_appeal"]
    assert AuditEvent.objects.filter(verb="annotation.rejected").count() == 2


@pytest.mark.django_db
def test_bulk_accept(project, reviewer, expert, other_expert):
    mine = submit(project, expert, 3)
    theirs = submit(project, other_expert, 1)
    services.annotation_reject(annotation_id=theirs[0].pk, actor=reviewer, reason="Off topic")
    called = []
    hooks.register_on_annotations_accepted(called.append)
    try:
        res = api_as(reviewer).post(
            f"/api/v1/review/projects/{project.pk}/bulk-accept/",
            {"annotation_ids": [a.pk for a in mine] + [theirs[0].pk, 999999]},
            format="json",
        )
    finally:
        hooks.on_annotations_accepted.remove(called.append)
    assert res.status_code == 200, res.content
    assert sorted(res.json()["accepted"]) == sorted(a.pk for a in mine)
    assert Annotation.objects.filter(review_status="accepted").count() == 3
    assert Annotation.objects.get(pk=theirs[0].pk).review_status == "rejected"
    assert AuditEvent.objects.filter(verb="annotation.bulk_accepted").count() == 1


@pytest.mark.django_db
def test_accept_hooks_run_after_commit(
    project, reviewer, expert, django_capture_on_commit_callbacks
):
    (annotation,) = submit(project, expert)
    called = []

    def hook(ids):
        called.append(ids)

    hooks.register_on_annotations_accepted(hook)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.annotation_accept(annotation_id=annotation.pk, actor=reviewer)
    finally:
        hooks.on_annotations_accepted.remove(hook)
    assert called == [[annotation.pk]]


@pytest.mark.django_db
def test_auto_accept_after_the_review_window_but_not_held_work(project, expert, other_expert):
    pending = submit(project, expert, 2)
    held = submit(project, other_expert, 1)[0]
    Annotation.objects.filter(pk=held.pk).update(review_status="held")
    later = timezone.now() + timedelta(days=project.review_window_days, minutes=1)

    assert services.annotations_auto_accept(now=timezone.now()) == 0  # window still open
    assert services.annotations_auto_accept(now=later) == 2
    assert services.annotations_auto_accept(now=later) == 0  # idempotent
    for annotation in pending:
        annotation.refresh_from_db()
        assert annotation.review_status == "accepted" and annotation.auto_accepted
        assert annotation.reviewed_at == later and annotation.reviewed_by is None
    assert Annotation.objects.get(pk=held.pk).review_status == "held"
    assert AuditEvent.objects.filter(verb="annotation.auto_accepted").count() == 1  # per batch


@pytest.mark.django_db
def test_company_rejection_rate_and_median_review_time_are_recorded(
    project, reviewer, expert, other_expert
):
    annotations = submit(project, expert, 3) + submit(project, other_expert, 1)
    # Submitted at different times so the median is meaningful.
    now = timezone.now()
    for hours, annotation in zip((1, 2, 3, 4), annotations, strict=True):
        Annotation.objects.filter(pk=annotation.pk).update(
            submitted_at=now - timedelta(hours=hours)
        )
    services.annotation_reject(annotation_id=annotations[0].pk, actor=reviewer, reason="Wrong")
    services.annotations_bulk_accept(
        project=project, actor=reviewer, annotation_ids=[a.pk for a in annotations[1:]]
    )
    stats = OrganizationStats.objects.get(organization=project.organization)
    assert stats.reviewed_count == 4
    assert stats.rejection_rate_bps == 2500
    # Review delays ~1h, 2h, 3h, 4h: the median is ~2.5h.
    assert abs(stats.median_review_seconds - 9000) < 120
