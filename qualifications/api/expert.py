"""Expert-facing API. Everything is scoped to the requester: other people's objects are 404."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from qualifications import selectors, services
from qualifications.api.common import DomainRefSerializer, PassthroughRenderer, named
from qualifications.evidence import evidence_response
from qualifications.models import (
    Credential,
    Domain,
    ExpertLanguage,
    Qualification,
    QualificationTest,
)
from qualifications.services.common import check_expert

# --- Domains -------------------------------------------------------------------------------------


class DomainListApi(APIView):
    @named("Domain")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        slug = serializers.CharField()
        name = serializers.CharField()
        parent = serializers.IntegerField(source="parent_id", allow_null=True)
        path = serializers.CharField()

    @extend_schema(responses=OutputSerializer(many=True), summary="The domain taxonomy")
    def get(self, request):
        tree = selectors.domain_tree()
        domains = list(selectors.domain_list())
        for d in domains:
            d.path = tree.path(d.pk)
        domains.sort(key=lambda d: d.path.casefold())
        return Response(self.OutputSerializer(domains, many=True).data)


# --- Profile -------------------------------------------------------------------------------------


class ProfileDomainSerializer(serializers.Serializer):
    domain = DomainRefSerializer(read_only=True)
    years_experience = serializers.IntegerField(read_only=True)


class ProfileLanguageSerializer(serializers.Serializer):
    language = serializers.CharField()
    proficiency = serializers.ChoiceField(choices=ExpertLanguage.Proficiency.choices)


@named("ProfileCompleteness")
class CompletenessSerializer(serializers.Serializer):
    percent = serializers.IntegerField()
    done = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())


class ProfileApi(APIView):
    @named("ExpertProfile")
    class OutputSerializer(serializers.Serializer):
        pseudonym = serializers.CharField()
        headline = serializers.CharField()
        bio = serializers.CharField()
        country = serializers.CharField()
        timezone = serializers.CharField()
        weekly_availability_hours = serializers.IntegerField(allow_null=True)
        domains = ProfileDomainSerializer(many=True, source="domains.all")
        languages = ProfileLanguageSerializer(many=True, source="languages.all")
        completeness = serializers.SerializerMethodField()

        @extend_schema_field(CompletenessSerializer)
        def get_completeness(self, profile) -> dict:
            c = selectors.profile_completeness(profile)
            return {"percent": c.percent, "done": list(c.done), "missing": list(c.missing)}

    @named("ExpertProfileUpdate")
    class InputSerializer(serializers.Serializer):
        class DomainInput(serializers.Serializer):
            domain = serializers.IntegerField()
            years_experience = serializers.IntegerField(min_value=0, max_value=70)

        headline = serializers.CharField(max_length=200, required=False, allow_blank=True)
        bio = serializers.CharField(max_length=5000, required=False, allow_blank=True)
        country = serializers.CharField(max_length=2, required=False, allow_blank=True)
        timezone = serializers.CharField(max_length=64, required=False, allow_blank=True)
        weekly_availability_hours = serializers.IntegerField(
            min_value=0, max_value=80, required=False, allow_null=True
        )
        domains = DomainInput(many=True, required=False)
        languages = ProfileLanguageSerializer(many=True, required=False)

    def _render(self, request):
        profile = selectors.profile_for_expert(expert=request.user)
        return Response(self.OutputSerializer(profile).data)

    @extend_schema(responses=OutputSerializer, summary="My expert profile")
    def get(self, request):
        check_expert(request.user)
        return self._render(request)

    @extend_schema(request=InputSerializer, responses=OutputSerializer, summary="Edit my profile")
    def patch(self, request):
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        domains = values.pop("domains", None)
        languages = values.pop("languages", None)
        services.profile_edit(
            expert=request.user,
            fields=values,
            domains=[(d["domain"], d["years_experience"]) for d in domains]
            if domains is not None
            else None,
            languages=[(lang["language"], lang["proficiency"]) for lang in languages]
            if languages is not None
            else None,
            request=request,
        )
        return self._render(request)


# --- Credentials ---------------------------------------------------------------------------------


@named("Credential")
class CredentialOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Credential.Kind.choices)
    title = serializers.CharField()
    issuer = serializers.CharField()
    identifier = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True)
    domain = DomainRefSerializer(allow_null=True)
    status = serializers.ChoiceField(choices=Credential.Status.choices)
    rejection_reason = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    evidence_name = serializers.CharField()
    evidence_content_type = serializers.CharField()
    evidence_size = serializers.IntegerField()
    evidence_url = serializers.SerializerMethodField()

    def get_evidence_url(self, credential) -> str:
        from django.urls import reverse

        return reverse("api-credential-evidence", args=[credential.pk])


class CredentialListCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @named("CredentialUpload")
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Credential.Kind.choices)
        title = serializers.CharField(max_length=200)
        issuer = serializers.CharField(max_length=200)
        identifier = serializers.CharField(max_length=100, required=False, allow_blank=True)
        issued_on = serializers.DateField(required=False, allow_null=True)
        expires_on = serializers.DateField(required=False, allow_null=True)
        domain = serializers.PrimaryKeyRelatedField(
            queryset=Domain.objects.filter(is_active=True), required=False, allow_null=True
        )
        evidence = serializers.FileField(
            help_text="PDF, PNG or JPEG; the type is checked from the content. Size limit from "
            "settings (10 MB by default)."
        )

    @extend_schema(responses=CredentialOutputSerializer(many=True), summary="My credentials")
    def get(self, request):
        credentials = selectors.credentials_for_expert(expert=request.user)
        return Response(CredentialOutputSerializer(credentials, many=True).data)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: CredentialOutputSerializer},
        summary="Submit a credential with evidence",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = services.credential_submit(
            expert=request.user, request=request, **data.validated_data
        )
        return Response(CredentialOutputSerializer(credential).data, status=status.HTTP_201_CREATED)


class CredentialEvidenceApi(APIView):
    renderer_classes = [JSONRenderer, PassthroughRenderer]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not yours (or does not exist)"),
        },
        summary="Download a credential's evidence (owner and staff only)",
    )
    def get(self, request, credential_id: int):
        credential = selectors.credential_for_evidence(
            user=request.user, credential_id=credential_id
        )
        return evidence_response(credential)


# --- Tests ---------------------------------------------------------------------------------------


@named("QualificationTestSummary")
class TestSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="test.pk")
    title = serializers.CharField(source="test.title")
    description = serializers.CharField(source="test.description")
    domain = DomainRefSerializer(source="test.domain")
    grant_level = serializers.IntegerField(source="test.grant_level")
    pass_mark_percent = serializers.IntegerField(source="test.pass_mark_percent")
    time_limit_minutes = serializers.IntegerField(source="test.time_limit_minutes")
    max_attempts = serializers.IntegerField(source="test.max_attempts")
    question_count = serializers.IntegerField()
    attempts_used = serializers.IntegerField()
    open_attempt = serializers.IntegerField(source="open_attempt.pk", allow_null=True, default=None)
    last_attempt = serializers.IntegerField(source="last_attempt.pk", allow_null=True, default=None)
    available_at = serializers.DateTimeField(allow_null=True)
    can_start = serializers.BooleanField()
    reason = serializers.CharField()


class TestListApi(APIView):
    @extend_schema(responses=TestSummarySerializer(many=True), summary="Qualification tests")
    def get(self, request):
        check_expert(request.user)
        summaries = selectors.tests_for_expert(expert=request.user)
        return Response(TestSummarySerializer(summaries, many=True).data)


@named("TakerQuestion")
class TakerQuestionSerializer(serializers.Serializer):
    """A question as a taker sees it. It has no gold answer or explanation field at all."""

    id = serializers.IntegerField()
    number = serializers.IntegerField()
    kind = serializers.CharField()
    prompt = serializers.CharField()
    choices = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    response_a = serializers.CharField()
    response_b = serializers.CharField()
    points = serializers.IntegerField()
    answer = serializers.JSONField(allow_null=True)
    rationale = serializers.CharField()


@named("QuestionResult")
class ResultSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.CharField()
    prompt = serializers.CharField()
    your_answer = serializers.JSONField(allow_null=True)
    correct = serializers.BooleanField()
    points_awarded = serializers.IntegerField()
    points = serializers.IntegerField()
    gold_answer = serializers.CharField()
    explanation = serializers.CharField()


@named("Attempt")
class AttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    test = serializers.IntegerField(source="test_id")
    test_title = serializers.CharField(source="test.title")
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    seconds_left = serializers.IntegerField()
    score_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    pass_mark_percent = serializers.IntegerField(source="test.pass_mark_percent")
    questions = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField()

    @extend_schema_field(TakerQuestionSerializer(many=True))
    def get_questions(self, attempt) -> list:
        if attempt.is_graded:
            return []
        return TakerQuestionSerializer(selectors.attempt_questions(attempt=attempt), many=True).data

    @extend_schema_field(ResultSerializer(many=True))
    def get_results(self, attempt) -> list:
        # Gold answers and explanations only once the attempt is graded.
        return ResultSerializer(selectors.attempt_results(attempt=attempt), many=True).data


class AttemptStartApi(APIView):
    @extend_schema(request=None, responses={201: AttemptSerializer}, summary="Start an attempt")
    def post(self, request, test_id: int):
        test = get_object_or_404(
            QualificationTest.objects.filter(is_published=True, organization__isnull=True),
            pk=test_id,
        )
        attempt = services.attempt_start(expert=request.user, test=test, request=request)
        attempt = selectors.attempt_for_expert(expert=request.user, attempt_id=attempt.pk)
        return Response(AttemptSerializer(attempt).data, status=status.HTTP_201_CREATED)


class AttemptDetailApi(APIView):
    @extend_schema(responses=AttemptSerializer, summary="An attempt: questions, or results")
    def get(self, request, attempt_id: int):
        attempt = selectors.attempt_for_expert(expert=request.user, attempt_id=attempt_id)
        return Response(AttemptSerializer(attempt).data)


class AttemptAnswerApi(APIView):
    @named("AttemptAnswerInput")
    class InputSerializer(serializers.Serializer):
        question = serializers.IntegerField()
        answer = serializers.JSONField(
            help_text='single: "b"; multiple: ["a","c"]; numeric: 3.5; short_text: "..."; '
            'pairwise: "a" or "b" (with a rationale)'
        )
        rationale = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    @named("AttemptAnswerSaved")
    class OutputSerializer(serializers.Serializer):
        question = serializers.IntegerField(source="question_id")
        answer = serializers.JSONField()
        rationale = serializers.CharField()
        answered_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 409: OpenApiResponse(description="attempt_expired")},
        summary="Answer a question (refused after the deadline)",
    )
    def post(self, request, attempt_id: int):
        attempt = selectors.attempt_for_expert(expert=request.user, attempt_id=attempt_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.attempt_answer(
            attempt=attempt,
            expert=request.user,
            question_id=data.validated_data["question"],
            answer=data.validated_data["answer"],
            rationale=data.validated_data.get("rationale", ""),
        )
        return Response(self.OutputSerializer(row).data)


class AttemptSubmitApi(APIView):
    @extend_schema(
        request=None,
        responses={200: AttemptSerializer, 409: OpenApiResponse(description="attempt_expired")},
        summary="Submit for grading",
    )
    def post(self, request, attempt_id: int):
        attempt = selectors.attempt_for_expert(expert=request.user, attempt_id=attempt_id)
        services.attempt_submit(attempt=attempt, expert=request.user)
        attempt = selectors.attempt_for_expert(expert=request.user, attempt_id=attempt_id)
        return Response(AttemptSerializer(attempt).data)


# --- Qualifications ------------------------------------------------------------------------------


@named("Qualification")
class QualificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    domain = DomainRefSerializer()
    level = serializers.IntegerField()
    source = serializers.ChoiceField(choices=Qualification.Source.choices)
    state = serializers.CharField()
    granted_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_reason = serializers.CharField()


class QualificationListApi(APIView):
    @extend_schema(
        responses=QualificationSerializer(many=True),
        summary="My qualifications, including expired and revoked ones (history)",
    )
    def get(self, request):
        rows = selectors.qualifications_for_expert(expert=request.user)
        return Response(QualificationSerializer(rows, many=True).data)
