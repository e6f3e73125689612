from django.urls import path

from accounts.api import views

urlpatterns = [
    path("me/", views.MeApi.as_view(), name="api-me"),
    path("tokens/", views.ApiTokenListCreateApi.as_view(), name="api-tokens"),
    path("tokens/<int:token_id>/", views.ApiTokenRevokeApi.as_view(), name="api-token-revoke"),
    path("organizations/", views.OrganizationListApi.as_view(), name="api-organizations"),
    path(
        "organizations/<int:org_id>/",
        views.OrganizationDetailApi.as_view(),
        name="api-organization",
    ),
    path("organizations/<int:org_id>/members/", views.MemberListApi.as_view(), name="api-members"),
    path(
        "organizations/<int:org_id>/members/<int:membership_id>/",
        views.MemberDetailApi.as_view(),
        name="api-member",
    ),
    path(
        "organizations/<int:org_id>/invitations/",
        views.InvitationListCreateApi.as_view(),
        name="api-invitations",
    ),
    path(
        "invitations/<str:token>/accept/",
        views.InvitationAcceptApi.as_view(),
        name="api-invitation-accept",
    ),
    path("audit-events/", views.AuditEventListApi.as_view(), name="api-audit-events"),
]
