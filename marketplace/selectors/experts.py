"""Company side: find experts eligible for a project, to invite them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from marketplace.models import Project, ProjectInvitation
from marketplace.selectors.board import _descendants
from marketplace.selectors.projects import project_requirements
from qualifications.models import ExpertLanguage, Qualification
from qualifications.selectors import Eligibility, domain_tree, eligibility_for_experts


def _has_level(domain_ids: list[int], min_level: int) -> Exists:
    return Exists(
        Qualification.objects.active(timezone.now()).filter(
            expert=OuterRef("pk"), domain_id__in=domain_ids, level__gte=min_level
        )
    )


def experts_eligible_for_project(
    *,
    project: Project,
    domain_id: int | None = None,
    min_level: int | None = None,
    language: str | None = None,
    min_weekly_hours: int | None = None,
) -> QuerySet[User]:
    """Experts who meet every requirement of the project (a qualification in a required
    domain or one of its sub-domains at the minimum level, every language, the country rules),
    narrowed by the search filters. Ordered by most recently active profile first."""
    requirements = project_requirements(project)
    tree = domain_tree()
    qs = User.objects.filter(kind=User.Kind.EXPERT, is_active=True, expert_profile__isnull=False)
    for req in requirements.domains:
        qs = qs.filter(
            _has_level([req.domain_id, *_descendants(tree, req.domain_id)], req.min_level)
        )
    for code in requirements.languages:
        qs = qs.filter(
            Exists(ExpertLanguage.objects.filter(profile__user=OuterRef("pk"), language=code))
        )
    if requirements.countries_allow:
        qs = qs.filter(expert_profile__country__in=requirements.countries_allow)
    if requirements.countries_deny:
        qs = qs.exclude(expert_profile__country__in=requirements.countries_deny).exclude(
            expert_profile__country=""
        )
    if domain_id is not None:
        qs = qs.filter(_has_level([domain_id, *_descendants(tree, domain_id)], min_level or 1))
    if language:
        qs = qs.filter(
            Exists(
                ExpertLanguage.objects.filter(
                    profile__user=OuterRef("pk"), language=language.lower()
                )
            )
        )
    if min_weekly_hours:
        qs = qs.filter(expert_profile__weekly_availability_hours__gte=min_weekly_hours)
    invited = ProjectInvitation.objects.filter(project=project, expert=OuterRef("pk"))
    return (
        qs.select_related("expert_profile")
        .annotate(already_invited=Exists(invited))
        .order_by("-expert_profile__updated_at", "id")
    )


@dataclass(frozen=True)
class ExpertMatch:
    expert: User
    eligibility: Eligibility
    levels: dict[int, int]
    already_invited: bool


def expert_matches(*, project: Project, experts: list[User]) -> list[ExpertMatch]:
    """Confirm a page of search results with the eligibility selector. Constant queries."""
    from qualifications.selectors import active_qualification_levels

    if not experts:
        return []
    verdicts = eligibility_for_experts(experts=experts, requirements=project_requirements(project))
    levels = active_qualification_levels(expert_ids=[e.pk for e in experts])
    return [
        ExpertMatch(
            expert=e,
            eligibility=verdicts.get(e.pk, Eligibility(eligible=False, missing=("unknown",))),
            levels=levels.get(e.pk, {}),
            already_invited=getattr(e, "already_invited", False),
        )
        for e in experts
        if verdicts.get(e.pk) and verdicts[e.pk].eligible
    ]


__all__ = ["ExpertMatch", "expert_matches", "experts_eligible_for_project"]
