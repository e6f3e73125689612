"""How experts get into projects: invitations, applications, content-warning opt-in."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from core.exceptions import Conflict, InvalidState, NotFound, ValidationFailed
from marketplace.exceptions import ExpertsOnly, NotEligible, ProjectNotLive
from marketplace.models import (
    ContentOptIn,
    Project,
    ProjectApplication,
    ProjectInvitation,
    ProjectStatus,
    Visibility,
)
from marketplace.selectors.board import job_rows
from marketplace.selectors.projects import project_requirements
from marketplace.services.projects import check_can_manage
from qualifications.selectors import eligibility_for_experts

OPEN_FOR_PEOPLE = (
    ProjectStatus.DRAFT,
    ProjectStatus.FUNDED,
    ProjectStatus.LIVE,
    ProjectStatus.PAUSED,
)


def check_expert(user: User) -> None:
    if user.kind != User.Kind.EXPERT or not hasattr(user, "expert_profile"):
        raise ExpertsOnly()


def check_eligible(*, expert: User, project: Project) -> None:
    """NotFound for an expert who does not meet the requirements: the project stays hidden."""
    row = job_rows(expert=expert, projects=[project])[0]
    if not row.eligibility.eligible:
        raise NotFound()


@transaction.atomic
def invitation_send(
    *,
    project: Project,
    actor: User,
    expert: User,
    message: str = "",
    request: HttpRequest | None = None,
) -> ProjectInvitation:
    check_can_manage(user=actor, project=project)
    if project.status not in OPEN_FOR_PEOPLE:
        raise InvalidState("This project is closed.")
    check_expert(expert)
    verdict = eligibility_for_experts(experts=[expert], requirements=project_requirements(project))
    if not verdict.get(expert.pk) or not verdict[expert.pk].eligible:
        missing = verdict[expert.pk].missing if expert.pk in verdict else ()
        raise NotEligible(
            "This expert does not meet the project's requirements"
            + (": " + "; ".join(missing) if missing else "."),
        )
    invitation, created = ProjectInvitation.objects.select_for_update().get_or_create(
        project=project,
        expert=expert,
        defaults={"invited_by": actor, "message": message.strip()[:2000]},
    )
    if not created:
        if invitation.status in (
            ProjectInvitation.Status.PENDING,
            ProjectInvitation.Status.ACCEPTED,
        ):
            raise Conflict("This expert is already invited.")
        invitation.status = ProjectInvitation.Status.PENDING
        invitation.invited_by = actor
        invitation.message = message.strip()[:2000]
        invitation.created_at = timezone.now()
        invitation.responded_at = None
        invitation.save()
    audit_record(
        actor=actor,
        verb="project.expert_invited",
        target=project,
        request=request,
        details={"expert": expert.pk},
    )
    return invitation


@transaction.atomic
def invitation_respond(
    *,
    invitation: ProjectInvitation,
    expert: User,
    accept: bool,
    request: HttpRequest | None = None,
) -> ProjectInvitation:
    invitation = (
        ProjectInvitation.objects.select_for_update()
        .select_related("project")
        .get(pk=invitation.pk)
    )
    if invitation.expert_id != expert.pk:
        raise NotFound()
    if invitation.status != ProjectInvitation.Status.PENDING:
        raise InvalidState("This invitation was already answered or withdrawn.")
    if accept:
        check_eligible(expert=expert, project=invitation.project)
    invitation.status = (
        ProjectInvitation.Status.ACCEPTED if accept else ProjectInvitation.Status.DECLINED
    )
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    audit_record(
        actor=expert,
        verb=f"project.invitation_{invitation.status}",
        target=invitation.project,
        request=request,
    )
    return invitation


@transaction.atomic
def invitation_revoke(
    *, invitation: ProjectInvitation, actor: User, request: HttpRequest | None = None
) -> ProjectInvitation:
    invitation = (
        ProjectInvitation.objects.select_for_update()
        .select_related("project")
        .get(pk=invitation.pk)
    )
    check_can_manage(user=actor, project=invitation.project)
    if invitation.status != ProjectInvitation.Status.PENDING:
        raise InvalidState("Only a pending invitation can be withdrawn.")
    invitation.status = ProjectInvitation.Status.REVOKED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at"])
    audit_record(
        actor=actor,
        verb="project.invitation_revoked",
        target=invitation.project,
        request=request,
        details={"expert": invitation.expert_id},
    )
    return invitation


@transaction.atomic
def application_submit(
    *, project: Project, expert: User, note: str, request: HttpRequest | None = None
) -> ProjectApplication:
    """An eligible expert asks to join an invite-only project."""
    check_expert(expert)
    if project.status != ProjectStatus.LIVE:
        raise ProjectNotLive()
    check_eligible(expert=expert, project=project)
    if project.visibility != Visibility.INVITE_ONLY:
        raise InvalidState("This project is open: no application is needed.")
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationFailed(fields={"note": ["At most 2,000 characters."]})
    application, created = ProjectApplication.objects.select_for_update().get_or_create(
        project=project, expert=expert, defaults={"note": note}
    )
    if not created:
        if application.status != ProjectApplication.Status.WITHDRAWN:
            raise Conflict("You already applied to this project.")
        application.status = ProjectApplication.Status.PENDING
        application.note = note
        application.created_at = timezone.now()
        application.save()
    audit_record(
        actor=expert, verb="project.application_submitted", target=project, request=request
    )
    return application


@transaction.atomic
def application_decide(
    *,
    application: ProjectApplication,
    actor: User,
    approve: bool,
    note: str = "",
    request: HttpRequest | None = None,
) -> ProjectApplication:
    application = (
        ProjectApplication.objects.select_for_update()
        .select_related("project")
        .get(pk=application.pk)
    )
    check_can_manage(user=actor, project=application.project)
    if application.status != ProjectApplication.Status.PENDING:
        raise InvalidState("This application was already decided or withdrawn.")
    application.status = (
        ProjectApplication.Status.APPROVED if approve else ProjectApplication.Status.REJECTED
    )
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.decision_note = (note or "").strip()[:2000]
    application.save()
    audit_record(
        actor=actor,
        verb=f"project.application_{application.status}",
        target=application.project,
        request=request,
        details={"expert": application.expert_id},
    )
    return application


@transaction.atomic
def application_withdraw(
    *, application: ProjectApplication, expert: User, request: HttpRequest | None = None
) -> ProjectApplication:
    application = ProjectApplication.objects.select_for_update().get(pk=application.pk)
    if application.expert_id != expert.pk:
        raise NotFound()
    if application.status != ProjectApplication.Status.PENDING:
        raise InvalidState("Only a pending application can be withdrawn.")
    application.status = ProjectApplication.Status.WITHDRAWN
    application.save(update_fields=["status"])
    return application


@transaction.atomic
def content_opt_in(
    *, project: Project, expert: User, request: HttpRequest | None = None
) -> ContentOptIn:
    """The expert has read the content warning and chooses to see this project's items."""
    check_expert(expert)
    check_eligible(expert=expert, project=project)
    if not project.content_warning:
        raise InvalidState("This project has no content warning.")
    opt_in, created = ContentOptIn.objects.get_or_create(
        project=project, expert=expert, defaults={"category": project.content_warning}
    )
    if created:
        audit_record(
            actor=expert,
            verb="project.content_opt_in",
            target=project,
            request=request,
            details={"category": project.content_warning},
        )
    return opt_in


def check_project_takes_work(project: Project) -> None:
    """The project's own side of serving a task: live, and its budget not used up."""
    if project.status != ProjectStatus.LIVE:
        raise ProjectNotLive()
    if project.spend_blocked:
        raise InvalidState(
            project.spend_blocked_reason
            or "This project's budget is used up; no new tasks until the company adds funds.",
            code="spend_blocked",
        )


def check_expert_can_work(*, project: Project, expert: User) -> None:
    """For labeling, before a task is served: live, eligible, admitted, opted in."""
    # Only experts work: without this, any signed-in company member could lease items.
    check_expert(expert)
    check_project_takes_work(project)
    row = job_rows(expert=expert, projects=[project])[0]
    if not row.eligibility.eligible:
        raise NotEligible(
            "You no longer meet this project's requirements: " + "; ".join(row.eligibility.missing)
        )
    if not row.can_work:
        raise NotEligible(
            "This project is invite-only; you need an invitation or an approved application."
        )
    if row.needs_opt_in:
        raise InvalidState("Read and accept the content warning first.", code="needs_opt_in")
    if project.spend_blocked:
        raise InvalidState(
            project.spend_blocked_reason or "This project's budget is used up for now.",
            code="spend_blocked",
        )
