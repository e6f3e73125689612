from django.urls import path

from labeling.api import work

# Each labeling API module appends its routes here.
urlpatterns: list = [
    path("projects/<int:project_id>/tasks/next/", work.TaskNextApi.as_view(), name="api-task-next"),
    path("tasks/<int:task_id>/submit/", work.TaskSubmitApi.as_view(), name="api-task-submit"),
    path("tasks/<int:task_id>/", work.TaskDetailApi.as_view(), name="api-task"),
    path("tasks/<int:task_id>/draft/", work.TaskDraftApi.as_view(), name="api-task-draft"),
    path("tasks/<int:task_id>/release/", work.TaskReleaseApi.as_view(), name="api-task-release"),
    path("my/annotations/", work.MyAnnotationListApi.as_view(), name="api-my-annotations"),
    path(
        "my/annotations/<int:annotation_id>/",
        work.MyAnnotationDetailApi.as_view(),
        name="api-my-annotation",
    ),
]

# --- items import and exports (labeling/api/imports.py, labeling/api/exports.py) ---
from labeling.api import exports as export_api  # noqa: E402
from labeling.api import imports as import_api  # noqa: E402

urlpatterns += [
    path(
        "projects/<int:project_id>/imports/",
        import_api.ImportListCreateApi.as_view(),
        name="api-project-imports",
    ),
    path(
        "projects/<int:project_id>/imports/<int:job_id>/",
        import_api.ImportDetailApi.as_view(),
        name="api-project-import",
    ),
    path(
        "projects/<int:project_id>/exports/",
        export_api.ExportJobListCreateApi.as_view(),
        name="api-project-export-jobs",
    ),
    path(
        "projects/<int:project_id>/exports/jobs/<int:job_id>/",
        export_api.ExportJobDetailApi.as_view(),
        name="api-project-export-job",
    ),
    path(
        "projects/<int:project_id>/exports/jobs/<int:job_id>/download/",
        export_api.ExportJobDownloadApi.as_view(),
        name="api-project-export-job-download",
    ),
    path(
        "projects/<int:project_id>/exports/<str:export_format>/",
        export_api.ExportDownloadApi.as_view(),
        name="api-project-export-download",
    ),
]

# --- review, appeals, webhooks (labeling/api/review.py, labeling/api/webhooks.py) ---
from labeling.api import review as review_api  # noqa: E402
from labeling.api import webhooks as webhook_api  # noqa: E402

urlpatterns += [
    path(
        "review/projects/<int:project_id>/queue/",
        review_api.ReviewQueueApi.as_view(),
        name="api-review-queue",
    ),
    path(
        "review/projects/<int:project_id>/bulk-accept/",
        review_api.AnnotationBulkAcceptApi.as_view(),
        name="api-review-bulk-accept",
    ),
    path(
        "review/annotations/<int:annotation_id>/",
        review_api.ReviewAnnotationDetailApi.as_view(),
        name="api-review-annotation",
    ),
    path(
        "review/annotations/<int:annotation_id>/accept/",
        review_api.AnnotationAcceptApi.as_view(),
        name="api-review-accept",
    ),
    path(
        "review/annotations/<int:annotation_id>/reject/",
        review_api.AnnotationRejectApi.as_view(),
        name="api-review-reject",
    ),
    path(
        "my/annotations/<int:annotation_id>/review/",
        review_api.MyAnnotationReviewApi.as_view(),
        name="api-my-annotation-review",
    ),
    path(
        "my/projects/<int:project_id>/suspension/",
        review_api.MySuspensionApi.as_view(),
        name="api-my-suspension",
    ),
    path("appeals/", review_api.MyAppealListCreateApi.as_view(), name="api-my-appeals"),
    path("appeals/<int:appeal_id>/", review_api.MyAppealDetailApi.as_view(), name="api-my-appeal"),
    path("staff/appeals/", review_api.StaffAppealQueueApi.as_view(), name="api-staff-appeals"),
    path(
        "staff/appeals/<int:appeal_id>/",
        review_api.StaffAppealDetailApi.as_view(),
        name="api-staff-appeal",
    ),
    path(
        "staff/appeals/<int:appeal_id>/decide/",
        review_api.StaffAppealDecideApi.as_view(),
        name="api-staff-appeal-decide",
    ),
    path(
        "webhooks/event-types/",
        webhook_api.WebhookEventTypesApi.as_view(),
        name="api-webhook-event-types",
    ),
    path(
        "webhooks/organizations/<int:org_id>/endpoints/",
        webhook_api.WebhookEndpointListCreateApi.as_view(),
        name="api-webhook-endpoints",
    ),
    path(
        "webhooks/endpoints/<int:endpoint_id>/",
        webhook_api.WebhookEndpointDetailApi.as_view(),
        name="api-webhook-endpoint",
    ),
    path(
        "webhooks/endpoints/<int:endpoint_id>/rotate-secret/",
        webhook_api.WebhookEndpointRotateSecretApi.as_view(),
        name="api-webhook-endpoint-rotate",
    ),
    path(
        "webhooks/endpoints/<int:endpoint_id>/deactivate/",
        webhook_api.WebhookEndpointDeactivateApi.as_view(),
        name="api-webhook-endpoint-deactivate",
    ),
    path(
        "webhooks/endpoints/<int:endpoint_id>/deliveries/",
        webhook_api.WebhookDeliveryListApi.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/replay/",
        webhook_api.WebhookDeliveryReplayApi.as_view(),
        name="api-webhook-delivery-replay",
    ),
]

# --- quality analytics (labeling/quality/api.py) ---
from labeling.quality import api as quality_api  # noqa: E402

urlpatterns += [
    path(
        "projects/<int:project_id>/quality/",
        quality_api.ProjectQualityApi.as_view(),
        name="api-project-quality",
    ),
    path(
        "projects/<int:project_id>/quality/experts/",
        quality_api.ProjectQualityExpertsApi.as_view(),
        name="api-project-quality-experts",
    ),
    path(
        "projects/<int:project_id>/quality/gold/",
        quality_api.ProjectGoldApi.as_view(),
        name="api-project-quality-gold",
    ),
    path(
        "projects/<int:project_id>/quality/gold/<int:item_id>/retire/",
        quality_api.GoldItemRetireApi.as_view(),
        name="api-project-quality-gold-retire",
    ),
    path(
        "projects/<int:project_id>/quality/flags/",
        quality_api.QualityFlagListApi.as_view(),
        name="api-project-quality-flags",
    ),
    path(
        "projects/<int:project_id>/quality/flags/<int:flag_id>/review/",
        quality_api.QualityFlagReviewApi.as_view(),
        name="api-project-quality-flag-review",
    ),
    path(
        "projects/<int:project_id>/quality/judges/",
        quality_api.JudgeVerdictUploadApi.as_view(),
        name="api-project-quality-judges",
    ),
    path(
        "projects/<int:project_id>/quality/judges/report/",
        quality_api.JudgeCalibrationReportApi.as_view(),
        name="api-project-quality-judge-report",
    ),
    path(
        "projects/<int:project_id>/quality/recompute/",
        quality_api.QualityRecomputeApi.as_view(),
        name="api-project-quality-recompute",
    ),
    path("staff/quality/", quality_api.StaffQualityOverviewApi.as_view(), name="api-staff-quality"),
]
