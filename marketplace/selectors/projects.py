"""Company-side reads: projects scoped to the requester's organizations."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import Membership, Role, User
from marketplace.models import (
    Project,
    ProjectApplication,
    ProjectCountry,
    ProjectDomainRequirement,
    ProjectInvitation,
)
from marketplace.money import Budget, budget_for
from qualifications.selectors import DomainRequirement, Requirements

REQUIREMENT_PREFETCH = (
    Prefetch("domain_requirements", queryset=ProjectDomainRequirement.objects.order_by("id")),
    "languages",
    Prefetch("countries", queryset=ProjectCountry.objects.order_by("mode", "country")),
)


def projects_for_user(*, user: User) -> QuerySet[Project]:
    """Projects of every organization the user belongs to (any role)."""
    return (
        Project.objects.filter(organization__memberships__user=user)
        .select_related("organization")
        .order_by("-created_at", "-id")
    )


def project_get_for_member(*, user: User, project_id: int) -> Project:
    """A project of one of the user's organizations (staff: any project); 404 otherwise, so
    another organization's drafts are not even disclosed."""
    qs = Project.objects.all() if user.is_staff else projects_for_user(user=user)
    project = (
        qs.select_related("organization", "created_by")
        .prefetch_related(*REQUIREMENT_PREFETCH)
        .filter(pk=project_id)
        .first()
    )
    if project is None:
        raise Http404
    return project


def member_role(*, user: User, project: Project) -> str | None:
    if user.is_staff:
        return Role.OWNER
    return (
        Membership.objects.filter(organization_id=project.organization_id, user=user)
        .values_list("role", flat=True)
        .first()
    )


def project_requirements(project: Project) -> Requirements:
    """The project's requirements for the qualifications eligibility selector (uses prefetched
    rows when present)."""
    countries = list(project.countries.all())
    return Requirements(
        domains=tuple(
            DomainRequirement(domain_id=r.domain_id, min_level=r.min_level)
            for r in project.domain_requirements.all()
        ),
        languages=tuple(lang.language for lang in project.languages.all()),
        countries_allow=tuple(c.country for c in countries if c.mode == "allow"),
        countries_deny=tuple(c.country for c in countries if c.mode == "deny"),
    )


def project_budget(project: Project) -> Budget:
    return budget_for(
        items=project.item_count,
        overlap=project.overlap,
        pay_per_task_minor=project.pay_per_task_minor,
        currency=project.currency,
    )


def project_invitations(*, project: Project) -> QuerySet[ProjectInvitation]:
    return project.invitations.select_related("expert__expert_profile").order_by("-created_at")


def project_applications(*, project: Project) -> QuerySet[ProjectApplication]:
    return project.applications.select_related("expert__expert_profile").order_by(
        "status", "-created_at"
    )
