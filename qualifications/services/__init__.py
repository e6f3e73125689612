"""Writes for qualifications: one transaction per use case, checks first, then the write."""

from qualifications.services.credentials import (
    credential_reject,
    credential_submit,
    credential_verify,
    credentials_expire_due,
    evidence_check,
)
from qualifications.services.grants import qualification_grant, qualification_revoke
from qualifications.services.profiles import (
    profile_edit,
    profile_set_domains,
    profile_set_languages,
    profile_update,
)
from qualifications.services.tests import (
    attempt_answer,
    attempt_grade,
    attempt_start,
    attempt_submit,
    attempts_grade_overdue,
    question_create,
    test_create,
)

__all__ = [
    "attempt_answer",
    "attempt_grade",
    "attempt_start",
    "attempt_submit",
    "attempts_grade_overdue",
    "credential_reject",
    "credential_submit",
    "credential_verify",
    "credentials_expire_due",
    "evidence_check",
    "profile_edit",
    "profile_set_domains",
    "profile_set_languages",
    "profile_update",
    "qualification_grant",
    "qualification_revoke",
    "question_create",
    "test_create",
]
