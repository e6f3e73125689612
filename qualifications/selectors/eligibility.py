"""Eligibility: does an expert meet a set of requirements, and if not, what is missing?

Built for the marketplace: one expert × many projects (job board) and one project × many
experts (matching) each run in a constant number of queries, whatever the number of rows.

A qualification counts while active (not revoked, not expired). A qualification in a domain
also satisfies a requirement on any of that domain's ancestors (Cardiology level 2 meets
"Medicine level 2"), never the other way round.
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Max, QuerySet
from django.utils import timezone

from accounts.models import User
from qualifications.models import ExpertLanguage, Qualification
from qualifications.selectors.domains import DomainTree, domain_tree

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class DomainRequirement:
    domain_id: int
    min_level: int  # 1..3


@dataclass(frozen=True)
class Requirements:
    domains: tuple[DomainRequirement, ...] = ()
    languages: tuple[str, ...] = ()  # ISO 639-1 codes; the expert must have ALL
    countries_allow: tuple[str, ...] = ()  # empty = any
    countries_deny: tuple[str, ...] = ()


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    missing: tuple[str, ...]  # human reasons: "needs Law › Contract law level 2"


@dataclass(frozen=True)
class _ExpertFacts:
    country: str
    languages: frozenset[str]
    levels: dict[int, int]  # domain id -> best active level, propagated to ancestors


def active_qualification_levels(*, expert_ids) -> dict[int, dict[int, int]]:
    """expert id -> {domain id: best active level} (own domains only, no propagation). One query.

    `expert_ids` may be an iterable of ids or a queryset of ids (then used as a subquery)."""
    if not isinstance(expert_ids, QuerySet):
        expert_ids = list(expert_ids)
    rows = (
        Qualification.objects.active(timezone.now())
        .filter(expert_id__in=expert_ids)
        .values("expert_id", "domain_id")
        .annotate(best=Max("level"))
        .order_by()
    )
    result: dict[int, dict[int, int]] = {}
    for row in rows:
        result.setdefault(row["expert_id"], {})[row["domain_id"]] = row["best"]
    return result


def _propagate(levels: dict[int, int], tree: DomainTree) -> dict[int, int]:
    """A level in a domain counts for each of its ancestors too."""
    effective: dict[int, int] = {}
    for domain_id, level in levels.items():
        for node in (domain_id, *tree.ancestor_ids(domain_id)):
            if effective.get(node, 0) < level:
                effective[node] = level
    return effective


def _evaluate(
    facts: _ExpertFacts, requirements: Requirements, tree: DomainTree | None
) -> Eligibility:
    missing: list[str] = []
    for req in requirements.domains:
        if facts.levels.get(req.domain_id, 0) < req.min_level:
            name = tree.path(req.domain_id) if tree else f"domain #{req.domain_id}"
            missing.append(f"needs {name} level {req.min_level}")
    for code in requirements.languages:
        if code.lower() not in facts.languages:
            missing.append(f"needs language: {code.lower()}")
    allow = {c.upper() for c in requirements.countries_allow}
    deny = {c.upper() for c in requirements.countries_deny}
    if allow or deny:
        if not facts.country:
            missing.append("needs your country in your profile")
        elif (allow and facts.country not in allow) or facts.country in deny:
            missing.append("not available in your country")
    return Eligibility(eligible=not missing, missing=tuple(missing))


def _facts_for(
    *,
    expert_ids,
    with_country: bool,
    with_languages: bool,
    with_domains: bool,
    tree: DomainTree | None,
) -> tuple[list[int], dict[int, _ExpertFacts]]:
    """Load what eligibility needs about these experts in at most three queries."""
    if isinstance(expert_ids, QuerySet) or with_country:
        rows = list(
            User.objects.filter(pk__in=expert_ids).values_list("pk", "expert_profile__country")
        )
        ids = [pk for pk, _ in rows]
        countries = {pk: (country or "").upper() for pk, country in rows}
    else:
        ids, countries = list(expert_ids), {}
    languages: dict[int, set[str]] = {}
    if with_languages and ids:
        for user_id, code in ExpertLanguage.objects.filter(profile__user_id__in=ids).values_list(
            "profile__user_id", "language"
        ):
            languages.setdefault(user_id, set()).add(code.lower())
    levels = active_qualification_levels(expert_ids=ids) if with_domains and ids else {}
    facts = {
        pk: _ExpertFacts(
            country=countries.get(pk, ""),
            languages=frozenset(languages.get(pk, ())),
            levels=_propagate(levels.get(pk, {}), tree) if tree else {},
        )
        for pk in ids
    }
    return ids, facts


def eligibility_for_expert(
    *, expert: User, requirements: Mapping[K, Requirements]
) -> dict[K, Eligibility]:
    """One expert × many requirement sets (e.g. projects). Constant number of queries."""
    reqs = list(requirements.values())
    with_domains = any(r.domains for r in reqs)
    tree = domain_tree() if with_domains else None
    _, facts = _facts_for(
        expert_ids=[expert.pk],
        with_country=any(r.countries_allow or r.countries_deny for r in reqs),
        with_languages=any(r.languages for r in reqs),
        with_domains=with_domains,
        tree=tree,
    )
    mine = facts.get(expert.pk, _ExpertFacts(country="", languages=frozenset(), levels={}))
    return {key: _evaluate(mine, req, tree) for key, req in requirements.items()}


def eligibility_for_experts(
    *, experts: Iterable[User] | QuerySet, requirements: Requirements
) -> dict[int, Eligibility]:
    """Many experts × one requirement set (e.g. a project). Keyed by expert id. Constant queries."""
    expert_ids = experts.values("pk") if isinstance(experts, QuerySet) else [e.pk for e in experts]
    tree = domain_tree() if requirements.domains else None
    ids, facts = _facts_for(
        expert_ids=expert_ids,
        with_country=bool(requirements.countries_allow or requirements.countries_deny),
        with_languages=bool(requirements.languages),
        with_domains=bool(requirements.domains),
        tree=tree,
    )
    return {pk: _evaluate(facts[pk], requirements, tree) for pk in ids}
