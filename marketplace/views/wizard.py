"""The company's step-by-step project editor: basics & task type → task configuration → terms
& pay → requirements → review. Progress is kept in the session; only the review step writes,
through project_create / project_update (which check everything, the pay floor included)."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from accounts.models import Membership, Organization, Role
from core.exceptions import DomainError, ValidationFailed
from marketplace import selectors, services
from marketplace.exceptions import BelowPayFloor
from marketplace.forms import (
    CONFIG_FORMS,
    BasicsForm,
    RequirementsForm,
    TermsForm,
)
from marketplace.models import ProjectStatus
from marketplace.money import budget_for, effective_hourly_minor, format_minor
from marketplace.services.projects import project_current_data
from marketplace.task_types import task_type
from marketplace.views.common import page_errors
from qualifications.selectors import domain_choices

STEPS = [
    ("basics", "Basics & task type"),
    ("config", "Task configuration"),
    ("terms", "Terms & pay"),
    ("requirements", "Requirements"),
    ("review", "Review"),
]
STEP_KEYS = [key for key, _ in STEPS]
SESSION_KEY = "marketplace_wizards"


def _manageable_orgs(user):
    roles = [Role.OWNER, Role.MANAGER]
    return Organization.objects.filter(
        memberships__user=user, memberships__role__in=roles
    ).order_by("name")


def _store(request) -> dict:
    return request.session.setdefault(SESSION_KEY, {})


def _state(request, token: str) -> dict:
    state = _store(request).get(token)
    if state is None:
        raise Http404
    return state


def _save(request, token: str, state: dict) -> None:
    store = _store(request)
    store[token] = state
    request.session.modified = True


def _serializable(data: dict) -> dict:
    out = dict(data)
    if out.get("deadline") is not None and not isinstance(out["deadline"], str):
        out["deadline"] = out["deadline"].isoformat()
    return out


@login_required
@page_errors
def wizard_new(request):
    orgs = list(_manageable_orgs(request.user))
    if not orgs:
        messages.error(request, "You need the manager or owner role in a company to post projects.")
        return redirect("marketplace:company_projects")
    token = secrets.token_urlsafe(8)
    _save(
        request,
        token,
        {"project_id": None, "organization_id": orgs[0].pk, "data": {}, "original": {}},
    )
    return redirect("marketplace:wizard_step", token=token, step="basics")


@login_required
@page_errors
def wizard_edit(request, project_id: int):
    project = selectors.project_get_for_member(user=request.user, project_id=project_id)
    services.check_can_manage(user=request.user, project=project)
    if project.is_terminal:
        messages.error(request, "A closed project cannot be edited.")
        return redirect("marketplace:company_project", project_id=project.pk)
    data = _serializable(project_current_data(project))
    token = secrets.token_urlsafe(8)
    _save(
        request,
        token,
        {
            "project_id": project.pk,
            "organization_id": project.organization_id,
            "data": data,
            "original": data,
        },
    )
    return redirect("marketplace:wizard_step", token=token, step="basics")


def _floor_and_rate(data: dict) -> tuple[int, int | None]:
    floor = selectors.pay_floor_minor(domain_ids=[d["domain_id"] for d in data.get("domains", [])])
    rate = None
    if data.get("pay_per_task_minor") and data.get("estimated_minutes"):
        rate = effective_hourly_minor(
            pay_per_task_minor=data["pay_per_task_minor"],
            estimated_minutes=data["estimated_minutes"],
        )
    return floor, rate


def _check_floor(data: dict) -> BelowPayFloor | None:
    if not (data.get("pay_per_task_minor") and data.get("estimated_minutes")):
        return None
    try:
        services.check_pay_floor(
            pay_per_task_minor=data["pay_per_task_minor"],
            estimated_minutes=data["estimated_minutes"],
            currency=data.get("currency", "USD"),
            domain_ids=[d["domain_id"] for d in data.get("domains", [])],
        )
    except BelowPayFloor as exc:
        return exc
    return None


def _service_data(state: dict) -> dict:
    data = dict(state["data"])
    if data.get("deadline"):
        data["deadline"] = parse_datetime(data["deadline"])
    return data


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def wizard_step(request, token: str, step: str):
    if step not in STEP_KEYS:
        raise Http404
    state = _state(request, token)
    data = state["data"]
    if step != "basics" and not data.get("task_type"):
        return redirect("marketplace:wizard_step", token=token, step="basics")
    if step in ("requirements", "review") and not data.get("pay_per_task_minor"):
        return redirect("marketplace:wizard_step", token=token, step="terms")
    editing = state["project_id"] is not None
    ctx = {
        "token": token,
        "step": step,
        "steps": STEPS,
        "editing": editing,
        "data": data,
        "step_index": STEP_KEYS.index(step) + 1,
    }
    post = request.POST if request.method == "POST" else None
    next_step = STEP_KEYS[min(STEP_KEYS.index(step) + 1, len(STEP_KEYS) - 1)]

    if step == "basics":
        orgs = _manageable_orgs(request.user)
        initial = {
            "organization": state["organization_id"],
            **{
                k: data.get(k)
                for k in (
                    "title",
                    "summary",
                    "task_type",
                    "instructions",
                    "content_warning",
                    "content_warning_note",
                    "visibility",
                )
                if data.get(k) is not None
            },
        }
        form = BasicsForm(post, initial=initial, organizations=orgs, lock_task_type=editing)
        if post is not None and form.is_valid():
            values = dict(form.cleaned_data)
            org_id = values.pop("organization")
            if not editing:
                state["organization_id"] = org_id
            if data.get("task_type") != values["task_type"]:
                data["task_config"] = task_type(values["task_type"]).default_config()
                data["examples"] = []
            data.update(values)
            _save(request, token, state)
            return redirect("marketplace:wizard_step", token=token, step=next_step)
        ctx["form"] = form

    elif step == "config":
        form_class = CONFIG_FORMS[data["task_type"]]
        config = data.get("task_config") or task_type(data["task_type"]).default_config()
        form = form_class(post, initial=form_class.initial_from(config, data.get("examples", [])))
        if post is not None and form.is_valid():
            try:
                kind = task_type(data["task_type"])
                new_config = kind.validate_config(form.to_config())
                examples = form.examples()
                for i, ex in enumerate(examples):
                    if ex["response"] is not None:
                        errors = kind.response_errors(new_config, ex["response"])
                        if errors:
                            raise ValidationFailed(
                                "The example response does not match the task format.",
                                fields={
                                    f"examples/{i}/response{k if k != '/' else ''}": v
                                    for k, v in errors.items()
                                },
                            )
            except DomainError as exc:
                ctx["service_error"] = exc
            else:
                data["task_config"] = new_config
                data["examples"] = examples
                _save(request, token, state)
                return redirect("marketplace:wizard_step", token=token, step=next_step)
        ctx["form"] = form
        ctx["kind"] = task_type(data["task_type"])

    elif step == "terms":
        form = TermsForm(post, initial=TermsForm.initial_from(data))
        if post is not None and form.is_valid():
            candidate = {**data, **form.to_data()}
            refusal = _check_floor(candidate)
            if refusal is None:
                data.update(form.to_data())
                _save(request, token, state)
                return redirect("marketplace:wizard_step", token=token, step=next_step)
            ctx["floor_refusal"] = refusal.message
            form.add_error("pay_per_task", refusal.message)
        ctx["form"] = form
        floor, rate = _floor_and_rate(data)
        ctx["floor_minor"] = floor
        ctx["floor_text"] = format_minor(floor, data.get("currency", "USD"))

    elif step == "requirements":
        form = RequirementsForm(
            post, initial=RequirementsForm.initial_from(data), domain_choices=domain_choices()
        )
        if post is not None and form.is_valid():
            candidate = {**data, **form.to_data()}
            refusal = _check_floor(candidate)
            if refusal is None:
                data.update(form.to_data())
                _save(request, token, state)
                return redirect("marketplace:wizard_step", token=token, step=next_step)
            ctx["floor_refusal"] = refusal.message
        ctx["form"] = form

    else:  # review
        if post is not None:
            try:
                project = _commit(request, state)
            except DomainError as exc:
                ctx["service_error"] = exc
            else:
                _store(request).pop(token, None)
                request.session.modified = True
                messages.success(
                    request,
                    "Project saved."
                    if editing
                    else "Project posted as a draft. It goes live once funded.",
                )
                return redirect("marketplace:company_project", project_id=project.pk)
        floor, rate = _floor_and_rate(data)
        ctx.update(
            floor_text=format_minor(floor, data.get("currency", "USD")),
            rate_text=format_minor(rate or 0, data.get("currency", "USD")),
            below_floor=rate is not None and rate < floor,
            budget=budget_for(
                items=data.get("item_count", 0),
                overlap=data.get("overlap", 1),
                pay_per_task_minor=data["pay_per_task_minor"],
                currency=data.get("currency", "USD"),
            ),
            kind=task_type(data["task_type"]),
            organization=Organization.objects.filter(pk=state["organization_id"]).first(),
            domain_names=dict(domain_choices()),
        )
        if ctx["below_floor"] and "service_error" not in ctx:
            ctx["floor_refusal"] = _check_floor(data).message
    return render(request, "marketplace/company/wizard.html", ctx)


def _commit(request, state: dict):
    data = _service_data(state)
    if state["project_id"] is None:
        organization = Organization.objects.filter(pk=state["organization_id"]).first()
        if (
            organization is None
            or not Membership.objects.filter(organization=organization, user=request.user).exists()
        ):
            raise Http404
        return services.project_create(
            organization=organization, actor=request.user, data=data, request=request
        )
    project = selectors.project_get_for_member(user=request.user, project_id=state["project_id"])
    original = state.get("original", {})
    changed = {
        k: v
        for k, v in data.items()
        if k not in ("task_type",) and _serializable({k: v}).get(k) != original.get(k)
    }
    if project.status != ProjectStatus.DRAFT and not changed:
        return project
    return services.project_update(
        project=project, actor=request.user, data=changed, request=request
    )


def wizard_url(token: str, step: str) -> str:
    return reverse("marketplace:wizard_step", kwargs={"token": token, "step": step})
