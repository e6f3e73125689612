"""The review, appeals and webhooks pages render and drive the same services."""

import pytest
from django.test import Client

from labeling.models import Annotation, Appeal, WebhookEndpoint
from tests.labeling.factories import add_items, live_project
from tests.labeling.test_review import submit


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_reviewer_rejects_one_with_a_reason_and_the_expert_appeals_it(
    organization, owner, reviewer, viewer, other_owner, expert, staff_with_mfa
):
    project = live_project(organization, overlap=1)
    add_items(project, 3, gold=1)
    a1, a2 = submit(project, expert, 2)
    page = browser(reviewer).get(f"/company/projects/{project.pk}/review/")
    assert page.status_code == 200 and b"Accept selected" in page.content
    assert b"Question" in page.content  # the item payload is rendered
    assert (
        b"Accept selected"
        not in browser(viewer).get(f"/company/projects/{project.pk}/review/").content
    )
    assert browser(other_owner).get(f"/company/projects/{project.pk}/review/").status_code == 404

    browser(reviewer).post(f"/company/review/annotations/{a1.pk}/reject/", {"reason": ""})
    assert Annotation.objects.get(pk=a1.pk).review_status == "pending"
    browser(reviewer).post(
        f"/company/review/annotations/{a1.pk}/reject/",
        {
            "reason": "Missed the safety rule",
            "reference_kind": "instruction",
            "reference_text": "§2",
        },
    )
    assert Annotation.objects.get(pk=a1.pk).review_status == "rejected"
    browser(reviewer).post(
        f"/company/projects/{project.pk}/review/bulk-accept/", {"annotation_ids": [a2.pk]}
    )
    assert Annotation.objects.get(pk=a2.pk).review_status == "accepted"

    mine = browser(expert).get("/work/appeals/")
    assert mine.status_code == 200 and b"Missed the safety rule" in mine.content
    form = browser(expert).get(f"/work/annotations/{a1.pk}/appeal/")
    assert form.status_code == 200 and b"Instructions: \xc2\xa72" in form.content
    browser(expert).post(f"/work/annotations/{a1.pk}/appeal/", {"note": "I did follow §2."})
    appeal = Appeal.objects.get(annotation=a1)

    queue = browser(staff_with_mfa).get("/staff/appeals/")
    assert queue.status_code == 200 and b"I did follow" in queue.content
    assert browser(staff_with_mfa).get(f"/staff/appeals/{appeal.pk}/").status_code == 200
    browser(staff_with_mfa).post(
        f"/staff/appeals/{appeal.pk}/", {"decision": "overturn", "text": "It did."}
    )
    assert Annotation.objects.get(pk=a1.pk).review_status == "accepted"
    assert browser(expert).get("/staff/appeals/").status_code == 403


@pytest.mark.django_db
def test_suspension_page_is_only_for_the_suspended_expert(
    organization, owner, expert, other_expert
):
    from tests.labeling.test_appeals import suspend

    project = live_project(organization, overlap=1, gold_ratio_bps=5000)
    add_items(project, 20, gold=20)
    assert browser(expert).get(f"/work/projects/{project.pk}/suspension/").status_code == 404
    suspend(project, expert)
    page = browser(expert).get(f"/work/projects/{project.pk}/suspension/")
    assert page.status_code == 200 and b"Expected answer" in page.content
    assert browser(other_expert).get(f"/work/projects/{project.pk}/suspension/").status_code == 404
    browser(expert).post(f"/work/projects/{project.pk}/suspension/", {"note": "Ambiguous"})
    assert Appeal.objects.filter(kind="suspension", expert=expert).count() == 1


@pytest.mark.django_db
def test_webhooks_page_creates_shows_secret_once_and_replays(organization, owner, other_owner):
    url = f"/company/organizations/{organization.pk}/webhooks/"
    assert browser(other_owner).get(url).status_code == 404
    res = browser(owner).post(
        url, {"url": "https://hooks.acme.example/in", "events": ["items.imported"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert res.status_code == 200 and endpoint.secret.encode() in res.content
    assert endpoint.secret.encode() not in browser(owner).get(url).content
    from labeling.webhooks.services import webhook_event_emit

    event = webhook_event_emit(organization=organization, type="items.imported", payload={})
    detail = browser(owner).get(f"/company/webhooks/{endpoint.pk}/")
    assert detail.status_code == 200 and str(event.id).encode() in detail.content
    first = event.deliveries.get()
    browser(owner).post(
        f"/company/webhooks/{endpoint.pk}/", {"action": "replay", "delivery_id": first.pk}
    )
    assert event.deliveries.count() == 2
    browser(owner).post(f"/company/webhooks/{endpoint.pk}/", {"action": "deactivate"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active
