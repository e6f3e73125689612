"""Expert pages: the job board, a job, invitations and applications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.pagination import WindowCountPaginator
from marketplace import selectors, services
from marketplace.api.serializers import company_record
from marketplace.forms import ApplyForm, JobFilterForm
from marketplace.models import ProjectInvitation
from marketplace.views.common import job_context, page_errors
from qualifications.selectors import domain_choices

PAGE_SIZE = 20


@login_required
@page_errors
def job_board(request):
    form = JobFilterForm(request.GET or None, domain_choices=domain_choices())
    filters = form.cleaned_data if form.is_valid() else {}
    facts = selectors.expert_facts(expert=request.user)
    qs = selectors.job_board_queryset(
        facts=facts,
        domain_id=filters.get("domain"),
        task_type=filters.get("task_type") or None,
        min_hourly_minor=int(filters["min_hourly"] * 100) if filters.get("min_hourly") else None,
    )
    page = WindowCountPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    projects = selectors.job_board_projects(page.object_list)
    rows = selectors.job_board_rows(expert=request.user, projects=projects)
    for row in rows:
        row.record = company_record(row.project.organization)
    near = selectors.within_reach(expert=request.user, facts=facts)
    for row in near:
        row.record = company_record(row.project.organization)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "marketplace/expert/board.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "within_reach": near,
            "query": query.urlencode(),
            "invitations": selectors.invitations_for_expert(expert=request.user).filter(
                status=ProjectInvitation.Status.PENDING
            ),
        },
    )


@login_required
@page_errors
def job_detail(request, project_id: int):
    row = selectors.job_get_for_expert(expert=request.user, project_id=project_id)
    ctx = job_context(row.project)
    ctx.update(
        row=row, company_record=company_record(row.project.organization), apply_form=ApplyForm()
    )
    return render(request, "marketplace/expert/job.html", ctx)


@login_required
@page_errors
@require_POST
def job_opt_in(request, project_id: int):
    row = selectors.job_get_for_expert(expert=request.user, project_id=project_id)
    try:
        services.content_opt_in(project=row.project, expert=request.user, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("marketplace:job", project_id=project_id)


@login_required
@page_errors
@require_POST
def job_apply(request, project_id: int):
    row = selectors.job_get_for_expert(expert=request.user, project_id=project_id)
    form = ApplyForm(request.POST)
    if form.is_valid():
        try:
            services.application_submit(
                project=row.project,
                expert=request.user,
                note=form.cleaned_data["note"],
                request=request,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Application sent. The company will get back to you.")
    return redirect("marketplace:job", project_id=project_id)


@login_required
@page_errors
def my_invitations(request):
    invitations = Paginator(selectors.invitations_for_expert(expert=request.user), 25)
    applications = selectors.applications_for_expert(expert=request.user)[:50]
    return render(
        request,
        "marketplace/expert/invitations.html",
        {
            "page": invitations.get_page(request.GET.get("page")),
            "applications": applications,
        },
    )


@login_required
@page_errors
@require_POST
def invitation_respond(request, invitation_id: int):
    invitation = get_object_or_404(ProjectInvitation, pk=invitation_id, expert=request.user)
    accept = request.POST.get("decision") == "accept"
    try:
        services.invitation_respond(
            invitation=invitation, expert=request.user, accept=accept, request=request
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Invitation accepted." if accept else "Invitation declined.")
        if accept:
            return redirect("marketplace:job", project_id=invitation.project_id)
    return redirect("marketplace:my_invitations")
