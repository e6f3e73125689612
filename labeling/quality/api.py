"""Quality analytics API. Every read comes from the latest stored snapshot (computed by Celery);
nothing is computed on request.

Members of the project's organization (any role), staff and auditors read; managers and
owners upload judge verdicts, retire gold items, review flags and ask for a recomputation;
anyone else gets 404.
"""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import NotPermitted
from labeling.models import JudgeUpload, QualityFlag
from labeling.quality import selectors, services

TAG = ["Quality analytics"]


def _project(request, project_id: int):
    return selectors.quality_project_get(user=request.user, project_id=project_id)


def _managed_project(request, project_id: int):
    project = _project(request, project_id)
    if not selectors.quality_can_manage(user=request.user, project=project):
        raise NotPermitted("This needs the manager role or higher.")
    return project


def _snapshot_meta(snapshot) -> dict:
    if snapshot is None:
        return {"computed_at": None, "snapshot_id": None, "duration_ms": None}
    return {
        "computed_at": snapshot.computed_at,
        "snapshot_id": snapshot.pk,
        "duration_ms": snapshot.duration_ms,
    }


class _SnapshotMeta(serializers.Serializer):
    snapshot_id = serializers.IntegerField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True, help_text="null: not computed yet")
    duration_ms = serializers.IntegerField(allow_null=True)


@extend_schema_serializer(component_name="QualityEstimate")
class EstimateSerializer(serializers.Serializer):
    value = serializers.FloatField(required=False, allow_null=True)
    ci_low = serializers.FloatField(required=False, allow_null=True)
    ci_high = serializers.FloatField(required=False, allow_null=True)
    n_items = serializers.IntegerField()
    not_enough = serializers.CharField(
        required=False, help_text="Present instead of a value when too few items support it"
    )
    required = serializers.IntegerField(required=False)


class ProjectQualityApi(APIView):
    @extend_schema_serializer(component_name="QualityCriterionOutput")
    class CriterionSerializer(serializers.Serializer):
        key = serializers.CharField()
        label = serializers.CharField()
        level = serializers.ChoiceField(choices=["nominal", "ordinal", "interval"])
        classes = serializers.ListField(child=serializers.CharField())
        n_annotations = serializers.IntegerField()
        alpha = EstimateSerializer(help_text="Krippendorff's alpha")
        percent = EstimateSerializer(help_text="Raw percent agreement")
        fleiss = EstimateSerializer(allow_null=True, help_text="Fleiss' kappa (nominal only)")
        pairwise_kappa = serializers.DictField(help_text="Median Cohen's kappa over expert pairs")
        timeline = serializers.ListField(child=serializers.DictField())
        aggregation = serializers.DictField(required=False)

    @extend_schema_serializer(component_name="ProjectQualityOutput")
    class OutputSerializer(_SnapshotMeta):
        project_id = serializers.IntegerField()
        task_type = serializers.CharField()
        totals = serializers.DictField()
        criteria = serializers.ListField(child=serializers.DictField())
        gold = serializers.DictField()
        ranking = serializers.ListField(
            child=serializers.DictField(), help_text="Bradley–Terry per prompt set"
        )
        flags = serializers.DictField()
        open_flags = serializers.DictField(child=serializers.IntegerField())

    @extend_schema(
        tags=TAG,
        summary="Project quality snapshot (agreement, aggregation, gold)",
        responses=OutputSerializer,
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        snapshot = selectors.quality_snapshot_latest(project=project)
        data = snapshot.data if snapshot else {}
        body = {
            **_snapshot_meta(snapshot),
            "project_id": project.pk,
            "task_type": project.task_type,
            "totals": data.get("totals", {}),
            "criteria": data.get("criteria", []),
            "gold": data.get("gold", {}),
            "ranking": data.get("ranking", []),
            "flags": data.get("flags", {}),
            "open_flags": selectors.open_flag_counts(project=project),
        }
        return Response(self.OutputSerializer(body).data)


class ProjectQualityExpertsApi(APIView):
    @extend_schema_serializer(component_name="QualityExpertOutput")
    class ExpertSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField(help_text="The expert's pseudonym")
        n_annotations = serializers.IntegerField()
        median_seconds = serializers.FloatField(allow_null=True)
        agreement = EstimateSerializer(
            allow_null=True, help_text="Share of the other experts who agree"
        )
        kappa = EstimateSerializer(
            allow_null=True, help_text="Cohen's kappa against the others' consensus"
        )
        gold = EstimateSerializer(allow_null=True, help_text="Gold accuracy, Wilson interval")
        gold_seen = serializers.IntegerField()
        gold_correct = serializers.IntegerField()
        flags = serializers.ListField(child=serializers.CharField())

    @extend_schema_serializer(component_name="QualityExpertsOutput")
    class OutputSerializer(_SnapshotMeta):
        primary_criterion = serializers.CharField(allow_null=True)
        experts = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        tags=TAG, summary="Per-expert agreement and gold accuracy", responses=OutputSerializer
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        snapshot = selectors.quality_snapshot_latest(project=project)
        data = snapshot.data if snapshot else {}
        experts = [self.ExpertSerializer(e).data for e in data.get("experts", [])]
        return Response(
            self.OutputSerializer(
                {
                    **_snapshot_meta(snapshot),
                    "primary_criterion": data.get("primary_criterion"),
                    "experts": experts,
                }
            ).data
        )


class ProjectGoldApi(APIView):
    @extend_schema_serializer(component_name="QualityGoldItemOutput")
    class GoldItemSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        external_id = serializers.CharField()
        gold_retired = serializers.BooleanField()

    @extend_schema_serializer(component_name="QualityGoldOutput")
    class OutputSerializer(_SnapshotMeta):
        coverage = serializers.DictField()
        histogram = serializers.DictField(allow_null=True)
        mean_accuracy = serializers.FloatField(allow_null=True)
        most_missed = serializers.ListField(child=serializers.DictField())
        items = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        tags=TAG,
        summary="Gold performance: coverage, accuracy, most-missed items",
        responses=OutputSerializer,
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        snapshot = selectors.quality_snapshot_latest(project=project)
        gold = (snapshot.data if snapshot else {}).get("gold", {})
        items = selectors.gold_items_for_project(project=project)[:1000]
        return Response(
            self.OutputSerializer(
                {
                    **_snapshot_meta(snapshot),
                    "coverage": gold.get("coverage", {}),
                    "histogram": gold.get("histogram"),
                    "mean_accuracy": gold.get("mean_accuracy"),
                    "most_missed": gold.get("most_missed", []),
                    "items": [self.GoldItemSerializer(i).data for i in items],
                }
            ).data
        )


class GoldItemRetireApi(APIView):
    @extend_schema_serializer(component_name="QualityGoldRetireInput")
    class InputSerializer(serializers.Serializer):
        retire = serializers.BooleanField(default=True, help_text="false restores the item")
        reason = serializers.CharField(required=False, allow_blank=True, max_length=500)

    @extend_schema_serializer(component_name="QualityGoldRetireOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        external_id = serializers.CharField()
        gold_retired = serializers.BooleanField()

    @extend_schema(
        tags=TAG,
        summary="Retire (or restore) a gold item; gold records are rescored",
        request=InputSerializer,
        responses=OutputSerializer,
    )
    def post(self, request, project_id: int, item_id: int):
        project = _project(request, project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.gold_item_retire(
            project=project,
            item_id=item_id,
            user=request.user,
            retire=data.validated_data["retire"],
            reason=data.validated_data.get("reason", ""),
            request=request,
        )
        return Response(self.OutputSerializer(item).data)


@extend_schema_serializer(component_name="QualityFlagOutput")
class FlagOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    expert_id = serializers.IntegerField()
    expert = serializers.SerializerMethodField()
    kind = serializers.CharField()
    message = serializers.CharField()
    evidence = serializers.DictField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()

    def get_expert(self, flag) -> str:
        profile = getattr(flag.expert, "expert_profile", None)
        return profile.pseudonym if profile else f"Expert #{flag.expert_id}"


class QualityFlagListApi(APIView):
    @extend_schema_serializer(component_name="QualityFlagFilter")
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=QualityFlag.Status.choices, required=False)

    @extend_schema(
        tags=TAG,
        summary="Anomaly flags of a project (newest first)",
        parameters=[FilterSerializer],
        responses=FlagOutputSerializer(many=True),
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        flags = selectors.quality_flags_for_project(
            project=project, status=filters.validated_data.get("status")
        )[:500]
        return Response(FlagOutputSerializer(flags, many=True).data)


class QualityFlagReviewApi(APIView):
    @extend_schema_serializer(component_name="QualityFlagReviewInput")
    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(
            choices=[QualityFlag.Status.REVIEWED, QualityFlag.Status.DISMISSED]
        )
        note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    @extend_schema(
        tags=TAG,
        summary="Close a flag as reviewed or dismissed",
        request=InputSerializer,
        responses=FlagOutputSerializer,
    )
    def post(self, request, project_id: int, flag_id: int):
        project = _project(request, project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.quality_flag_review(
            flag_id=flag_id,
            project=project,
            user=request.user,
            status=data.validated_data["status"],
            note=data.validated_data.get("note", ""),
            request=request,
        )
        return Response(FlagOutputSerializer(flag).data)


@extend_schema_serializer(component_name="JudgeUploadOutput")
class JudgeUploadOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.CharField()
    filename = serializers.CharField()
    n_verdicts = serializers.IntegerField()
    judges = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class JudgeVerdictUploadApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema_serializer(component_name="JudgeVerdictUploadInput")
    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(
            help_text='JSONL: {"external_id", "judge", "verdict", "swapped_verdict"?} per line'
        )
        source = serializers.ChoiceField(
            choices=JudgeUpload.Source.choices, default=JudgeUpload.Source.JUDGE
        )

    @extend_schema(
        tags=TAG,
        summary="Judge-verdict uploads of a project",
        responses=JudgeUploadOutputSerializer(many=True),
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        uploads = selectors.judge_uploads_for_project(project=project)[:100]
        return Response(JudgeUploadOutputSerializer(uploads, many=True).data)

    @extend_schema(
        tags=TAG,
        summary="Upload judge verdicts (JSONL, all or nothing; errors keyed by line)",
        request={"multipart/form-data": InputSerializer},
        responses={201: JudgeUploadOutputSerializer},
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload_file = data.validated_data["file"]
        upload = services.judge_verdicts_import(
            project=project,
            user=request.user,
            content=upload_file.read(),
            filename=upload_file.name or "",
            source=data.validated_data["source"],
            request=request,
        )
        return Response(JudgeUploadOutputSerializer(upload).data, status=status.HTTP_201_CREATED)


class JudgeCalibrationReportApi(APIView):
    @extend_schema_serializer(component_name="JudgeCalibrationOutput")
    class OutputSerializer(_SnapshotMeta):
        judges = serializers.ListField(
            child=serializers.DictField(),
            help_text="Per judge: criteria with agreement, kappa, confusion (rows judge, "
            "columns consensus), expert ceiling, alternative annotator test, swap "
            "consistency and a plain verdict",
        )

    @extend_schema(tags=TAG, summary="LLM-as-judge calibration report", responses=OutputSerializer)
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        snapshot = selectors.quality_snapshot_latest(project=project)
        judges = (snapshot.data if snapshot else {}).get("judges", [])
        return Response(self.OutputSerializer({**_snapshot_meta(snapshot), "judges": judges}).data)


class QualityRecomputeApi(APIView):
    @extend_schema_serializer(component_name="QualityRecomputeOutput")
    class OutputSerializer(serializers.Serializer):
        queued = serializers.BooleanField(help_text="false: a computation is already queued")

    @extend_schema(
        tags=TAG,
        summary="Queue a recomputation of the project's quality snapshot",
        request=None,
        responses={202: OutputSerializer},
    )
    def post(self, request, project_id: int):
        project = _managed_project(request, project_id)
        queued = services.quality_snapshot_enqueue(project_id=project.pk)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)


class StaffQualityOverviewApi(APIView):
    @extend_schema_serializer(component_name="StaffQualityRowOutput")
    class RowSerializer(serializers.Serializer):
        project_id = serializers.IntegerField()
        title = serializers.CharField()
        organization = serializers.CharField()
        task_type = serializers.CharField()
        computed_at = serializers.DateTimeField()
        annotations = serializers.IntegerField()
        experts = serializers.IntegerField()
        alpha = EstimateSerializer(allow_null=True)
        gold_mean_accuracy = serializers.FloatField(allow_null=True)
        open_flags = serializers.IntegerField()

    @extend_schema(
        tags=TAG,
        summary="Staff and auditors: quality across projects",
        responses=RowSerializer(many=True),
    )
    def get(self, request):
        rows = selectors.quality_overview_for_staff(user=request.user)
        return Response(self.RowSerializer([overview_row(r) for r in rows], many=True).data)


def overview_row(row) -> dict:
    data = row.snapshot.data
    criteria = data.get("criteria") or [{}]
    return {
        "project_id": row.project.pk,
        "title": row.project.title,
        "organization": row.project.organization.name,
        "task_type": row.project.task_type,
        "computed_at": row.snapshot.computed_at,
        "annotations": row.snapshot.n_annotations,
        "experts": data.get("totals", {}).get("experts", 0),
        "alpha": criteria[0].get("alpha"),
        "gold_mean_accuracy": data.get("gold", {}).get("mean_accuracy"),
        "open_flags": row.open_flags,
    }
