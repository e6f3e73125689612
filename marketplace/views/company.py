"""Company pages: project list, project page (budget, lifecycle), preview, experts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role, User
from core.exceptions import DomainError
from marketplace import selectors, services
from marketplace.forms import InviteSearchForm
from marketplace.models import ProjectApplication, ProjectInvitation, ProjectStatus
from marketplace.models.projects import TRANSITIONS
from marketplace.money import format_minor
from marketplace.views.common import job_context, page_errors
from qualifications.selectors import domain_tree

TRANSITION_LABELS = {
    ProjectStatus.LIVE: "Launch / resume",
    ProjectStatus.PAUSED: "Pause",
    ProjectStatus.COMPLETED: "Mark completed",
    ProjectStatus.CANCELLED: "Cancel project",
}


@login_required
@page_errors
def project_list(request):
    projects = selectors.projects_for_user(user=request.user)
    status = request.GET.get("status")
    if status in ProjectStatus.values:
        projects = projects.filter(status=status)
    page = Paginator(projects, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "marketplace/company/project_list.html",
        {
            "page": page,
            "statuses": ProjectStatus.choices,
            "status": status,
        },
    )


@login_required
@page_errors
def project_detail(request, project_id: int):
    project = selectors.project_get_for_member(user=request.user, project_id=project_id)
    role = selectors.member_role(user=request.user, project=project)
    can_manage = role in (Role.OWNER, Role.MANAGER)
    tree = domain_tree()
    floor = selectors.pay_floor_minor(
        domain_ids=[r.domain_id for r in project.domain_requirements.all()], tree=tree
    )
    transitions = [
        (s, TRANSITION_LABELS[s])
        for s in sorted(TRANSITIONS[project.status])
        if s != ProjectStatus.FUNDED
    ]
    return render(
        request,
        "marketplace/company/project_detail.html",
        {
            "project": project,
            "can_manage": can_manage,
            "budget": selectors.project_budget(project),
            "floor_text": format_minor(floor, project.currency),
            "rate_text": format_minor(project.effective_hourly_minor, project.currency),
            "transitions": transitions if can_manage else [],
            "requirements": [
                (tree.path(r.domain_id), r.min_level) for r in project.domain_requirements.all()
            ],
            "languages": [lang.language for lang in project.languages.all()],
            "countries": list(project.countries.all()),
            "editable": can_manage and not project.is_terminal,
        },
    )


@login_required
@page_errors
@require_POST
def project_transition(request, project_id: int):
    project = selectors.project_get_for_member(user=request.user, project_id=project_id)
    try:
        services.project_transition(
            project=project,
            actor=request.user,
            to_status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Project status updated.")
    return redirect("marketplace:company_project", project_id=project.pk)


@login_required
@page_errors
def project_preview(request, project_id: int):
    project = selectors.project_get_for_member(user=request.user, project_id=project_id)
    ctx = job_context(project)
    ctx.update(preview=True, company_record=None)
    return render(request, "marketplace/company/preview.html", ctx)


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def project_experts(request, project_id: int):
    """Search eligible experts, invite them, see invitations."""
    project = selectors.project_get_for_member(user=request.user, project_id=project_id)
    services.check_can_manage(user=request.user, project=project)
    tree = domain_tree()
    if request.method == "POST":
        expert = get_object_or_404(User, pk=request.POST.get("expert_id"), kind=User.Kind.EXPERT)
        try:
            services.invitation_send(
                project=project,
                actor=request.user,
                expert=expert,
                message=request.POST.get("message", ""),
                request=request,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Invitation sent to {expert.expert_profile.pseudonym}.")
        return redirect(request.get_full_path())
    required = [(r.domain_id, tree.path(r.domain_id)) for r in project.domain_requirements.all()]
    form = InviteSearchForm(request.GET or None, domain_choices=required)
    filters = form.cleaned_data if form.is_valid() else {}
    experts = selectors.experts_eligible_for_project(
        project=project,
        domain_id=filters.get("domain"),
        min_level=filters.get("min_level"),
        language=filters.get("language") or None,
        min_weekly_hours=filters.get("min_weekly_hours"),
    )
    page = Paginator(experts, 20).get_page(request.GET.get("page"))
    matches = [
        (match, ", ".join(f"{tree.path(d)} {lvl}" for d, lvl in match.levels.items()))
        for match in selectors.expert_matches(project=project, experts=list(page.object_list))
    ]
    return render(
        request,
        "marketplace/company/experts.html",
        {
            "project": project,
            "form": form,
            "page": page,
            "matches": matches,
            "invitations": selectors.project_invitations(project=project),
            "open_for_invites": project.status
            not in (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED),
        },
    )


@login_required
@page_errors
@require_POST
def invitation_revoke(request, project_id: int, invitation_id: int):
    project = selectors.project_get_for_member(user=request.user, project_id=project_id)
    invitation = get_object_or_404(ProjectInvitation, pk=invitation_id, project=project)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("marketplace:company_project_experts", project_id=project.pk)


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def project_applications(request, project_id: int):
    project = selectors.project_get_for_member(user=request.user, project_id=project_id)
    role = selectors.member_role(user=request.user, project=project)
    if request.method == "POST":
        application = get_object_or_404(
            ProjectApplication, pk=request.POST.get("application_id"), project=project
        )
        try:
            services.application_decide(
                application=application,
                actor=request.user,
                approve=request.POST.get("decision") == "approve",
                note=request.POST.get("note", ""),
                request=request,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Application decided.")
        return redirect("marketplace:company_project_applications", project_id=project.pk)
    return render(
        request,
        "marketplace/company/applications.html",
        {
            "project": project,
            "applications": selectors.project_applications(project=project),
            "can_manage": role in (Role.OWNER, Role.MANAGER),
        },
    )
