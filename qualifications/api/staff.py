"""Staff API: verification queue and decisions, grants and revocations, test authoring.

Auditors (group "auditor") may read the queue; every write needs is_staff (and, through the
middleware, an MFA-protected session or a token).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from qualifications import selectors, services
from qualifications.api.common import (
    DomainRefSerializer,
    IsStaff,
    IsStaffOrAuditorReadOnly,
    named,
)
from qualifications.api.expert import CredentialOutputSerializer, QualificationSerializer
from qualifications.models import Credential, Domain, Qualification, QualificationTest, Question


@named("QueuedCredential")
class QueuedCredentialSerializer(CredentialOutputSerializer):
    expert_id = serializers.IntegerField()
    expert_email = serializers.EmailField(source="expert.email")
    expert_name = serializers.CharField(source="expert.name")


class CredentialQueueApi(ListAPIView):
    """Pending credentials, oldest first, each with the link to its evidence."""

    permission_classes = [IsStaffOrAuditorReadOnly]
    serializer_class = QueuedCredentialSerializer

    def get_queryset(self):
        return selectors.credential_review_queue()


class CredentialDecisionApi(APIView):
    permission_classes = [IsStaff]

    @named("CredentialDecision")
    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=["verify", "reject"])
        reason = serializers.CharField(
            required=False, allow_blank=True, help_text="Required to reject; sent to the expert"
        )
        grant_domain = serializers.PrimaryKeyRelatedField(
            queryset=Domain.objects.filter(is_active=True), required=False, allow_null=True
        )
        grant_level = serializers.IntegerField(
            min_value=1, max_value=3, required=False, allow_null=True
        )
        grant_expires_at = serializers.DateTimeField(required=False, allow_null=True)
        note = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses=CredentialOutputSerializer,
        summary="Verify (optionally granting a qualification) or reject a credential",
    )
    def post(self, request, credential_id: int):
        credential = get_object_or_404(Credential, pk=credential_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["decision"] == "verify":
            credential = services.credential_verify(
                credential=credential,
                reviewer=request.user,
                grant_domain=v.get("grant_domain"),
                grant_level=v.get("grant_level"),
                grant_expires_at=v.get("grant_expires_at"),
                note=v.get("note", ""),
                request=request,
            )
        else:
            credential = services.credential_reject(
                credential=credential,
                reviewer=request.user,
                reason=v.get("reason", ""),
                request=request,
            )
        return Response(CredentialOutputSerializer(credential).data)


@named("StaffQualification")
class StaffQualificationSerializer(QualificationSerializer):
    expert_id = serializers.IntegerField()
    expert_email = serializers.EmailField(source="expert.email")
    note = serializers.CharField()


class QualificationGrantApi(ListAPIView):
    permission_classes = [IsStaffOrAuditorReadOnly]
    serializer_class = StaffQualificationSerializer
    filterset_fields = ["expert", "domain", "source"]

    @named("QualificationGrant")
    class InputSerializer(serializers.Serializer):
        expert = serializers.PrimaryKeyRelatedField(
            queryset=User.objects.filter(kind=User.Kind.EXPERT)
        )
        domain = serializers.PrimaryKeyRelatedField(queryset=Domain.objects.filter(is_active=True))
        level = serializers.IntegerField(min_value=1, max_value=3)
        expires_at = serializers.DateTimeField(required=False, allow_null=True)
        note = serializers.CharField(help_text="Why this grant is made (audited)")

    def get_queryset(self):
        return selectors.qualifications_for_staff()

    @extend_schema(
        request=InputSerializer,
        responses={201: StaffQualificationSerializer},
        summary="Grant a qualification (staff decision)",
    )
    def post(self, request):
        if not request.user.is_staff:
            self.permission_denied(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        qualification = services.qualification_grant(
            granted_by=request.user,
            source=Qualification.Source.STAFF,
            request=request,
            **data.validated_data,
        )
        return Response(
            StaffQualificationSerializer(qualification).data, status=status.HTTP_201_CREATED
        )


class QualificationRevokeApi(APIView):
    permission_classes = [IsStaff]

    @named("QualificationRevoke")
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField()

    @extend_schema(
        request=InputSerializer, responses=StaffQualificationSerializer, summary="Revoke"
    )
    def post(self, request, qualification_id: int):
        qualification = get_object_or_404(Qualification, pk=qualification_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        qualification = services.qualification_revoke(
            qualification=qualification,
            actor=request.user,
            request=request,
            reason=data.validated_data["reason"],
        )
        return Response(StaffQualificationSerializer(qualification).data)


# --- Authoring -----------------------------------------------------------------------------------


@named("AuthoredQuestion")
class AuthoredQuestionSerializer(serializers.Serializer):
    """Staff-only: includes the gold answer and explanation."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    prompt = serializers.CharField()
    choices = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()), required=False
    )
    response_a = serializers.CharField(required=False, allow_blank=True)
    response_b = serializers.CharField(required=False, allow_blank=True)
    gold = serializers.JSONField()
    explanation = serializers.CharField()
    points = serializers.IntegerField(min_value=1, max_value=100, required=False)
    position = serializers.IntegerField(min_value=0, required=False)


@named("AuthoredTest")
class AuthoredTestSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    domain = DomainRefSerializer(read_only=True)
    domain_id = serializers.PrimaryKeyRelatedField(
        queryset=Domain.objects.filter(is_active=True), write_only=True, source="domain"
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    grant_level = serializers.IntegerField(min_value=1, max_value=3, required=False)
    grant_valid_days = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    pass_mark_percent = serializers.IntegerField(min_value=1, max_value=100, required=False)
    time_limit_minutes = serializers.IntegerField(min_value=1, max_value=600, required=False)
    max_attempts = serializers.IntegerField(min_value=1, required=False)
    retake_cooldown_hours = serializers.IntegerField(min_value=0, required=False)
    is_published = serializers.BooleanField(required=False)
    questions = AuthoredQuestionSerializer(many=True, read_only=True, source="questions.all")


class TestAuthorApi(ListAPIView):
    permission_classes = [IsStaff]
    serializer_class = AuthoredTestSerializer

    def get_queryset(self):
        return QualificationTest.objects.select_related("domain").prefetch_related("questions")

    @extend_schema(
        request=AuthoredTestSerializer,
        responses={201: AuthoredTestSerializer},
        summary="Author a qualification test",
    )
    def post(self, request):
        data = AuthoredTestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        test = services.test_create(author=request.user, request=request, **data.validated_data)
        return Response(AuthoredTestSerializer(test).data, status=status.HTTP_201_CREATED)


class QuestionAuthorApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        request=AuthoredQuestionSerializer,
        responses={201: AuthoredQuestionSerializer},
        summary="Add a question (with its gold answer and explanation) to a test",
    )
    def post(self, request, test_id: int):
        test = get_object_or_404(QualificationTest, pk=test_id)
        data = AuthoredQuestionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = services.question_create(author=request.user, test=test, **data.validated_data)
        return Response(AuthoredQuestionSerializer(question).data, status=status.HTTP_201_CREATED)
