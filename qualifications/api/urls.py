from django.urls import path

from qualifications.api import expert, staff

urlpatterns = [
    path("domains/", expert.DomainListApi.as_view(), name="api-domains"),
    path("profile/", expert.ProfileApi.as_view(), name="api-profile"),
    path("credentials/", expert.CredentialListCreateApi.as_view(), name="api-credentials"),
    path(
        "credentials/<int:credential_id>/evidence/",
        expert.CredentialEvidenceApi.as_view(),
        name="api-credential-evidence",
    ),
    path("qualification-tests/", expert.TestListApi.as_view(), name="api-qualification-tests"),
    path(
        "qualification-tests/<int:test_id>/attempts/",
        expert.AttemptStartApi.as_view(),
        name="api-attempt-start",
    ),
    path("attempts/<int:attempt_id>/", expert.AttemptDetailApi.as_view(), name="api-attempt"),
    path(
        "attempts/<int:attempt_id>/answers/",
        expert.AttemptAnswerApi.as_view(),
        name="api-attempt-answer",
    ),
    path(
        "attempts/<int:attempt_id>/submit/",
        expert.AttemptSubmitApi.as_view(),
        name="api-attempt-submit",
    ),
    path("qualifications/", expert.QualificationListApi.as_view(), name="api-qualifications"),
    # Staff
    path("staff/credentials/", staff.CredentialQueueApi.as_view(), name="api-staff-credentials"),
    path(
        "staff/credentials/<int:credential_id>/decision/",
        staff.CredentialDecisionApi.as_view(),
        name="api-staff-credential-decision",
    ),
    path(
        "staff/qualifications/",
        staff.QualificationGrantApi.as_view(),
        name="api-staff-qualifications",
    ),
    path(
        "staff/qualifications/<int:qualification_id>/revoke/",
        staff.QualificationRevokeApi.as_view(),
        name="api-staff-qualification-revoke",
    ),
    path(
        "staff/qualification-tests/",
        staff.TestAuthorApi.as_view(),
        name="api-staff-qualification-tests",
    ),
    path(
        "staff/qualification-tests/<int:test_id>/questions/",
        staff.QuestionAuthorApi.as_view(),
        name="api-staff-questions",
    ),
]
