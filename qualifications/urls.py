from django.urls import path

from qualifications.views import expert, staff

app_name = "qualifications"

urlpatterns = [
    path("expert/profile/", expert.profile, name="profile"),
    path("expert/profile/<slug:step>/", expert.profile_step, name="profile_step"),
    path("expert/credentials/", expert.credentials, name="credentials"),
    path(
        "credentials/<int:credential_id>/evidence/",
        expert.credential_evidence,
        name="credential_evidence",
    ),
    path("expert/tests/", expert.tests, name="tests"),
    path("expert/tests/<int:test_id>/start/", expert.test_start, name="test_start"),
    path("expert/attempts/<int:attempt_id>/", expert.attempt, name="attempt"),
    path("expert/qualifications/", expert.my_qualifications, name="my_qualifications"),
    path("staff/credentials/", staff.credential_queue, name="staff_queue"),
    path("staff/credentials/<int:credential_id>/", staff.credential_review, name="staff_review"),
    path(
        "staff/credentials/<int:credential_id>/evidence/",
        staff.credential_evidence_embed,
        name="staff_evidence",
    ),
    path("staff/qualifications/", staff.qualifications, name="staff_qualifications"),
    path(
        "staff/qualifications/<int:qualification_id>/revoke/",
        staff.qualification_revoke,
        name="staff_revoke",
    ),
]
