"""Spend blocking: payments tells the marketplace that a project's escrow cannot cover another
task (or can again). `check_expert_can_work` refuses new claims while the flag is set, so
labeling stops serving work without knowing anything about payments."""

from django.db import transaction
from django.utils import timezone

from accounts.services import audit_record
from marketplace.models import Project


@transaction.atomic
def project_set_spend_blocked(*, project: Project, blocked: bool, reason: str = "") -> bool:
    """Set or clear the flag; returns True when it changed (and audits the change)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    reason = reason[:300] if blocked else ""
    if project.spend_blocked == blocked and project.spend_blocked_reason == reason:
        return False
    changed = project.spend_blocked != blocked
    project.spend_blocked = blocked
    project.spend_blocked_reason = reason
    project.updated_at = timezone.now()
    project.save(update_fields=["spend_blocked", "spend_blocked_reason", "updated_at"])
    if changed:
        audit_record(
            actor=None,
            verb="project.spend_blocked" if blocked else "project.spend_unblocked",
            target=project,
            details={"reason": reason},
        )
    return changed
