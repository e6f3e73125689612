"""Staff API: per-domain pay floors, marking a project funded (until payments does it)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors, services
from marketplace.api.serializers import ProjectOutputSerializer
from marketplace.models import Project
from qualifications.models import Domain

TAG = ["Marketplace (staff)"]


class IsStaff(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class DomainFloorSerializer(serializers.Serializer):
    domain_id = serializers.IntegerField()
    domain_slug = serializers.CharField(source="domain.slug", read_only=True)
    min_hourly_rate_minor = serializers.IntegerField(min_value=1)
    updated_at = serializers.DateTimeField(read_only=True)


class DomainFloorListApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=TAG,
        summary="Per-domain minimum hourly rates",
        responses=DomainFloorSerializer(many=True),
    )
    def get(self, request):
        return Response(DomainFloorSerializer(selectors.domain_floors(), many=True).data)

    @extend_schema(
        tags=TAG,
        summary="Set a domain's minimum hourly rate",
        request=DomainFloorSerializer,
        responses={201: DomainFloorSerializer},
    )
    def post(self, request):
        data = DomainFloorSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        domain = get_object_or_404(Domain, pk=data.validated_data["domain_id"])
        floor = services.domain_floor_set(
            domain=domain,
            actor=request.user,
            min_hourly_rate_minor=data.validated_data["min_hourly_rate_minor"],
            request=request,
        )
        return Response(DomainFloorSerializer(floor).data, status=status.HTTP_201_CREATED)


class DomainFloorDeleteApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(tags=TAG, summary="Remove a domain's minimum", responses={204: None})
    def delete(self, request, domain_id: int):
        domain = get_object_or_404(Domain, pk=domain_id)
        services.domain_floor_set(
            domain=domain, actor=request.user, min_hourly_rate_minor=None, request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MarkFundedApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema_serializer(component_name="MarkFundedInput")
    class InputSerializer(serializers.Serializer):
        amount_minor = serializers.IntegerField(required=False, min_value=0)
        reference = serializers.CharField(required=False, allow_blank=True, max_length=200)

    @extend_schema(
        tags=TAG,
        summary="Mark a draft project funded",
        request=InputSerializer,
        responses=ProjectOutputSerializer,
    )
    def post(self, request, project_id: int):
        project = get_object_or_404(Project.objects.select_related("organization"), pk=project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_mark_funded(
            project=project, actor=request.user, request=request, **data.validated_data
        )
        return Response(ProjectOutputSerializer(project).data)
