"""Marketplace test helpers. Projects are posted through the service (so every invariant holds)
and then moved along the lifecycle through the services too."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import Role
from marketplace import services
from marketplace.models import Project, ProjectStatus
from qualifications.models import Domain, ExpertLanguage, Qualification
from tests.factories import CompanyUserFactory, MembershipFactory


def domain(slug: str) -> Domain:
    return Domain.objects.get(slug=slug)


def qualify(expert, slug: str, level: int, **extra) -> Qualification:
    return Qualification.objects.create(
        expert=expert,
        domain=domain(slug),
        level=level,
        source=Qualification.Source.STAFF,
        note="test grant",
        **extra,
    )


def speak(expert, *codes: str) -> None:
    for code in codes:
        ExpertLanguage.objects.get_or_create(
            profile=expert.expert_profile, language=code, defaults={"proficiency": "professional"}
        )


def project_data(**overrides) -> dict:
    data = {
        "title": "Compare answers to cardiology questions",
        "summary": "Pick the better of two model answers.",
        "task_type": "pairwise",
        "instructions": "# Read carefully\n\nChoose the **safer** answer.",
        "pay_per_task_minor": 500,  # 5.00 for 10 minutes = 30.00/h
        "estimated_minutes": 10,
        "item_count": 100,
        "overlap": 3,
        "currency": "USD",
    }
    data.update(overrides)
    return data


def _owner_of(organization):
    membership = organization.memberships.filter(role=Role.OWNER).select_related("user").first()
    if membership:
        return membership.user
    return MembershipFactory(
        organization=organization, role=Role.OWNER, user=CompanyUserFactory()
    ).user


def make_project(
    organization, *, status: str = ProjectStatus.DRAFT, actor=None, **overrides
) -> Project:
    actor = actor or _owner_of(organization)
    project = services.project_create(
        organization=organization, actor=actor, data=project_data(**overrides)
    )
    if status == ProjectStatus.DRAFT:
        return project
    project = services.project_mark_funded(project=project, actor=None)
    if status == ProjectStatus.FUNDED:
        return project
    if status == ProjectStatus.CANCELLED:
        return services.project_transition(project=project, actor=actor, to_status=status)
    project = services.project_transition(project=project, actor=actor, to_status="live")
    if status != ProjectStatus.LIVE:
        project = services.project_transition(project=project, actor=actor, to_status=status)
    return project


def future(days: int = 30):
    return timezone.now() + timedelta(days=days)


def clone_live(project: Project, count: int) -> list[Project]:
    """`count` copies of a live project with the same requirement rows, bulk-inserted (for
    query-count and volume tests; the copies satisfy the same invariants as the original)."""
    from marketplace.models import ProjectCountry, ProjectDomainRequirement, ProjectLanguage

    fields = [f.name for f in Project._meta.concrete_fields if f.name not in ("id",)]
    copies = Project.objects.bulk_create(
        [Project(**{name: getattr(project, name) for name in fields}) for _ in range(count)]
    )
    reqs = list(project.domain_requirements.all())
    langs = list(project.languages.all())
    countries = list(project.countries.all())
    ProjectDomainRequirement.objects.bulk_create(
        ProjectDomainRequirement(project=c, domain_id=r.domain_id, min_level=r.min_level)
        for c in copies
        for r in reqs
    )
    ProjectLanguage.objects.bulk_create(
        ProjectLanguage(project=c, language=lang.language) for c in copies for lang in langs
    )
    ProjectCountry.objects.bulk_create(
        ProjectCountry(project=c, country=x.country, mode=x.mode) for c in copies for x in countries
    )
    services.requirement_mirrors_refresh(project_ids=[c.pk for c in copies])
    return copies
