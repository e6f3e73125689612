"""The task API writes its JSON out by hand (labeling/api/work.py: task_data, annotation_data);
it must say exactly what the declared serializers (the OpenAPI schema) say, for regular and gold
tasks, fresh leases, drafts and reviewed annotations alike."""

import pytest
from django.utils import timezone

from labeling import services
from labeling.api.work import (
    ExpertAnnotationSerializer,
    TaskSerializer,
    annotation_data,
    task_data,
)
from labeling.models import Annotation, Assignment
from tests.conftest import api_as
from tests.labeling.factories import add_items, live_project

pytestmark = pytest.mark.django_db

GOOD = {"choice": "a", "strength": 2}


def test_written_out_tasks_and_annotations_equal_the_declared_serializers(
    organization, expert, reviewer
):
    project = live_project(organization, gold_ratio_bps=5000)
    add_items(project, 6, gold=3)
    api = api_as(expert)
    seen_gold = seen_regular = False
    for _ in range(6):
        body = api.post(f"/api/v1/projects/{project.pk}/tasks/next/").json()
        lease = Assignment.objects.select_related("item", "project").get(pk=body["id"])
        seen_gold |= lease.is_gold
        seen_regular |= not lease.is_gold
        assert body == TaskSerializer(lease).data == task_data(lease)

        services.assignment_draft_save(
            assignment_id=lease.pk, expert=expert, draft={"choice": "b", "note": "ünïcødé"}
        )
        lease.refresh_from_db()
        assert task_data(lease) == TaskSerializer(lease).data

        submitted = api.post(
            f"/api/v1/tasks/{lease.pk}/submit/", {"response": GOOD, "active_seconds": 20}
        )
        assert submitted.status_code == 201
        annotation = Annotation.objects.select_related("project").get(pk=submitted.json()["id"])
        assert submitted.json() == ExpertAnnotationSerializer(annotation).data
        assert annotation_data(annotation) == ExpertAnnotationSerializer(annotation).data
    assert seen_gold and seen_regular

    annotation = Annotation.objects.filter(expert=expert).first()
    annotation.review_status = Annotation.Review.REJECTED
    annotation.reviewed_at = timezone.now()
    annotation.rejection_reason = "Instruction 2 <b>not</b> followed"
    annotation.save()
    annotation.refresh_from_db()
    assert annotation_data(annotation) == ExpertAnnotationSerializer(annotation).data
