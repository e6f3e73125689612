"""Qualifications: domains, expert profile details, credentials, tests, qualifications."""

from qualifications.models.credentials import Credential, evidence_upload_to
from qualifications.models.domains import Domain, ExpertDomain, ExpertLanguage
from qualifications.models.grants import Qualification
from qualifications.models.tests import Attempt, AttemptAnswer, QualificationTest, Question

__all__ = [
    "Attempt",
    "AttemptAnswer",
    "Credential",
    "Domain",
    "ExpertDomain",
    "ExpertLanguage",
    "Qualification",
    "QualificationTest",
    "Question",
    "evidence_upload_to",
]
