from django.urls import path

from marketplace.views import company, expert, wizard

app_name = "marketplace"

urlpatterns = [
    # Company
    path("company/projects/", company.project_list, name="company_projects"),
    path("company/projects/new/", wizard.wizard_new, name="project_new"),
    path("company/projects/edit/<str:token>/<slug:step>/", wizard.wizard_step, name="wizard_step"),
    path("company/projects/<int:project_id>/", company.project_detail, name="company_project"),
    path("company/projects/<int:project_id>/edit/", wizard.wizard_edit, name="project_edit"),
    path(
        "company/projects/<int:project_id>/transition/",
        company.project_transition,
        name="company_project_transition",
    ),
    path(
        "company/projects/<int:project_id>/preview/",
        company.project_preview,
        name="company_project_preview",
    ),
    path(
        "company/projects/<int:project_id>/experts/",
        company.project_experts,
        name="company_project_experts",
    ),
    path(
        "company/projects/<int:project_id>/experts/<int:invitation_id>/revoke/",
        company.invitation_revoke,
        name="company_invitation_revoke",
    ),
    path(
        "company/projects/<int:project_id>/applications/",
        company.project_applications,
        name="company_project_applications",
    ),
    # Expert
    path("jobs/", expert.job_board, name="jobs"),
    path("jobs/invitations/", expert.my_invitations, name="my_invitations"),
    path(
        "jobs/invitations/<int:invitation_id>/respond/",
        expert.invitation_respond,
        name="invitation_respond",
    ),
    path("jobs/<int:project_id>/", expert.job_detail, name="job"),
    path("jobs/<int:project_id>/opt-in/", expert.job_opt_in, name="job_opt_in"),
    path("jobs/<int:project_id>/apply/", expert.job_apply, name="job_apply"),
]
