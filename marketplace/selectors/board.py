"""The expert side: the job board and what an expert may open.

Eligibility is decided in SQL first (a project whose requirement rows the expert's active
qualification levels, languages and country all meet) so that filtering, ranking and paging
happen in the database whatever the number of live projects; the qualifications eligibility
selector then confirms the rows of the page and writes the "why not" messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from marketplace.models import (
    ContentOptIn,
    Project,
    ProjectApplication,
    ProjectCountry,
    ProjectDomainRequirement,
    ProjectInvitation,
    ProjectLanguage,
    ProjectStatus,
    Visibility,
)
from marketplace.selectors.projects import REQUIREMENT_PREFETCH, project_requirements
from qualifications.models import ExpertLanguage
from qualifications.selectors import (
    DomainTree,
    Eligibility,
    active_qualification_levels,
    domain_tree,
    eligibility_for_expert,
)

# A project that requires a domain the expert holds directly (not only through a parent) ranks
# as if it paid this much more (percent): a cardiologist sees cardiology first at equal pay.
FIT_BONUS_PERCENT = 10


@dataclass(frozen=True)
class ExpertFacts:
    expert_id: int
    country: str
    languages: frozenset[str]
    own_levels: dict[int, int]  # domains held directly
    levels: dict[int, int]  # propagated to ancestors
    tree: DomainTree = field(repr=False)


def expert_facts(*, expert: User) -> ExpertFacts:
    """What the board needs about one expert: three small queries."""
    tree = domain_tree()
    own = active_qualification_levels(expert_ids=[expert.pk]).get(expert.pk, {})
    levels: dict[int, int] = {}
    for domain_id, level in own.items():
        for node in (domain_id, *tree.ancestor_ids(domain_id)):
            levels[node] = max(levels.get(node, 0), level)
    rows = list(
        ExpertLanguage.objects.filter(profile__user_id=expert.pk).values_list(
            "language", "profile__country"
        )
    )
    languages = frozenset(code.lower() for code, _ in rows)
    if rows:
        country = rows[0][1] or ""
    else:
        country = (
            User.objects.filter(pk=expert.pk)
            .values_list("expert_profile__country", flat=True)
            .first()
            or ""
        )
    return ExpertFacts(
        expert_id=expert.pk,
        country=country.upper(),
        languages=languages,
        own_levels=own,
        levels=levels,
        tree=tree,
    )


def _meets_domains(facts: ExpertFacts) -> Q:
    """Q on ProjectDomainRequirement: this requirement is met by the expert."""
    met = Q(pk__in=[])
    for level in (1, 2, 3):
        domains = [d for d, have in facts.levels.items() if have >= level]
        if domains:
            met |= Q(min_level=level, domain_id__in=domains)
    return met


def expert_tokens(facts: ExpertFacts) -> list[str]:
    """The requirement tokens this expert meets (see Project.board_requirements): a domain
    requirement "d<domain>:<level>" for every level up to the one held, and "l:<language>"."""
    tokens = [
        f"d{domain_id}:{level}"
        for domain_id, have in facts.levels.items()
        for level in range(1, have + 1)
    ]
    tokens += [f"l:{code}" for code in facts.languages]
    return sorted(tokens)


def eligible_filter(facts: ExpertFacts) -> Q:
    """Q on Project: every requirement is met (the SQL twin of the eligibility selector).

    On PostgreSQL it reads only the project row's mirrors (jsonb containment); elsewhere (the
    SQLite demo) it asks the requirement tables."""
    if connection.vendor == "postgresql":
        return eligible_by_mirrors(facts)
    return eligible_by_requirement_rows(facts)


def eligible_by_mirrors(facts: ExpertFacts) -> Q:
    q = Q(board_requirements__contained_by=expert_tokens(facts))
    if not facts.country:
        return q & Q(board_countries_allow=[], board_countries_deny=[])
    return (
        q
        & ~Q(board_countries_deny__contains=[facts.country])
        & (Q(board_countries_allow=[]) | Q(board_countries_allow__contains=[facts.country]))
    )


def eligible_by_requirement_rows(facts: ExpertFacts) -> Q:
    unmet_domain = ProjectDomainRequirement.objects.filter(project=OuterRef("pk")).exclude(
        _meets_domains(facts)
    )
    unmet_language = ProjectLanguage.objects.filter(project=OuterRef("pk")).exclude(
        language__in=list(facts.languages)
    )
    q = ~Exists(unmet_domain) & ~Exists(unmet_language)
    if not facts.country:
        return q & ~Exists(ProjectCountry.objects.filter(project=OuterRef("pk")))
    denied = ProjectCountry.objects.filter(
        project=OuterRef("pk"), mode="deny", country=facts.country
    )
    allowed = ProjectCountry.objects.filter(
        project=OuterRef("pk"), mode="allow", country=facts.country
    )
    return q & ~Exists(denied) & (Q(board_countries_allow=[]) | Exists(allowed))


def _open_now() -> Q:
    return Q(status=ProjectStatus.LIVE) & (
        Q(deadline__isnull=True) | Q(deadline__gt=timezone.now())
    )


def _fit(facts: ExpertFacts):
    """1 when the project requires a domain the expert holds directly (not only through a
    parent), else 0. On PostgreSQL a test on the row's mirror; elsewhere an uncorrelated IN
    (hashed once), not a per-row subquery: the board ranks thousands of rows."""
    own = list(facts.own_levels)
    if not own:
        return Value(0, output_field=IntegerField())
    if connection.vendor == "postgresql":
        held = [f"d{domain_id}:{level}" for domain_id in own for level in (1, 2, 3)]
        return Case(
            When(board_requirements__has_any_keys=held, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    specialty = (
        ProjectDomainRequirement.objects.filter(domain_id__in=own).order_by().values("project_id")
    )
    return Case(
        When(pk__in=Subquery(specialty), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def job_board_queryset(
    *,
    facts: ExpertFacts,
    domain_id: int | None = None,
    task_type: str | None = None,
    min_hourly_minor: int | None = None,
) -> QuerySet:
    """(pk, fit) of the live projects the expert is eligible for, best first: ranked by
    effective hourly rate, boosted by fit (required domains the expert holds directly). Page
    it, then load the page with job_board_projects."""
    qs = Project.objects.filter(_open_now() & eligible_filter(facts))
    if domain_id is not None:
        subtree = [domain_id, *_descendants(facts.tree, domain_id)]
        qs = qs.filter(
            Exists(
                ProjectDomainRequirement.objects.filter(
                    project=OuterRef("pk"), domain_id__in=subtree
                )
            )
        )
    if task_type:
        qs = qs.filter(task_type=task_type)
    if min_hourly_minor:
        qs = qs.filter(effective_hourly_minor__gte=min_hourly_minor)
    return (
        qs.annotate(fit=_fit(facts))
        .annotate(rank_score=F("effective_hourly_minor") * (100 + FIT_BONUS_PERCENT * F("fit")))
        .order_by("-rank_score", "-effective_hourly_minor", "id")
        .values_list("pk", "fit", named=True)
    )


# Wide columns a board row never shows (instructions and schemas are for the job page).
BOARD_DEFERRED = (
    "task_config",
    "response_schema",
    "instructions",
    "examples",
    "board_requirements",
    "board_countries_allow",
    "board_countries_deny",
)


def job_board_projects(entries) -> list[Project]:
    """The projects of one page of job_board_queryset, in its order, with `fit` set.

    Ranking runs on narrow rows (an index-only scan of live projects); only the page's projects
    are read in full, here."""
    entries = list(entries)
    by_id = (
        Project.objects.select_related("organization__marketplace_stats")
        .defer(*BOARD_DEFERRED)
        .in_bulk([e.pk for e in entries])
    )
    projects = []
    for entry in entries:
        project = by_id.get(entry.pk)
        if project is not None:
            project.fit = entry.fit
            projects.append(project)
    return projects


def _descendants(tree: DomainTree, domain_id: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for node, parent in tree.parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(node)
    out, stack = [], [domain_id]
    while stack:
        for child in children.get(stack.pop(), ()):
            out.append(child)
            stack.append(child)
    return out


# --- Rows of a page --------------------------------------------------------------------------


class Admission:
    OPEN = "open"  # open project: start when ready
    INVITED = "invited"  # invitation waiting for the expert's answer
    ADMITTED = "admitted"  # invite-only: invitation accepted or application approved
    APPLIED = "applied"  # invite-only: application pending
    DECLINED = "declined"  # invite-only: application rejected or invitation declined
    CAN_APPLY = "can_apply"  # invite-only: may apply with a note


@dataclass
class JobRow:
    project: Project
    eligibility: Eligibility
    admission: str
    opted_in: bool
    invitation: ProjectInvitation | None = None
    application: ProjectApplication | None = None

    @property
    def can_work(self) -> bool:
        return self.eligibility.eligible and self.admission in (Admission.OPEN, Admission.ADMITTED)

    @property
    def needs_opt_in(self) -> bool:
        return bool(self.project.content_warning) and not self.opted_in


def _admission(project, invitation, application) -> str:
    if project.visibility == Visibility.OPEN:
        return Admission.OPEN
    if (invitation and invitation.status == ProjectInvitation.Status.ACCEPTED) or (
        application and application.status == ProjectApplication.Status.APPROVED
    ):
        return Admission.ADMITTED
    if invitation and invitation.status == ProjectInvitation.Status.PENDING:
        return Admission.INVITED
    if application and application.status == ProjectApplication.Status.PENDING:
        return Admission.APPLIED
    if (application and application.status == ProjectApplication.Status.REJECTED) or (
        invitation and invitation.status == ProjectInvitation.Status.DECLINED
    ):
        return Admission.DECLINED
    return Admission.CAN_APPLY


ELIGIBLE = Eligibility(eligible=True, missing=())


def job_rows(
    *, expert: User, projects: list[Project], known_eligible: bool = False
) -> list[JobRow]:
    """Decorate a page of projects for one expert: eligibility (and why not), admission, content
    opt-in. A constant number of queries, whatever the page size.

    With `known_eligible` (rows that came through eligible_filter, the SQL twin of the
    eligibility selector) the selector is not asked again; otherwise it decides, and writes the
    "why not" messages."""
    if not projects:
        return []
    ids = [p.pk for p in projects]
    if known_eligible:
        verdicts = dict.fromkeys(ids, ELIGIBLE)
    else:
        from django.db.models import prefetch_related_objects

        prefetch_related_objects(projects, *REQUIREMENT_PREFETCH)
        verdicts = eligibility_for_expert(
            expert=expert, requirements={p.pk: project_requirements(p) for p in projects}
        )
    # Admission rows only exist for invite-only projects, opt-ins only under a content warning:
    # skip the query when the page has none.
    invite_only = [p.pk for p in projects if p.visibility == Visibility.INVITE_ONLY]
    warned = [p.pk for p in projects if p.content_warning]
    invitations = (
        {
            i.project_id: i
            for i in ProjectInvitation.objects.filter(expert=expert, project_id__in=invite_only)
        }
        if invite_only
        else {}
    )
    applications = (
        {
            a.project_id: a
            for a in ProjectApplication.objects.filter(expert=expert, project_id__in=invite_only)
        }
        if invite_only
        else {}
    )
    opted = (
        set(
            ContentOptIn.objects.filter(expert=expert, project_id__in=warned).values_list(
                "project_id", flat=True
            )
        )
        if warned
        else set()
    )
    return [
        JobRow(
            project=p,
            eligibility=verdicts[p.pk],
            admission=_admission(p, invitations.get(p.pk), applications.get(p.pk)),
            opted_in=p.pk in opted,
            invitation=invitations.get(p.pk),
            application=applications.get(p.pk),
        )
        for p in projects
    ]


def job_board_rows(*, expert: User, projects: list[Project]) -> list[JobRow]:
    """Rows for a page of job_board_queryset (already filtered to eligible projects in SQL)."""
    return job_rows(expert=expert, projects=projects, known_eligible=True)


def within_reach(*, expert: User, facts: ExpertFacts, limit: int = 5) -> list[JobRow]:
    """Live projects the expert is not yet eligible for but is on the way to: one of their
    required domains is in the expert's own domain tree (e.g. they hold Law level 1 and the
    project needs Law level 2). Shown with the reasons, never openable."""
    if not facts.levels:
        return []
    near = ProjectDomainRequirement.objects.filter(
        project=OuterRef("pk"), domain_id__in=list(facts.levels)
    )
    projects = list(
        Project.objects.filter(_open_now() & Exists(near))
        .exclude(eligible_filter(facts))
        .select_related("organization__marketplace_stats")
        .order_by("-effective_hourly_minor", "id")[:limit]
    )
    return [
        row for row in job_rows(expert=expert, projects=projects) if not row.eligibility.eligible
    ]


def job_get_for_expert(*, expert: User, project_id: int) -> JobRow:
    """A live (or paused) project the expert is eligible for; 404 otherwise, so that a project
    an expert does not qualify for cannot be opened by URL."""
    project = (
        Project.objects.filter(pk=project_id, status__in=[ProjectStatus.LIVE, ProjectStatus.PAUSED])
        .select_related("organization__marketplace_stats")
        .first()
    )
    if project is None:
        raise Http404
    row = job_rows(expert=expert, projects=[project])[0]
    if not row.eligibility.eligible:
        raise Http404
    return row


def invitations_for_expert(*, expert: User) -> QuerySet[ProjectInvitation]:
    return (
        ProjectInvitation.objects.filter(expert=expert)
        .select_related("project__organization")
        .order_by("-created_at")
    )


def applications_for_expert(*, expert: User) -> QuerySet[ProjectApplication]:
    return (
        ProjectApplication.objects.filter(expert=expert)
        .select_related("project__organization")
        .order_by("-created_at")
    )


def expert_can_work(*, expert: User, project: Project) -> bool:
    """For labeling: live, eligible, admitted and (with a content warning) opted in."""
    if project.status != ProjectStatus.LIVE:
        return False
    row = job_rows(expert=expert, projects=[project])[0]
    return row.can_work and not row.needs_opt_in
