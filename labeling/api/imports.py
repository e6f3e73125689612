"""Company API: upload an items file (async, all-or-nothing) and follow the import job."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.imports import import_job_create
from labeling.selectors.exports import import_job_get, import_jobs_for_project
from marketplace.selectors.projects import project_get_for_member
from marketplace.services import check_can_manage

TAG = ["Items import (company)"]


@extend_schema_serializer(component_name="ImportJobOutput")
class ImportJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    file_name = serializers.CharField()
    file_format = serializers.CharField()
    file_size = serializers.IntegerField()
    rows_total = serializers.IntegerField(allow_null=True)
    rows_processed = serializers.IntegerField()
    items_created = serializers.IntegerField()
    gold_created = serializers.IntegerField()
    errors = serializers.ListField(
        child=serializers.DictField(),
        help_text="Up to the first 50 errors: {line (1-based), field (JSON pointer), message}",
    )
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ImportListCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema_serializer(component_name="ImportCreateInput")
    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        format = serializers.ChoiceField(
            choices=["jsonl", "json", "csv"],
            required=False,
            help_text="Defaults to the file name's extension",
        )

    @extend_schema(
        tags=TAG,
        summary="Import jobs of a project (managers and owners)",
        responses=ImportJobOutputSerializer(many=True),
    )
    def get(self, request, project_id: int):
        project = project_get_for_member(user=request.user, project_id=project_id)
        check_can_manage(user=request.user, project=project)
        jobs = import_jobs_for_project(project=project)[:50]
        return Response(ImportJobOutputSerializer(jobs, many=True).data)

    @extend_schema(
        tags=TAG,
        summary="Upload items (JSONL, JSON array or CSV); 202 + the job",
        request={"multipart/form-data": InputSerializer},
        responses={202: ImportJobOutputSerializer},
    )
    def post(self, request, project_id: int):
        project = project_get_for_member(user=request.user, project_id=project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = import_job_create(
            project=project,
            user=request.user,
            upload=data.validated_data["file"],
            file_format=data.validated_data.get("format"),
            request=request,
        )
        return Response(ImportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(APIView):
    @extend_schema(
        tags=TAG,
        summary="An import job: status, progress and error report",
        responses=ImportJobOutputSerializer,
    )
    def get(self, request, project_id: int, job_id: int):
        project = project_get_for_member(user=request.user, project_id=project_id)
        check_can_manage(user=request.user, project=project)
        job = import_job_get(project=project, job_id=job_id)
        return Response(ImportJobOutputSerializer(job).data)
