"""Expert-side API: the job board, one job, opt-in, applications and invitations."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import WindowCountPagination
from marketplace import selectors, services
from marketplace.api.serializers import CompanyRecordSerializer, company_record
from marketplace.markdown import render_markdown
from marketplace.models import Project, ProjectApplication, ProjectInvitation, TaskType

TAG = ["Jobs (expert)"]


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="project.pk")
    title = serializers.CharField(source="project.title")
    summary = serializers.CharField(source="project.summary")
    company = serializers.CharField(source="project.organization.name")
    company_record = serializers.SerializerMethodField()
    task_type = serializers.CharField(source="project.task_type")
    currency = serializers.CharField(source="project.currency")
    pay_per_task_minor = serializers.IntegerField(source="project.pay_per_task_minor")
    estimated_minutes = serializers.IntegerField(source="project.estimated_minutes")
    effective_hourly_minor = serializers.IntegerField(source="project.effective_hourly_minor")
    fit = serializers.SerializerMethodField(
        help_text="1 when the project requires a domain you hold directly, else 0"
    )
    visibility = serializers.CharField(source="project.visibility")
    deadline = serializers.DateTimeField(source="project.deadline", allow_null=True)
    content_warning = serializers.CharField(source="project.content_warning")
    admission = serializers.CharField(
        help_text="open, admitted, invited, applied, declined or can_apply"
    )
    opted_in = serializers.BooleanField()
    can_work = serializers.BooleanField()
    missing = serializers.ListField(
        source="eligibility.missing",
        child=serializers.CharField(),
        help_text="Why you are not eligible yet (empty when eligible)",
    )

    @extend_schema_field(CompanyRecordSerializer)
    def get_company_record(self, row) -> dict:
        # company_record already returns the serializer's shape (plain JSON types).
        return company_record(row.project.organization)

    def get_fit(self, row) -> int:
        return getattr(row.project, "fit", 0) or 0

    def to_representation(self, row) -> dict:
        # Written out: the board serializes 50 rows per request and DRF's per-field machinery
        # cost more than the board's query. The declared fields above document the schema; a
        # test keeps both in step.
        p = row.project
        return {
            "id": p.pk,
            "title": p.title,
            "summary": p.summary,
            "company": p.organization.name,
            "company_record": company_record(p.organization),
            "task_type": p.task_type,
            "currency": p.currency,
            "pay_per_task_minor": p.pay_per_task_minor,
            "estimated_minutes": p.estimated_minutes,
            "effective_hourly_minor": p.effective_hourly_minor,
            "fit": self.get_fit(row),
            "visibility": p.visibility,
            "deadline": self.fields["deadline"].to_representation(p.deadline)
            if p.deadline
            else None,
            "content_warning": p.content_warning,
            "admission": row.admission,
            "opted_in": row.opted_in,
            "can_work": row.can_work,
            "missing": [str(reason) for reason in row.eligibility.missing],
        }


class JobDetailSerializer(JobSerializer):
    to_representation = serializers.Serializer.to_representation

    instructions_html = serializers.SerializerMethodField()
    examples = serializers.JSONField(source="project.examples")
    response_schema = serializers.JSONField(source="project.response_schema")
    content_warning_note = serializers.CharField(source="project.content_warning_note")
    review_window_days = serializers.IntegerField(source="project.review_window_days")
    max_tasks_per_expert = serializers.IntegerField(
        source="project.max_tasks_per_expert", allow_null=True
    )

    def get_instructions_html(self, row) -> str:
        # Instructions are part of what the content warning guards: shown after opting in.
        if row.needs_opt_in:
            return ""
        return render_markdown(row.project.instructions)


class JobFilterSerializer(serializers.Serializer):
    domain = serializers.IntegerField(required=False, help_text="Domain id (sub-domains included)")
    task_type = serializers.ChoiceField(choices=TaskType.choices, required=False)
    min_hourly = serializers.DecimalField(
        required=False,
        max_digits=8,
        decimal_places=2,
        min_value=0,
        help_text="Minimum effective hourly rate in major units (e.g. 25.00)",
    )


class JobListApi(ListAPIView):
    serializer_class = JobSerializer
    pagination_class = WindowCountPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        params = JobFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        self.facts = selectors.expert_facts(expert=self.request.user)
        return selectors.job_board_queryset(
            facts=self.facts,
            domain_id=p.get("domain"),
            task_type=p.get("task_type"),
            min_hourly_minor=int(p["min_hourly"] * 100) if p.get("min_hourly") else None,
        )

    @extend_schema(
        tags=TAG,
        summary="Job board: live projects I am eligible for, best first",
        parameters=[JobFilterSerializer],
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        projects = selectors.job_board_projects(page)
        rows = selectors.job_board_rows(expert=request.user, projects=projects)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


class JobsWithinReachApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Projects I am close to qualifying for, and why not yet",
        responses=JobSerializer(many=True),
    )
    def get(self, request):
        facts = selectors.expert_facts(expert=request.user)
        rows = selectors.within_reach(expert=request.user, facts=facts)
        return Response(JobSerializer(rows, many=True).data)


class JobDetailApi(APIView):
    @extend_schema(
        tags=TAG, summary="One job (404 unless I am eligible)", responses=JobDetailSerializer
    )
    def get(self, request, project_id: int):
        row = selectors.job_get_for_expert(expert=request.user, project_id=project_id)
        return Response(JobDetailSerializer(row).data)


class JobOptInApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Accept the content warning to see items",
        request=None,
        responses=JobDetailSerializer,
    )
    def post(self, request, project_id: int):
        row = selectors.job_get_for_expert(expert=request.user, project_id=project_id)
        services.content_opt_in(project=row.project, expert=request.user, request=request)
        row = selectors.job_get_for_expert(expert=request.user, project_id=project_id)
        return Response(JobDetailSerializer(row).data)


class MyApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project_id = serializers.IntegerField()
    project_title = serializers.CharField(source="project.title")
    company = serializers.CharField(source="project.organization.name")
    note = serializers.CharField()
    status = serializers.CharField()
    decision_note = serializers.CharField()
    created_at = serializers.DateTimeField()


class JobApplyApi(APIView):
    @extend_schema_serializer(component_name="JobApplyInput")
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    @extend_schema(
        tags=TAG,
        summary="Apply to an invite-only project with a note",
        request=InputSerializer,
        responses={201: MyApplicationSerializer},
    )
    def post(self, request, project_id: int):
        row = selectors.job_get_for_expert(expert=request.user, project_id=project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_submit(
            project=row.project,
            expert=request.user,
            note=data.validated_data.get("note", ""),
            request=request,
        )
        return Response(MyApplicationSerializer(application).data, status=201)


class MyApplicationListApi(ListAPIView):
    serializer_class = MyApplicationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProjectApplication.objects.none()
        return selectors.applications_for_expert(expert=self.request.user)

    @extend_schema(tags=TAG, summary="My applications")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MyApplicationWithdrawApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Withdraw a pending application",
        request=None,
        responses=MyApplicationSerializer,
    )
    def post(self, request, application_id: int):
        application = get_object_or_404(ProjectApplication, pk=application_id, expert=request.user)
        application = services.application_withdraw(
            application=application, expert=request.user, request=request
        )
        return Response(MyApplicationSerializer(application).data)


class MyInvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project_id = serializers.IntegerField()
    project_title = serializers.CharField(source="project.title")
    company = serializers.CharField(source="project.organization.name")
    message = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class MyInvitationListApi(ListAPIView):
    serializer_class = MyInvitationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProjectInvitation.objects.none()
        return selectors.invitations_for_expert(expert=self.request.user)

    @extend_schema(tags=TAG, summary="Invitations I received")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MyInvitationRespondApi(APIView):
    @extend_schema_serializer(component_name="MyInvitationRespondInput")
    class InputSerializer(serializers.Serializer):
        accept = serializers.BooleanField()

    @extend_schema(
        tags=TAG,
        summary="Accept or decline an invitation",
        request=InputSerializer,
        responses=MyInvitationSerializer,
    )
    def post(self, request, invitation_id: int):
        invitation = get_object_or_404(ProjectInvitation, pk=invitation_id, expert=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_respond(
            invitation=invitation,
            expert=request.user,
            accept=data.validated_data["accept"],
            request=request,
        )
        return Response(MyInvitationSerializer(invitation).data)
