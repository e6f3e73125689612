"""Company API: exports. Sync (streamed) downloads for small exports, export jobs (Celery,
file + permission-checked download) for large ones. Reviewers, managers and owners of the
project's organization; viewers 403; experts and other organizations 404."""

from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.exports.registry import EXPORT_FORMATS
from labeling.exports.services import export_job_create, export_job_file, export_stream
from labeling.selectors.exports import (
    ExportFilters,
    check_can_export,
    export_job_get,
    export_jobs_for_project,
)
from marketplace.selectors.projects import project_get_for_member

TAG = ["Exports (company)"]
FORMAT_CHOICES = list(EXPORT_FORMATS)
# What a download is served as: JSON Lines or CSV (see labeling.exports.registry).
EXPORT_FILE_RESPONSES = {
    (200, media): OpenApiTypes.BINARY
    for media in sorted({f.content_type.split(";")[0] for f in EXPORT_FORMATS.values()})
}


@extend_schema_serializer(component_name="ExportFiltersInput")
class ExportFiltersSerializer(serializers.Serializer):
    accepted_only = serializers.BooleanField(required=False, default=False)
    exclude_suspended = serializers.BooleanField(required=False, default=False)
    since = serializers.CharField(
        required=False, allow_blank=True, help_text="ISO date or date-time: submitted_at >= since"
    )
    until = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="ISO date-time (submitted_at < until) or date (that whole day included)",
    )
    metadata = serializers.BooleanField(
        required=False, default=True, help_text="Add `metadata` to preference records"
    )

    def validate(self, attrs):
        return ExportFilters.from_dict(attrs)


@extend_schema_serializer(component_name="ExportJobOutput")
class ExportJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    export_format = serializers.CharField()
    filters = serializers.DictField()
    status = serializers.CharField()
    rows_written = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


FILTER_PARAMETERS = [
    OpenApiParameter("accepted_only", bool, description="Only accepted annotations"),
    OpenApiParameter(
        "exclude_suspended", bool, description="Drop experts suspended from the project"
    ),
    OpenApiParameter("since", str, description="ISO date or date-time: submitted_at >= since"),
    OpenApiParameter(
        "until", str, description="ISO date-time (submitted_at < until) or date (whole day)"
    ),
    OpenApiParameter("metadata", bool, description="Add `metadata` to preference records"),
]


def _project(request, project_id: int):
    return project_get_for_member(user=request.user, project_id=project_id)


class ExportDownloadApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Stream an export (small exports; large ones need an export job)",
        parameters=[
            OpenApiParameter("export_format", str, OpenApiParameter.PATH, enum=FORMAT_CHOICES),
            *FILTER_PARAMETERS,
        ],
        responses=EXPORT_FILE_RESPONSES,
    )
    def get(self, request, project_id: int, export_format: str):
        project = _project(request, project_id)
        filters = ExportFiltersSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        fmt, body = export_stream(
            project=project,
            user=request.user,
            format_name=export_format,
            filters=filters.validated_data,
        )
        response = StreamingHttpResponse(body, content_type=fmt.content_type)
        response["Content-Disposition"] = f'attachment; filename="project-{project.pk}-{fmt.name}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ExportJobListCreateApi(APIView):
    @extend_schema_serializer(component_name="ExportJobCreateInput")
    class InputSerializer(serializers.Serializer):
        format = serializers.ChoiceField(choices=FORMAT_CHOICES)
        filters = ExportFiltersSerializer(required=False)

    @extend_schema(
        tags=TAG, summary="Export jobs of a project", responses=ExportJobOutputSerializer(many=True)
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        check_can_export(user=request.user, project=project)
        jobs = export_jobs_for_project(project=project)[:50]
        return Response(ExportJobOutputSerializer(jobs, many=True).data)

    @extend_schema(
        tags=TAG,
        summary="Start an export job (written to a file by a worker)",
        request=InputSerializer,
        responses={202: ExportJobOutputSerializer},
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = export_job_create(
            project=project,
            user=request.user,
            format_name=data.validated_data["format"],
            filters=data.validated_data.get("filters") or ExportFilters(),
            request=request,
        )
        return Response(ExportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ExportJobDetailApi(APIView):
    @extend_schema(tags=TAG, summary="An export job", responses=ExportJobOutputSerializer)
    def get(self, request, project_id: int, job_id: int):
        project = _project(request, project_id)
        check_can_export(user=request.user, project=project)
        job = export_job_get(project=project, job_id=job_id)
        return Response(ExportJobOutputSerializer(job).data)


class ExportJobDownloadApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="Download a finished export job's file",
        responses=EXPORT_FILE_RESPONSES,
    )
    def get(self, request, project_id: int, job_id: int):
        project = _project(request, project_id)
        job = export_job_get(project=project, job_id=job_id)
        path = export_job_file(job=job, user=request.user)
        fmt = EXPORT_FORMATS[job.export_format]
        response = FileResponse(
            open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
            as_attachment=True,
            filename=f"project-{project.pk}-{fmt.name}",
            content_type=fmt.content_type,
        )
        return response
