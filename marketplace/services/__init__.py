"""Writes for the marketplace: one transaction per use case; checks first, then the write."""

from marketplace.services.checks import check_project_data
from marketplace.services.engagement import (
    application_decide,
    application_submit,
    application_withdraw,
    check_expert_can_work,
    check_project_takes_work,
    content_opt_in,
    invitation_respond,
    invitation_revoke,
    invitation_send,
)
from marketplace.services.projects import (
    check_can_manage,
    check_pay_floor,
    project_create,
    project_mark_funded,
    project_transition,
    project_update,
    project_validate_response,
    requirement_mirrors_refresh,
)
from marketplace.services.spend import project_set_spend_blocked
from marketplace.services.stats import domain_floor_set, organization_stats_update

__all__ = [
    "application_decide",
    "application_submit",
    "application_withdraw",
    "check_can_manage",
    "check_expert_can_work",
    "check_project_takes_work",
    "check_pay_floor",
    "check_project_data",
    "content_opt_in",
    "domain_floor_set",
    "invitation_respond",
    "invitation_revoke",
    "invitation_send",
    "organization_stats_update",
    "project_create",
    "project_mark_funded",
    "project_set_spend_blocked",
    "project_transition",
    "project_update",
    "project_validate_response",
    "requirement_mirrors_refresh",
]
