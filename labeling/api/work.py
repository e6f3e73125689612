"""The expert's task API: next task, draft, release/skip, submit, my annotations.

Gold secrecy: these serializers expose the assignment id and the item payload only. No item id,
external id, gold flag or gold answer; gold and regular tasks have exactly the same keys.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling import services
from labeling.models import Annotation
from labeling.selectors import work as work_selectors


class TaskProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    task_type = serializers.CharField()
    task_config = serializers.JSONField()
    response_schema = serializers.JSONField()


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The task (lease) id")
    status = serializers.CharField()
    leased_at = serializers.DateTimeField()
    lease_expires_at = serializers.DateTimeField()
    payload = serializers.JSONField(source="item.payload")
    draft = serializers.JSONField(allow_null=True)
    project = TaskProjectSerializer()


class ExpertAnnotationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    task = serializers.IntegerField(source="assignment_id")
    project = serializers.IntegerField(source="project_id")
    project_title = serializers.CharField(source="project.title")
    response = serializers.JSONField()
    active_seconds = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    review_status = serializers.CharField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()


# The task endpoints run once or twice per task an expert does; DRF builds (deep-copies) every
# declared field of a serializer per instance, which cost more than the rest of the
# representation. task_data and annotation_data write the same dicts out, with module-level
# fields for the conversions; the serializers above stay the documented schema, and
# tests/labeling/test_task_representation.py checks both agree.
_datetime = serializers.DateTimeField()


def task_data(assignment) -> dict:
    """TaskSerializer(assignment).data, written out."""
    project = assignment.project
    return {
        "id": assignment.id,
        "status": str(assignment.status),
        "leased_at": _datetime.to_representation(assignment.leased_at),
        "lease_expires_at": _datetime.to_representation(assignment.lease_expires_at),
        "payload": assignment.item.payload,
        "draft": assignment.draft,
        "project": {
            "id": project.id,
            "title": str(project.title),
            "task_type": str(project.task_type),
            "task_config": project.task_config,
            "response_schema": project.response_schema,
        },
    }


def annotation_data(annotation) -> dict:
    """ExpertAnnotationSerializer(annotation).data, written out."""
    return {
        "id": annotation.id,
        "task": annotation.assignment_id,
        "project": annotation.project_id,
        "project_title": str(annotation.project.title),
        "response": annotation.response,
        "active_seconds": annotation.active_seconds,
        "submitted_at": _datetime.to_representation(annotation.submitted_at),
        "review_status": str(annotation.review_status),
        "reviewed_at": _datetime.to_representation(annotation.reviewed_at),
        "rejection_reason": str(annotation.rejection_reason),
    }


class TaskNextApi(APIView):
    @extend_schema(request=None, responses={200: TaskSerializer}, summary="Claim the next task")
    def post(self, request, project_id: int):
        # Existence of non-live projects is not disclosed to experts (404); eligibility is
        # checked by the claim service (it answers 403 with the missing requirement).
        assignment = services.task_claim_live(project_id=project_id, expert=request.user)
        return Response(task_data(assignment))


class TaskDetailApi(APIView):
    @extend_schema(responses=TaskSerializer, summary="One of my tasks")
    def get(self, request, task_id: int):
        assignment = work_selectors.assignment_get_for_expert(
            expert=request.user, assignment_id=task_id
        )
        return Response(task_data(assignment))


class TaskDraftApi(APIView):
    class TaskDraftInputSerializer(serializers.Serializer):
        draft = serializers.JSONField()

    @extend_schema(
        request=TaskDraftInputSerializer, responses=TaskSerializer, summary="Autosave a draft"
    )
    def put(self, request, task_id: int):
        data = self.TaskDraftInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.assignment_draft_save(
            assignment_id=task_id, expert=request.user, draft=data.validated_data["draft"]
        )
        return Response(task_data(assignment))


class TaskReleaseApi(APIView):
    class TaskReleaseInputSerializer(serializers.Serializer):
        skip = serializers.BooleanField(default=False, help_text="Skip: pass on this item for good")

    @extend_schema(
        request=TaskReleaseInputSerializer, responses=TaskSerializer, summary="Release or skip"
    )
    def post(self, request, task_id: int):
        data = self.TaskReleaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.assignment_release(
            assignment_id=task_id, expert=request.user, skip=data.validated_data["skip"]
        )
        return Response(task_data(assignment))


class TaskSubmitApi(APIView):
    class TaskSubmitInputSerializer(serializers.Serializer):
        response = serializers.JSONField()
        active_seconds = serializers.IntegerField(min_value=0)

    @extend_schema(
        request=TaskSubmitInputSerializer,
        responses={201: ExpertAnnotationSerializer},
        summary="Submit a response (idempotent per task)",
    )
    def post(self, request, task_id: int):
        data = self.TaskSubmitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotation = services.annotation_submit(
            assignment_id=task_id, expert=request.user, **data.validated_data
        )
        return Response(annotation_data(annotation), status=status.HTTP_201_CREATED)


class MyAnnotationListApi(ListAPIView):
    serializer_class = ExpertAnnotationSerializer
    filterset_fields = {"review_status": ["exact"], "project": ["exact"]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Annotation.objects.none()
        return work_selectors.annotations_for_expert(expert=self.request.user)


class MyAnnotationDetailApi(APIView):
    @extend_schema(responses=ExpertAnnotationSerializer, summary="One of my annotations")
    def get(self, request, annotation_id: int):
        annotation = work_selectors.annotation_get_for_expert(
            expert=request.user, annotation_id=annotation_id
        )
        return Response(ExpertAnnotationSerializer(annotation).data)
