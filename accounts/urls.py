from django.urls import path

from accounts import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("expert/", views.expert_home, name="expert_home"),
    path("company/", views.company_home, name="company_home"),
    path("staff/", views.staff_home, name="staff_home"),
    path(
        "organizations/<int:org_id>/members/",
        views.organization_members,
        name="organization_members",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("settings/tokens/", views.api_tokens, name="api_tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
