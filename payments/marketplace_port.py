"""The two things payments needs from the marketplace, in one place: a project's budget and
telling the marketplace that a project is funded (information flows right-to-left through the
marketplace's own service, never by writing its rows)."""

from marketplace.models import Project, ProjectStatus
from marketplace.selectors import project_budget
from marketplace.selectors.floors import pay_floor_minor
from marketplace.services import project_mark_funded


def project_budget_total_minor(project: Project) -> int:
    """Task pay + platform fee + fair-pay reserve, as the marketplace computes it."""
    return project_budget(project).total_minor


def project_fair_pay_reserve_minor(project: Project) -> int:
    """The part of the budget kept in escrow for fair-pay top-ups."""
    return project_budget(project).fair_pay_reserve_minor


def project_floor_minor(project: Project) -> int:
    """The hourly floor that applies to the project (platform minimum or a domain's)."""
    domain_ids = [r.domain_id for r in project.domain_requirements.all()]
    return pay_floor_minor(domain_ids=domain_ids)


def project_accepts_funding(project: Project) -> bool:
    return project.status not in (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED)


def project_mark_funded_from_escrow(*, project: Project, amount_minor: int, reference: str) -> None:
    """draft → funded once escrow covers the budget; top-ups of a funded or live project leave
    its status alone. The marketplace service locks the project row and audits the move."""
    if project.status == ProjectStatus.DRAFT:
        project_mark_funded(
            project=project, actor=None, amount_minor=amount_minor, reference=reference
        )
