from django.urls import path

from labeling.views import exports as export_views
from labeling.views import imports as import_views
from labeling.views import workspace

urlpatterns: list = [
    # Expert workspace
    path("work/", workspace.my_work, name="my_work"),
    path("work/projects/<int:project_id>/", workspace.workspace_project, name="workspace_project"),
    path("work/tasks/<int:task_id>/", workspace.workspace_task, name="workspace_task"),
    # Company: items import and exports
    path(
        "company/projects/<int:project_id>/imports/",
        import_views.project_imports,
        name="company_project_imports",
    ),
    path(
        "company/projects/<int:project_id>/imports/<int:job_id>/row/",
        import_views.import_job_row,
        name="company_import_job_row",
    ),
    path(
        "company/projects/<int:project_id>/exports/",
        export_views.project_exports,
        name="company_project_exports",
    ),
    path(
        "company/projects/<int:project_id>/exports/<int:job_id>/row/",
        export_views.export_job_row,
        name="company_export_job_row",
    ),
    path(
        "company/projects/<int:project_id>/exports/<int:job_id>/download/",
        export_views.export_job_download,
        name="company_export_job_download",
    ),
]

# --- review, appeals, webhooks (labeling/views/review.py, labeling/views/webhooks.py) ---
from labeling.views import review as review_views  # noqa: E402
from labeling.views import webhooks as webhook_views  # noqa: E402

urlpatterns += [
    path(
        "company/projects/<int:project_id>/review/", review_views.review_queue, name="review_queue"
    ),
    path(
        "company/projects/<int:project_id>/review/bulk-accept/",
        review_views.review_bulk_accept,
        name="review_bulk_accept",
    ),
    path(
        "company/review/annotations/<int:annotation_id>/accept/",
        review_views.review_accept,
        name="review_accept",
    ),
    path(
        "company/review/annotations/<int:annotation_id>/reject/",
        review_views.review_reject,
        name="review_reject",
    ),
    path("staff/appeals/", review_views.staff_appeals, name="staff_appeals"),
    path("staff/appeals/<int:appeal_id>/", review_views.staff_appeal_detail, name="staff_appeal"),
    path("work/appeals/", review_views.my_appeals, name="my_appeals"),
    path(
        "work/annotations/<int:annotation_id>/appeal/",
        review_views.annotation_appeal,
        name="annotation_appeal",
    ),
    path(
        "work/projects/<int:project_id>/suspension/",
        review_views.my_suspension,
        name="my_suspension",
    ),
    path(
        "company/organizations/<int:org_id>/webhooks/",
        webhook_views.webhook_endpoints,
        name="webhook_endpoints",
    ),
    path(
        "company/webhooks/<int:endpoint_id>/",
        webhook_views.webhook_endpoint_detail,
        name="webhook_endpoint",
    ),
]

# --- quality analytics pages (labeling/quality/views.py) ---
from labeling.quality import views as quality_views  # noqa: E402

urlpatterns += [
    path(
        "company/projects/<int:project_id>/quality/",
        quality_views.project_quality,
        name="quality_dashboard",
    ),
    path(
        "company/projects/<int:project_id>/quality/judges/",
        quality_views.judge_report,
        name="quality_judges",
    ),
    path(
        "company/projects/<int:project_id>/quality/flags/<int:flag_id>/review/",
        quality_views.flag_review,
        name="quality_flag_review",
    ),
    path(
        "company/projects/<int:project_id>/quality/gold/<int:item_id>/retire/",
        quality_views.gold_retire,
        name="quality_gold_retire",
    ),
    path(
        "company/projects/<int:project_id>/quality/recompute/",
        quality_views.recompute,
        name="quality_recompute",
    ),
    path("staff/quality/", quality_views.staff_overview, name="staff_quality"),
]
