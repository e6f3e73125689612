from django.urls import path

from marketplace.api import company, expert, staff

urlpatterns = [
    # Company side
    path("projects/", company.ProjectListCreateApi.as_view(), name="api-projects"),
    path("projects/<int:project_id>/", company.ProjectDetailApi.as_view(), name="api-project"),
    path(
        "projects/<int:project_id>/transition/",
        company.ProjectTransitionApi.as_view(),
        name="api-project-transition",
    ),
    path(
        "projects/<int:project_id>/response-schema/",
        company.ProjectResponseSchemaApi.as_view(),
        name="api-project-response-schema",
    ),
    path(
        "projects/<int:project_id>/validate-response/",
        company.ProjectValidateResponseApi.as_view(),
        name="api-project-validate-response",
    ),
    path(
        "projects/<int:project_id>/budget/",
        company.ProjectBudgetApi.as_view(),
        name="api-project-budget",
    ),
    path(
        "projects/<int:project_id>/requirements/",
        company.ProjectRequirementsApi.as_view(),
        name="api-project-requirements",
    ),
    path(
        "projects/<int:project_id>/eligible-experts/",
        company.EligibleExpertListApi.as_view(),
        name="api-project-eligible-experts",
    ),
    path(
        "projects/<int:project_id>/invitations/",
        company.ProjectInvitationListCreateApi.as_view(),
        name="api-project-invitations",
    ),
    path(
        "projects/<int:project_id>/invitations/<int:invitation_id>/revoke/",
        company.ProjectInvitationRevokeApi.as_view(),
        name="api-project-invitation-revoke",
    ),
    path(
        "projects/<int:project_id>/applications/",
        company.ProjectApplicationListApi.as_view(),
        name="api-project-applications",
    ),
    path(
        "projects/<int:project_id>/applications/<int:application_id>/decide/",
        company.ProjectApplicationDecideApi.as_view(),
        name="api-project-application-decide",
    ),
    path("task-types/", company.TaskTypeListApi.as_view(), name="api-task-types"),
    path("pay-floor/", company.PayFloorApi.as_view(), name="api-pay-floor"),
    # Expert side
    path("jobs/", expert.JobListApi.as_view(), name="api-jobs"),
    path("jobs/within-reach/", expert.JobsWithinReachApi.as_view(), name="api-jobs-within-reach"),
    path("jobs/<int:project_id>/", expert.JobDetailApi.as_view(), name="api-job"),
    path("jobs/<int:project_id>/opt-in/", expert.JobOptInApi.as_view(), name="api-job-opt-in"),
    path("jobs/<int:project_id>/apply/", expert.JobApplyApi.as_view(), name="api-job-apply"),
    path(
        "me/project-invitations/",
        expert.MyInvitationListApi.as_view(),
        name="api-my-project-invitations",
    ),
    path(
        "me/project-invitations/<int:invitation_id>/respond/",
        expert.MyInvitationRespondApi.as_view(),
        name="api-my-project-invitation-respond",
    ),
    path(
        "me/project-applications/",
        expert.MyApplicationListApi.as_view(),
        name="api-my-project-applications",
    ),
    path(
        "me/project-applications/<int:application_id>/withdraw/",
        expert.MyApplicationWithdrawApi.as_view(),
        name="api-my-project-application-withdraw",
    ),
    # Staff
    path("staff/domain-floors/", staff.DomainFloorListApi.as_view(), name="api-domain-floors"),
    path(
        "staff/domain-floors/<int:domain_id>/",
        staff.DomainFloorDeleteApi.as_view(),
        name="api-domain-floor",
    ),
    path(
        "staff/projects/<int:project_id>/mark-funded/",
        staff.MarkFundedApi.as_view(),
        name="api-project-mark-funded",
    ),
]
