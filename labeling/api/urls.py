from django.urls import path

from labeling.api import work

# Each labeling API module appends its routes here.
urlpatterns: list = [
    path("projects/<int:project_id>/tasks/next/", work.TaskNextApi.as_view(), name="api-task-next"),
    path("tasks/<int:task_id>/", work.TaskDetailApi.as_view(), name="api-task"),
    path("tasks/<int:task_id>/draft/", work.TaskDraftApi.as_view(), name="api-task-draft"),
    path("tasks/<int:task_id>/release/", work.TaskReleaseApi.as_view(), name="api-task-release"),
    path("tasks/<int:task_id>/submit/", work.TaskSubmitApi.as_view(), name="api-task-submit"),
    path("my/annotations/", work.MyAnnotationListApi.as_view(), name="api-my-annotations"),
    path(
        "my/annotations/<int:annotation_id>/",
        work.MyAnnotationDetailApi.as_view(),
        name="api-my-annotation",
    ),
]
