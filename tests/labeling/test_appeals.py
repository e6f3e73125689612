"""Appeals against rejections and suspensions; the suspension notice with missed gold."""

import pytest

from accounts.models import AuditEvent
from labeling import services
from labeling.exceptions import ExpertSuspended
from labeling.models import Annotation, Appeal, ExpertProjectStats
from tests.conftest import api_as
from tests.labeling.factories import add_items, live_project
from tests.labeling.test_review import submit

BAD = {"choice": "b", "strength": 1}
GOOD = {"choice": "a", "strength": 2}


@pytest.fixture
def rejected(organization, owner, reviewer, expert):
    project = live_project(organization, overlap=1)
    add_items(project, 3)
    (annotation,) = submit(project, expert)
    services.annotation_reject(
        annotation_id=annotation.pk,
        actor=reviewer,
        reason="Ignored the safety section",
        reference_kind="instruction",
        reference_text="§2 Safety",
    )
    return annotation


def suspend(project, expert):
    """Answer badly until the gold record suspends the expert, with some regular work pending."""
    for _ in range(60):
        try:
            lease = services.task_claim(project=project, expert=expert)
        except ExpertSuspended:
            return ExpertProjectStats.objects.get(project=project, expert=expert)
        services.annotation_submit(
            assignment_id=lease.pk, expert=expert, response=BAD, active_seconds=5
        )
    raise AssertionError("the expert was never suspended")


@pytest.mark.django_db
def test_appeal_on_a_rejection_overturned_restores_accepted_and_is_audited(
    rejected, expert, staff_with_mfa
):
    res = api_as(expert).post(
        "/api/v1/appeals/", {"annotation": rejected.pk, "note": "I followed §2."}, format="json"
    )
    assert res.status_code == 201, res.content
    appeal = res.json()
    assert appeal["status"] == "open" and appeal["contested_reason"] == "Ignored the safety section"
    assert appeal["rejection_reference"] == "Instructions: §2 Safety"
    again = api_as(expert).post(
        "/api/v1/appeals/", {"annotation": rejected.pk, "note": "Again"}, format="json"
    )
    assert again.status_code == 409

    queue = api_as(staff_with_mfa).get("/api/v1/staff/appeals/").json()["results"]
    assert [a["id"] for a in queue] == [appeal["id"]]
    assert queue[0]["note"] == "I followed §2." and queue[0]["item_payload"]

    res = api_as(staff_with_mfa).post(
        f"/api/v1/staff/appeals/{appeal['id']}/decide/",
        {"decision": "overturn", "text": "The answer does follow §2."},
        format="json",
    )
    assert res.status_code == 200, res.content
    assert res.json()["status"] == "overturned"
    rejected.refresh_from_db()
    assert rejected.review_status == "accepted" and rejected.reviewed_at is not None
    assert rejected.rejection_reason == ""
    assert AuditEvent.objects.filter(verb="appeal.overturned", actor=staff_with_mfa).exists()
    assert AuditEvent.objects.filter(verb="appeal.opened", actor=expert).exists()
    mine = api_as(expert).get(f"/api/v1/appeals/{appeal['id']}/").json()
    assert mine["decision"] == "The answer does follow §2."
    from labeling.selectors import annotations_accepted_since

    assert rejected in list(annotations_accepted_since())


@pytest.mark.django_db
def test_upheld_appeal_keeps_the_rejection(rejected, expert, staff_with_mfa):
    appeal = services.appeal_open(expert=expert, annotation_id=rejected.pk, note="Unfair")
    services.appeal_decide(
        appeal_id=appeal.pk, actor=staff_with_mfa, decision="uphold", text="The reason stands."
    )
    rejected.refresh_from_db()
    appeal.refresh_from_db()
    assert rejected.review_status == "rejected"
    assert appeal.status == "upheld" and appeal.decided_by == staff_with_mfa
    assert AuditEvent.objects.filter(verb="appeal.upheld").exists()


@pytest.mark.django_db
def test_only_staff_decide_and_experts_only_appeal_their_own(
    rejected, expert, other_expert, reviewer
):
    other = api_as(other_expert).post(
        "/api/v1/appeals/", {"annotation": rejected.pk, "note": "Not mine"}, format="json"
    )
    assert other.status_code == 404
    appeal = services.appeal_open(expert=expert, annotation_id=rejected.pk, note="Unfair")
    assert api_as(other_expert).get(f"/api/v1/appeals/{appeal.pk}/").status_code == 404
    res = api_as(reviewer).post(
        f"/api/v1/staff/appeals/{appeal.pk}/decide/",
        {"decision": "overturn", "text": "Sure"},
        format="json",
    )
    assert res.status_code == 403
    assert api_as(expert).get("/api/v1/staff/appeals/").status_code == 403


@pytest.mark.django_db
def test_a_pending_annotation_cannot_be_appealed(organization, owner, expert):
    project = live_project(organization, overlap=1)
    add_items(project, 2)
    (annotation,) = submit(project, expert)
    res = api_as(expert).post(
        "/api/v1/appeals/", {"annotation": annotation.pk, "note": "?"}, format="json"
    )
    assert res.status_code == 409


@pytest.mark.django_db
def test_expert_sees_missed_gold_with_expected_answers_only_after_suspension_and_only_their_own(
    organization, owner, expert, other_expert
):
    project = live_project(organization, overlap=1, gold_ratio_bps=5000)
    add_items(project, 20, gold=20)
    url = f"/api/v1/my/projects/{project.pk}/suspension/"
    lease = services.task_claim(project=project, expert=expert)
    services.annotation_submit(
        assignment_id=lease.pk, expert=expert, response=BAD, active_seconds=5
    )
    assert api_as(expert).get(url).status_code == 404  # not suspended: no gold answers

    suspend(project, expert)
    res = api_as(expert).get(url)
    assert res.status_code == 200, res.content
    notice = res.json()
    assert notice["missed"] and notice["can_appeal"] and "appeal" in notice["reason"]
    for missed in notice["missed"]:
        assert missed["expected_answer"] == {"choice": "a", "strength": 2}
        assert missed["your_answer"] == BAD
    assert notice["gold_seen"] - notice["gold_correct"] == len(notice["missed"])
    assert api_as(other_expert).get(url).status_code == 404


@pytest.mark.django_db
def test_suspension_appeal_overturned_lifts_it_and_returns_held_work(
    organization, owner, expert, staff_with_mfa
):
    project = live_project(organization, overlap=1, gold_ratio_bps=5000)
    add_items(project, 20, gold=20)
    # Some regular work first, so that something is held.
    for _ in range(3):
        lease = services.task_claim(project=project, expert=expert)
        services.annotation_submit(
            assignment_id=lease.pk,
            expert=expert,
            response=GOOD if not lease.is_gold else BAD,
            active_seconds=5,
        )
    stats = suspend(project, expert)
    assert stats.is_suspended
    held = list(Annotation.objects.filter(expert=expert, review_status="held"))
    assert held

    res = api_as(expert).post(
        "/api/v1/appeals/",
        {"project": project.pk, "note": "The check items were ambiguous."},
        format="json",
    )
    assert res.status_code == 201, res.content
    appeal_id = res.json()["id"]
    assert res.json()["kind"] == "suspension"
    services.appeal_decide(
        appeal_id=appeal_id,
        actor=staff_with_mfa,
        decision="overturn",
        text="Two check items had wrong expected answers.",
    )
    stats.refresh_from_db()
    assert not stats.is_suspended and stats.gold_seen == 0
    for annotation in held:
        annotation.refresh_from_db()
        assert annotation.review_status == "pending"
    assert Appeal.objects.get(pk=appeal_id).status == "overturned"
    assert AuditEvent.objects.filter(verb="appeal.overturned").exists()
    services.task_claim(project=project, expert=expert)  # may work again
