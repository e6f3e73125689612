"""Project use cases: create, update, lifecycle transitions, funding, response validation."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Organization, Role, User
from accounts.services import audit_record, check_org_role
from core.exceptions import ValidationFailed
from marketplace.exceptions import (
    BelowPayFloor,
    IllegalTransition,
    ProjectNotEditable,
    StaffOnly,
)
from marketplace.models import (
    Project,
    ProjectCountry,
    ProjectDomainRequirement,
    ProjectLanguage,
    ProjectStatus,
)
from marketplace.money import effective_hourly_minor, format_minor
from marketplace.selectors.floors import pay_floor_minor
from marketplace.services.checks import (
    EDITABLE_AFTER_FUNDING,
    REQUIREMENT_FIELDS,
    check_project_data,
)
from marketplace.task_types import task_type

# --- checks --------------------------------------------------------------------------------------


def check_pay_floor(
    *, pay_per_task_minor: int, estimated_minutes: int, currency: str, domain_ids
) -> int:
    """The effective hourly rate, or BelowPayFloor whose message states the rate and the floor."""
    rate = effective_hourly_minor(
        pay_per_task_minor=pay_per_task_minor, estimated_minutes=estimated_minutes
    )
    floor = pay_floor_minor(domain_ids=domain_ids)
    if rate < floor:
        message = (
            f"Pay of {format_minor(pay_per_task_minor, currency)} per task for an estimated "
            f"{estimated_minutes} minutes is an effective hourly rate of "
            f"{format_minor(rate, currency)}, below the fair-pay floor of "
            f"{format_minor(floor, currency)} per hour."
        )
        raise BelowPayFloor(
            message,
            fields={"pay_per_task_minor": [message]},
        )
    return rate


def check_can_manage(*, user: User, project: Project) -> None:
    """Managers and owners edit and run projects; 404 to outsiders, 403 to viewers/reviewers."""
    check_org_role(user=user, organization=project.organization, minimum=Role.MANAGER)


# --- writes --------------------------------------------------------------------------------------


def _write_requirements(project: Project, data: dict) -> None:
    project.domain_requirements.all().delete()
    project.languages.all().delete()
    project.countries.all().delete()
    ProjectDomainRequirement.objects.bulk_create(
        ProjectDomainRequirement(
            project=project, domain_id=d["domain_id"], min_level=d["min_level"]
        )
        for d in data["domains"]
    )
    ProjectLanguage.objects.bulk_create(
        ProjectLanguage(project=project, language=code) for code in data["languages"]
    )
    ProjectCountry.objects.bulk_create(
        [ProjectCountry(project=project, country=c, mode="allow") for c in data["countries_allow"]]
        + [ProjectCountry(project=project, country=c, mode="deny") for c in data["countries_deny"]]
    )
    requirement_mirrors_refresh(project_ids=[project.pk])
    project.refresh_from_db(fields=BOARD_MIRRORS)


BOARD_MIRRORS = ["board_requirements", "board_countries_allow", "board_countries_deny"]


def requirement_mirrors_refresh(*, project_ids) -> None:
    """Copy the requirement rows of these projects into their `board_*` fields (what the job
    board filters on). Call after writing requirement rows; bulk loaders call it once."""
    project_ids = list(project_ids)
    mirrors = {pk: {name: [] for name in BOARD_MIRRORS} for pk in project_ids}
    for pk, domain_id, level in ProjectDomainRequirement.objects.filter(
        project_id__in=project_ids
    ).values_list("project_id", "domain_id", "min_level"):
        mirrors[pk]["board_requirements"].append(f"d{domain_id}:{level}")
    for pk, code in ProjectLanguage.objects.filter(project_id__in=project_ids).values_list(
        "project_id", "language"
    ):
        mirrors[pk]["board_requirements"].append(f"l:{code.lower()}")
    for pk, code, mode in ProjectCountry.objects.filter(project_id__in=project_ids).values_list(
        "project_id", "country", "mode"
    ):
        mirrors[pk][f"board_countries_{mode}"].append(code.upper())
    projects = []
    for pk, fields in mirrors.items():
        project = Project(pk=pk)
        for name, values in fields.items():
            setattr(project, name, sorted(values))
        projects.append(project)
    Project.objects.bulk_update(projects, BOARD_MIRRORS, batch_size=1000)


def _apply(project: Project, data: dict) -> None:
    for name, value in data.items():
        if name not in REQUIREMENT_FIELDS:
            setattr(project, name, value)
    project.response_schema = task_type(project.task_type).response_schema(project.task_config)
    project.effective_hourly_minor = effective_hourly_minor(
        pay_per_task_minor=project.pay_per_task_minor, estimated_minutes=project.estimated_minutes
    )


@transaction.atomic
def project_create(
    *, organization: Organization, actor: User, data: dict, request: HttpRequest | None = None
) -> Project:
    """Post a new project as a draft. `data` holds the fields of marketplace.services.checks.
    FIELDS; the pay is checked against the fair-pay floor."""
    check_org_role(user=actor, organization=organization, minimum=Role.MANAGER)
    clean = check_project_data(data, partial=False)
    check_pay_floor(
        pay_per_task_minor=clean["pay_per_task_minor"],
        estimated_minutes=clean["estimated_minutes"],
        currency=clean["currency"],
        domain_ids=[d["domain_id"] for d in clean["domains"]],
    )
    project = Project(organization=organization, created_by=actor)
    _apply(project, clean)
    project.save()
    _write_requirements(project, clean)
    audit_record(
        actor=actor,
        verb="project.created",
        target=project,
        request=request,
        details={
            "task_type": project.task_type,
            "pay_per_task_minor": project.pay_per_task_minor,
            "estimated_minutes": project.estimated_minutes,
        },
    )
    return project


@transaction.atomic
def project_update(
    *, project: Project, actor: User, data: dict, request: HttpRequest | None = None
) -> Project:
    """Change some fields. A draft can change everything; once funded, only the fields in
    EDITABLE_AFTER_FUNDING (money and requirements are fixed by the escrow)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    check_can_manage(user=actor, project=project)
    if project.is_terminal:
        raise ProjectNotEditable(f"A {project.get_status_display().lower()} project is closed.")
    if project.status != ProjectStatus.DRAFT:
        locked = sorted(set(data) - EDITABLE_AFTER_FUNDING)
        if locked:
            raise ProjectNotEditable(
                "Once a project is funded, its task, pay and requirements are fixed.",
                fields={name: ["Cannot change after funding."] for name in locked},
            )
    current = project_current_data(project)
    merged = {**current, **data}
    clean = check_project_data(merged, partial=False, changed=set(data))
    check_pay_floor(
        pay_per_task_minor=clean["pay_per_task_minor"],
        estimated_minutes=clean["estimated_minutes"],
        currency=clean["currency"],
        domain_ids=[d["domain_id"] for d in clean["domains"]],
    )
    changed = sorted(k for k in data if clean.get(k) != current.get(k))
    _apply(project, clean)
    project.updated_at = timezone.now()
    project.save()
    if REQUIREMENT_FIELDS & set(changed):
        _write_requirements(project, clean)
    audit_record(
        actor=actor,
        verb="project.updated",
        target=project,
        request=request,
        details={"changed": changed},
    )
    return project


def project_current_data(project: Project) -> dict:
    """The project as the input dict project_create takes (used to merge partial updates)."""
    data = {
        name: getattr(project, name)
        for name in (
            "title",
            "summary",
            "task_type",
            "task_config",
            "instructions",
            "examples",
            "content_warning",
            "content_warning_note",
            "currency",
            "pay_per_task_minor",
            "estimated_minutes",
            "item_count",
            "overlap",
            "gold_ratio_bps",
            "review_window_days",
            "max_tasks_per_expert",
            "deadline",
            "visibility",
        )
    }
    data["domains"] = [
        {"domain_id": r.domain_id, "min_level": r.min_level}
        for r in project.domain_requirements.all()
    ]
    countries = list(project.countries.all())
    data["languages"] = [lang.language for lang in project.languages.all()]
    data["countries_allow"] = [c.country for c in countries if c.mode == "allow"]
    data["countries_deny"] = [c.country for c in countries if c.mode == "deny"]
    return data


_TIMESTAMP = {
    ProjectStatus.LIVE: "launched_at",
    ProjectStatus.COMPLETED: "closed_at",
    ProjectStatus.CANCELLED: "closed_at",
}


def _check_legal(project: Project, to_status: str) -> None:
    before = project.status
    if not project.can_transition_to(to_status):
        raise IllegalTransition(
            f"A {ProjectStatus(before).label.lower()} project cannot become "
            f"{ProjectStatus(to_status).label.lower()}.",
            fields={
                "status": [
                    f"Allowed from {before}: "
                    + (", ".join(sorted(_allowed(project))) or "none")
                    + "."
                ]
            },
        )


def _move(project: Project, to_status: str, now: datetime) -> str:
    _check_legal(project, to_status)
    before = project.status
    project.status = to_status
    stamp = _TIMESTAMP.get(ProjectStatus(to_status))
    if stamp and (stamp != "launched_at" or project.launched_at is None):
        setattr(project, stamp, now)
    project.updated_at = now
    return before


def _allowed(project: Project) -> set[str]:
    from marketplace.models.projects import TRANSITIONS

    return {s for s in TRANSITIONS[ProjectStatus(project.status)] if s != ProjectStatus.FUNDED}


@transaction.atomic
def project_transition(
    *,
    project: Project,
    actor: User,
    to_status: str,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Project:
    """Launch, pause, resume, complete or cancel. Only legal moves; each one is audited.
    Funding is not a company action: see project_mark_funded."""
    project = Project.objects.select_for_update().select_related("organization").get(pk=project.pk)
    check_can_manage(user=actor, project=project)
    if to_status not in ProjectStatus.values:
        raise ValidationFailed(fields={"status": [f"Unknown status {to_status!r}."]})
    if to_status == ProjectStatus.FUNDED:
        raise IllegalTransition("A project becomes funded when its escrow is paid in.")
    _check_legal(project, to_status)
    if to_status == ProjectStatus.LIVE:
        check_pay_floor(
            pay_per_task_minor=project.pay_per_task_minor,
            estimated_minutes=project.estimated_minutes,
            currency=project.currency,
            domain_ids=project.domain_requirements.values_list("domain_id", flat=True),
        )
        if project.deadline and project.deadline <= timezone.now():
            raise IllegalTransition(
                "The deadline has passed; move it before going live.",
                fields={"deadline": ["Must be in the future."]},
            )
    before = _move(project, to_status, timezone.now())
    project.save()
    audit_record(
        actor=actor,
        verb="project.transitioned",
        target=project,
        request=request,
        details={"from": before, "to": to_status, "reason": reason},
    )
    return project


@transaction.atomic
def project_mark_funded(
    *,
    project: Project,
    actor: User | None = None,
    amount_minor: int | None = None,
    reference: str = "",
    request: HttpRequest | None = None,
) -> Project:
    """draft → funded. Called by the payments app once escrow is credited (actor=None), or by
    staff until then. Idempotent: an already funded project is returned unchanged."""
    if actor is not None and not actor.is_staff:
        raise StaffOnly("Only Plumbline staff (or the payments service) can mark a project funded.")
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status == ProjectStatus.FUNDED:
        return project
    now = timezone.now()
    before = _move(project, ProjectStatus.FUNDED, now)
    project.funded_at = now
    project.save()
    audit_record(
        actor=actor,
        verb="project.funded",
        target=project,
        request=request,
        details={
            "from": before,
            "to": project.status,
            "amount_minor": amount_minor,
            "reference": reference,
        },
    )
    return project


def project_validate_response(project: Project, response) -> None:
    """Raise ValidationFailed with {JSON pointer: [messages]} unless `response` matches the
    project's response schema (and the task type's extra rules)."""
    kind = task_type(project.task_type)
    fields = kind.response_errors(project.task_config, response, schema=project.response_schema)
    if fields:
        raise ValidationFailed("The response does not match this project's format.", fields=fields)
