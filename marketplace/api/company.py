"""Company-side API: projects of the requester's organizations, their lifecycle and people."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization, User
from core.exceptions import NotFound
from marketplace import selectors, services
from marketplace.api.serializers import (
    BudgetSerializer,
    ProjectCreateInputSerializer,
    ProjectInputSerializer,
    ProjectListOutputSerializer,
    ProjectOutputSerializer,
    RequirementsSerializer,
    requirements_data,
)
from marketplace.models import Project, ProjectApplication, ProjectInvitation, ProjectStatus
from marketplace.task_types import task_type

TAG = ["Projects (company)"]


def _project(request, project_id: int):
    return selectors.project_get_for_member(user=request.user, project_id=project_id)


class ProjectListCreateApi(ListAPIView):
    serializer_class = ProjectListOutputSerializer

    @extend_schema_serializer(component_name="ProjectListCreateFilter")
    class FilterSerializer(serializers.Serializer):
        organization = serializers.IntegerField(required=False)
        status = serializers.ChoiceField(choices=ProjectStatus.choices, required=False)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        qs = selectors.projects_for_user(user=self.request.user)
        if "organization" in params.validated_data:
            qs = qs.filter(organization_id=params.validated_data["organization"])
        if "status" in params.validated_data:
            qs = qs.filter(status=params.validated_data["status"])
        return qs

    @extend_schema(tags=TAG, summary="Projects of my organizations", parameters=[FilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAG,
        summary="Post a project (as a draft)",
        request=ProjectCreateInputSerializer,
        responses={201: ProjectOutputSerializer},
    )
    def post(self, request):
        data = ProjectCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        org_id = values.pop("organization_id")
        organization = Organization.objects.filter(pk=org_id).first()
        if organization is None:
            raise NotFound()
        project = services.project_create(
            organization=organization, actor=request.user, data=values, request=request
        )
        project = _project(request, project.pk)
        return Response(ProjectOutputSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    @extend_schema(tags=TAG, summary="A project", responses=ProjectOutputSerializer)
    def get(self, request, project_id: int):
        return Response(ProjectOutputSerializer(_project(request, project_id)).data)

    @extend_schema(
        tags=TAG,
        summary="Edit a project (managers and owners)",
        request=ProjectInputSerializer(partial=True),
        responses=ProjectOutputSerializer,
    )
    def patch(self, request, project_id: int):
        project = _project(request, project_id)
        data = ProjectInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.project_update(
            project=project, actor=request.user, data=dict(data.validated_data), request=request
        )
        return Response(ProjectOutputSerializer(_project(request, project_id)).data)


class ProjectTransitionApi(APIView):
    @extend_schema_serializer(component_name="ProjectTransitionInput")
    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[
                ProjectStatus.LIVE,
                ProjectStatus.PAUSED,
                ProjectStatus.COMPLETED,
                ProjectStatus.CANCELLED,
            ],
            help_text="live (launch or resume), paused, completed or cancelled",
        )
        reason = serializers.CharField(required=False, allow_blank=True, max_length=500)

    @extend_schema(
        tags=TAG,
        summary="Move a project through its lifecycle",
        request=InputSerializer,
        responses=ProjectOutputSerializer,
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.project_transition(
            project=project,
            actor=request.user,
            to_status=data.validated_data["status"],
            reason=data.validated_data.get("reason", ""),
            request=request,
        )
        return Response(ProjectOutputSerializer(_project(request, project_id)).data)


class ProjectResponseSchemaApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="JSON Schema every response must match",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, project_id: int):
        return Response(_project(request, project_id).response_schema)


class ProjectValidateResponseApi(APIView):
    @extend_schema_serializer(component_name="ProjectValidateResponseOutput")
    class OutputSerializer(serializers.Serializer):
        valid = serializers.BooleanField()

    @extend_schema(
        tags=TAG,
        summary="Check a response against the project's schema",
        request=OpenApiTypes.OBJECT,
        responses=OutputSerializer,
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id)
        services.project_validate_response(project, request.data)
        return Response({"valid": True})


class ProjectBudgetApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Budget: tasks × pay + platform fee + fair-pay reserve",
        responses=BudgetSerializer,
    )
    def get(self, request, project_id: int):
        budget = selectors.project_budget(_project(request, project_id))
        return Response(BudgetSerializer(budget).data)


class ProjectRequirementsApi(APIView):
    @extend_schema(
        tags=TAG, summary="Who may work on the project", responses=RequirementsSerializer
    )
    def get(self, request, project_id: int):
        return Response(
            RequirementsSerializer(requirements_data(_project(request, project_id))).data
        )

    @extend_schema(
        tags=TAG,
        summary="Replace the requirements (drafts only)",
        request=RequirementsSerializer,
        responses=RequirementsSerializer,
    )
    def put(self, request, project_id: int):
        project = _project(request, project_id)
        data = RequirementsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {
            "domains": [],
            "languages": [],
            "countries_allow": [],
            "countries_deny": [],
            **data.validated_data,
        }
        services.project_update(project=project, actor=request.user, data=values, request=request)
        return Response(
            RequirementsSerializer(requirements_data(_project(request, project_id))).data
        )


class PayFloorApi(APIView):
    @extend_schema_serializer(component_name="PayFloorQuery")
    class QuerySerializer(serializers.Serializer):
        domains = serializers.CharField(required=False, help_text="Comma-separated domain ids")

    @extend_schema_serializer(component_name="PayFloorOutput")
    class OutputSerializer(serializers.Serializer):
        min_hourly_rate_minor = serializers.IntegerField()

    @extend_schema(
        tags=TAG,
        summary="The fair-pay floor for a set of required domains",
        parameters=[QuerySerializer],
        responses=OutputSerializer,
    )
    def get(self, request):
        raw = request.query_params.get("domains", "")
        ids = [int(x) for x in raw.split(",") if x.strip().isdigit()]
        return Response({"min_hourly_rate_minor": selectors.pay_floor_minor(domain_ids=ids)})


class TaskTypeListApi(APIView):
    @extend_schema_serializer(component_name="TaskTypeListOutput")
    class OutputSerializer(serializers.Serializer):
        key = serializers.CharField()
        label = serializers.CharField()
        summary = serializers.CharField()
        default_config = serializers.JSONField()
        config_schema = serializers.JSONField()

    @extend_schema(
        tags=TAG,
        summary="Task types and their configuration",
        responses=OutputSerializer(many=True),
    )
    def get(self, request):
        from marketplace.models import TaskType

        kinds = [task_type(key) for key in TaskType.values]
        data = [
            {
                "key": k.key,
                "label": k.label,
                "summary": k.summary,
                "default_config": k.default_config(),
                "config_schema": k.config_schema(),
            }
            for k in kinds
        ]
        return Response(self.OutputSerializer(data, many=True).data)


# --- Experts: search, invitations, applications -------------------------------------------------


class ExpertMatchSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="expert.pk")
    pseudonym = serializers.CharField(source="expert.expert_profile.pseudonym")
    name = serializers.CharField(source="expert.name")
    headline = serializers.CharField(source="expert.expert_profile.headline")
    country = serializers.CharField(source="expert.expert_profile.country")
    weekly_availability_hours = serializers.IntegerField(
        source="expert.expert_profile.weekly_availability_hours", allow_null=True
    )
    levels = serializers.DictField(
        child=serializers.IntegerField(), help_text="domain id → best active level"
    )
    already_invited = serializers.BooleanField()


class EligibleExpertListApi(ListAPIView):
    serializer_class = ExpertMatchSerializer

    @extend_schema_serializer(component_name="EligibleExpertListFilter")
    class FilterSerializer(serializers.Serializer):
        domain = serializers.IntegerField(required=False)
        min_level = serializers.IntegerField(required=False, min_value=1, max_value=3)
        language = serializers.CharField(required=False, min_length=2, max_length=2)
        min_weekly_hours = serializers.IntegerField(required=False, min_value=1)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        project = _project(self.request, self.kwargs["project_id"])
        services.check_can_manage(user=self.request.user, project=project)
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        self.project = project
        return selectors.experts_eligible_for_project(
            project=project,
            domain_id=p.get("domain"),
            min_level=p.get("min_level"),
            language=p.get("language"),
            min_weekly_hours=p.get("min_weekly_hours"),
        )

    @extend_schema(
        tags=TAG, summary="Search experts eligible for the project", parameters=[FilterSerializer]
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        matches = selectors.expert_matches(project=self.project, experts=list(page))
        return self.get_paginated_response(self.get_serializer(matches, many=True).data)


class ProjectInvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project_id = serializers.IntegerField()
    expert_id = serializers.IntegerField()
    expert_pseudonym = serializers.CharField(source="expert.expert_profile.pseudonym")
    message = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


class ProjectInvitationListCreateApi(ListAPIView):
    serializer_class = ProjectInvitationSerializer

    @extend_schema_serializer(component_name="ProjectInvitationListCreateInput")
    class InputSerializer(serializers.Serializer):
        expert_id = serializers.IntegerField()
        message = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProjectInvitation.objects.none()
        return selectors.project_invitations(
            project=_project(self.request, self.kwargs["project_id"])
        )

    @extend_schema(tags=TAG, summary="Invitations of a project")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAG,
        summary="Invite an eligible expert",
        request=InputSerializer,
        responses={201: ProjectInvitationSerializer},
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        expert = User.objects.filter(
            pk=data.validated_data["expert_id"], kind=User.Kind.EXPERT
        ).first()
        if expert is None:
            raise NotFound("No such expert.")
        invitation = services.invitation_send(
            project=project,
            actor=request.user,
            expert=expert,
            message=data.validated_data.get("message", ""),
            request=request,
        )
        return Response(
            ProjectInvitationSerializer(invitation).data, status=status.HTTP_201_CREATED
        )


class ProjectInvitationRevokeApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Withdraw a pending invitation",
        request=None,
        responses=ProjectInvitationSerializer,
    )
    def post(self, request, project_id: int, invitation_id: int):
        project = _project(request, project_id)
        invitation = get_object_or_404(ProjectInvitation, pk=invitation_id, project=project)
        invitation = services.invitation_revoke(
            invitation=invitation, actor=request.user, request=request
        )
        return Response(ProjectInvitationSerializer(invitation).data)


class ProjectApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project_id = serializers.IntegerField()
    expert_id = serializers.IntegerField()
    expert_pseudonym = serializers.CharField(source="expert.expert_profile.pseudonym")
    note = serializers.CharField()
    status = serializers.CharField()
    decision_note = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class ProjectApplicationListApi(ListAPIView):
    serializer_class = ProjectApplicationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProjectApplication.objects.none()
        return selectors.project_applications(
            project=_project(self.request, self.kwargs["project_id"])
        )

    @extend_schema(tags=TAG, summary="Applications to a project")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProjectApplicationDecideApi(APIView):
    @extend_schema_serializer(component_name="ProjectApplicationDecideInput")
    class InputSerializer(serializers.Serializer):
        approve = serializers.BooleanField()
        note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    @extend_schema(
        tags=TAG,
        summary="Approve or reject an application",
        request=InputSerializer,
        responses=ProjectApplicationSerializer,
    )
    def post(self, request, project_id: int, application_id: int):
        project = _project(request, project_id)
        application = get_object_or_404(ProjectApplication, pk=application_id, project=project)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_decide(
            application=application,
            actor=request.user,
            approve=data.validated_data["approve"],
            note=data.validated_data.get("note", ""),
            request=request,
        )
        return Response(ProjectApplicationSerializer(application).data)
