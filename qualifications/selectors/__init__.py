"""Reads for qualifications, shared by pages, API and tasks."""

from qualifications.selectors.domains import DomainTree, domain_choices, domain_list, domain_tree
from qualifications.selectors.eligibility import (
    DomainRequirement,
    Eligibility,
    Requirements,
    active_qualification_levels,
    eligibility_for_expert,
    eligibility_for_experts,
)
from qualifications.selectors.experts import (
    Completeness,
    TestSummary,
    attempt_for_expert,
    attempt_questions,
    attempt_results,
    credential_for_evidence,
    credential_review_queue,
    credentials_for_expert,
    profile_completeness,
    profile_for_expert,
    qualifications_for_expert,
    qualifications_for_staff,
    tests_for_expert,
)

__all__ = [
    "Completeness",
    "DomainRequirement",
    "DomainTree",
    "Eligibility",
    "Requirements",
    "TestSummary",
    "active_qualification_levels",
    "attempt_for_expert",
    "attempt_questions",
    "attempt_results",
    "credential_for_evidence",
    "credential_review_queue",
    "credentials_for_expert",
    "domain_choices",
    "domain_list",
    "domain_tree",
    "eligibility_for_expert",
    "eligibility_for_experts",
    "profile_completeness",
    "profile_for_expert",
    "qualifications_for_expert",
    "qualifications_for_staff",
    "tests_for_expert",
]
