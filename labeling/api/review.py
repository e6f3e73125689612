"""Review and appeals API: the company's review queue (accept, reject with a reason, bulk
accept), the expert's review outcome, suspension notice and appeals, and the staff appeals queue.

Scoping: company endpoints answer 404 to anyone outside the owning organization (experts
included) and 403 to members below the reviewer role; expert endpoints only ever return the
requester's own annotations, suspensions and appeals (404 otherwise)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.services import check_org_role
from core.exceptions import ValidationFailed
from labeling import services
from labeling.models import Annotation, Appeal
from labeling.selectors import review as selectors
from marketplace.selectors import project_get_for_member

TAG_REVIEW = ["Review (company)"]
TAG_EXPERT = ["Appeals (expert)"]
TAG_STAFF = ["Appeals (staff)"]


def _project_for_reviewing(request, project_id: int, minimum: str = Role.VIEWER):
    project = project_get_for_member(user=request.user, project_id=project_id)
    check_org_role(user=request.user, organization=project.organization, minimum=minimum)
    return project


class ReviewItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    payload = serializers.JSONField()
    is_gold = serializers.BooleanField()


class ReviewAnnotationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    item = ReviewItemSerializer()
    expert = serializers.CharField(source="expert.expert_profile.pseudonym", default="")
    response = serializers.JSONField()
    active_seconds = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    review_status = serializers.CharField(help_text="pending, accepted, rejected or held")
    review_due_at = serializers.DateTimeField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()
    auto_accepted = serializers.BooleanField()
    gold_correct = serializers.BooleanField(allow_null=True)


class ReviewQueueApi(ListAPIView):
    serializer_class = ReviewAnnotationSerializer

    class ReviewQueueFilterSerializer(serializers.Serializer):
        state = serializers.CharField(
            required=False, help_text="pending (default) or held (work of a suspended expert)"
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Annotation.objects.none()
        params = self.ReviewQueueFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        state = params.validated_data.get("state") or Annotation.Review.PENDING
        if state not in (Annotation.Review.PENDING, Annotation.Review.HELD):
            raise ValidationFailed(fields={"state": ["Use pending or held."]})
        project = _project_for_reviewing(self.request, self.kwargs["project_id"])
        return selectors.review_queue(project=project, status=state)

    @extend_schema(
        tags=TAG_REVIEW,
        summary="Annotations awaiting review (oldest first)",
        parameters=[ReviewQueueFilterSerializer],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ReviewAnnotationDetailApi(APIView):
    @extend_schema(tags=TAG_REVIEW, summary="An annotation", responses=ReviewAnnotationSerializer)
    def get(self, request, annotation_id: int):
        annotation = selectors.annotation_get_for_member(
            user=request.user, annotation_id=annotation_id
        )
        return Response(ReviewAnnotationSerializer(annotation).data)


class AnnotationAcceptApi(APIView):
    @extend_schema(
        tags=TAG_REVIEW, summary="Accept", request=None, responses=ReviewAnnotationSerializer
    )
    def post(self, request, annotation_id: int):
        services.annotation_accept(annotation_id=annotation_id, actor=request.user, request=request)
        annotation = selectors.annotation_get_for_member(
            user=request.user, annotation_id=annotation_id
        )
        return Response(ReviewAnnotationSerializer(annotation).data)


class AnnotationRejectApi(APIView):
    class AnnotationRejectInputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=5000, help_text="Why: which instruction or check item the work fails"
        )
        reference_kind = serializers.ChoiceField(
            choices=[("instruction", "Instruction section"), ("gold_item", "Check item")],
            required=False,
            allow_blank=True,
        )
        reference_text = serializers.CharField(
            required=False, allow_blank=True, max_length=300, help_text="Instruction section"
        )
        reference_item = serializers.IntegerField(
            required=False, allow_null=True, help_text="Id of the cited check (gold) item"
        )

    @extend_schema(
        tags=TAG_REVIEW,
        summary="Reject with a reason",
        request=AnnotationRejectInputSerializer,
        responses=ReviewAnnotationSerializer,
    )
    def post(self, request, annotation_id: int):
        data = self.AnnotationRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.annotation_reject(
            annotation_id=annotation_id,
            actor=request.user,
            reason=values["reason"],
            reference_kind=values.get("reference_kind", ""),
            reference_text=values.get("reference_text", ""),
            reference_item_id=values.get("reference_item"),
            request=request,
        )
        annotation = selectors.annotation_get_for_member(
            user=request.user, annotation_id=annotation_id
        )
        return Response(ReviewAnnotationSerializer(annotation).data)


class AnnotationBulkAcceptApi(APIView):
    class BulkAcceptInputSerializer(serializers.Serializer):
        annotation_ids = serializers.ListField(
            child=serializers.IntegerField(), min_length=1, max_length=1000
        )

    class BulkAcceptOutputSerializer(serializers.Serializer):
        accepted = serializers.ListField(child=serializers.IntegerField())

    @extend_schema(
        tags=TAG_REVIEW,
        summary="Accept many (those still awaiting review)",
        request=BulkAcceptInputSerializer,
        responses=BulkAcceptOutputSerializer,
    )
    def post(self, request, project_id: int):
        project = _project_for_reviewing(request, project_id)
        data = self.BulkAcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        accepted = services.annotations_bulk_accept(
            project=project,
            actor=request.user,
            annotation_ids=data.validated_data["annotation_ids"],
            request=request,
        )
        return Response(self.BulkAcceptOutputSerializer({"accepted": accepted}).data)


# --- Expert --------------------------------------------------------------------------------------


class AppealSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="rejection or suspension")
    status = serializers.CharField(help_text="open, upheld or overturned")
    project = serializers.IntegerField(source="project_id")
    annotation = serializers.IntegerField(source="annotation_id", allow_null=True)
    note = serializers.CharField()
    contested_reason = serializers.CharField()
    rejection_reference = serializers.CharField()
    decision = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class MyAnnotationReviewApi(APIView):
    class MyAnnotationReviewOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        project = serializers.IntegerField()
        review_status = serializers.CharField()
        reviewed_at = serializers.DateTimeField(allow_null=True)
        rejection_reason = serializers.CharField()
        reference = serializers.CharField(help_text="What the rejection cites")
        appeal = AppealSerializer(allow_null=True)
        can_appeal = serializers.BooleanField()

    @extend_schema(
        tags=TAG_EXPERT,
        summary="The review outcome of my annotation",
        responses=MyAnnotationReviewOutputSerializer,
    )
    def get(self, request, annotation_id: int):
        annotation = selectors.annotation_get_for_expert(
            expert=request.user, annotation_id=annotation_id
        )
        appeal = annotation.appeals.order_by("-created_at").first()
        rejected = annotation.review_status == Annotation.Review.REJECTED
        data = {
            "id": annotation.pk,
            "project": annotation.project_id,
            "review_status": annotation.review_status,
            "reviewed_at": annotation.reviewed_at,
            "rejection_reason": annotation.rejection_reason,
            "reference": selectors.reference_label(
                selectors.latest_decision(annotation), for_expert=True
            )
            if rejected
            else "",
            "appeal": appeal,
            "can_appeal": rejected and appeal is None,
        }
        return Response(self.MyAnnotationReviewOutputSerializer(data).data)


class MissedGoldSerializer(serializers.Serializer):
    annotation_id = serializers.IntegerField()
    payload = serializers.JSONField(help_text="The check item as you saw it")
    your_answer = serializers.JSONField()
    expected_answer = serializers.JSONField()
    submitted_at = serializers.DateTimeField()


class MySuspensionApi(APIView):
    class SuspensionNoticeOutputSerializer(serializers.Serializer):
        project = serializers.IntegerField(source="project.pk")
        project_title = serializers.CharField(source="project.title")
        suspended_at = serializers.DateTimeField()
        reason = serializers.CharField()
        gold_seen = serializers.IntegerField()
        gold_correct = serializers.IntegerField()
        held_count = serializers.IntegerField()
        missed = MissedGoldSerializer(many=True)
        appeal = AppealSerializer(source="last_appeal", allow_null=True)
        can_appeal = serializers.BooleanField()

    @extend_schema(
        tags=TAG_EXPERT,
        summary="Why I am suspended from a project: missed check items, expected answers",
        responses=SuspensionNoticeOutputSerializer,
    )
    def get(self, request, project_id: int):
        notice = selectors.suspension_notice(expert=request.user, project_id=project_id)
        return Response(self.SuspensionNoticeOutputSerializer(notice).data)


class MyAppealListCreateApi(ListAPIView):
    serializer_class = AppealSerializer

    class AppealOpenInputSerializer(serializers.Serializer):
        annotation = serializers.IntegerField(
            required=False, allow_null=True, help_text="A rejected annotation of mine"
        )
        project = serializers.IntegerField(
            required=False, allow_null=True, help_text="A project I am suspended from"
        )
        note = serializers.CharField(max_length=5000, help_text="Why the decision is wrong")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appeal.objects.none()
        return selectors.appeals_for_expert(expert=self.request.user)

    @extend_schema(tags=TAG_EXPERT, summary="My appeals (newest first)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAG_EXPERT,
        summary="Appeal a rejection (annotation) or a suspension (project)",
        request=AppealOpenInputSerializer,
        responses={201: AppealSerializer},
    )
    def post(self, request):
        data = self.AppealOpenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.appeal_open(
            expert=request.user,
            note=data.validated_data["note"],
            annotation_id=data.validated_data.get("annotation"),
            project_id=data.validated_data.get("project"),
            request=request,
        )
        return Response(AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)


class MyAppealDetailApi(APIView):
    @extend_schema(tags=TAG_EXPERT, summary="One of my appeals", responses=AppealSerializer)
    def get(self, request, appeal_id: int):
        appeal = selectors.appeal_get_for_expert(expert=request.user, appeal_id=appeal_id)
        return Response(AppealSerializer(appeal).data)


# --- Staff ---------------------------------------------------------------------------------------


class StaffAppealSerializer(AppealSerializer):
    expert = serializers.CharField(source="expert.expert_profile.pseudonym", default="")
    project_title = serializers.CharField(source="project.title")
    organization = serializers.CharField(source="project.organization.name")
    annotation_response = serializers.JSONField(source="annotation.response", default=None)
    item_payload = serializers.JSONField(source="annotation.item.payload", default=None)


class StaffAppealQueueApi(ListAPIView):
    serializer_class = StaffAppealSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appeal.objects.none()
        selectors.check_staff(self.request.user, write=False)
        return selectors.appeals_open_queue()

    @extend_schema(tags=TAG_STAFF, summary="Open appeals, oldest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class StaffAppealDetailApi(APIView):
    @extend_schema(tags=TAG_STAFF, summary="An appeal", responses=StaffAppealSerializer)
    def get(self, request, appeal_id: int):
        appeal = selectors.appeal_get_for_staff(user=request.user, appeal_id=appeal_id)
        return Response(StaffAppealSerializer(appeal).data)


class StaffAppealDecideApi(APIView):
    class AppealDecideInputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=[("uphold", "Uphold"), ("overturn", "Overturn")])
        text = serializers.CharField(max_length=5000, help_text="The written decision")

    @extend_schema(
        tags=TAG_STAFF,
        summary="Uphold or overturn, in writing",
        request=AppealDecideInputSerializer,
        responses=StaffAppealSerializer,
    )
    def post(self, request, appeal_id: int):
        data = self.AppealDecideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.appeal_decide(
            appeal_id=appeal_id,
            actor=request.user,
            decision=data.validated_data["decision"],
            text=data.validated_data["text"],
            request=request,
        )
        appeal = selectors.appeal_get_for_staff(user=request.user, appeal_id=appeal_id)
        return Response(StaffAppealSerializer(appeal).data)
