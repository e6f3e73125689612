"""Reads for the marketplace, shared by pages, API and (later) labeling."""

from marketplace.selectors.board import (
    Admission,
    ExpertFacts,
    JobRow,
    applications_for_expert,
    eligible_filter,
    expert_can_work,
    expert_facts,
    invitations_for_expert,
    job_board_projects,
    job_board_queryset,
    job_board_rows,
    job_get_for_expert,
    job_rows,
    within_reach,
)
from marketplace.selectors.experts import (
    ExpertMatch,
    expert_matches,
    experts_eligible_for_project,
)
from marketplace.selectors.floors import domain_floors, pay_floor_minor
from marketplace.selectors.projects import (
    member_role,
    project_applications,
    project_budget,
    project_get_for_member,
    project_invitations,
    project_requirements,
    projects_for_user,
)

__all__ = [
    "Admission",
    "ExpertFacts",
    "ExpertMatch",
    "JobRow",
    "applications_for_expert",
    "domain_floors",
    "eligible_filter",
    "expert_can_work",
    "expert_facts",
    "expert_matches",
    "experts_eligible_for_project",
    "invitations_for_expert",
    "job_board_projects",
    "job_board_queryset",
    "job_board_rows",
    "job_get_for_expert",
    "job_rows",
    "member_role",
    "pay_floor_minor",
    "project_applications",
    "project_budget",
    "project_get_for_member",
    "project_invitations",
    "project_requirements",
    "projects_for_user",
    "within_reach",
]
