"""Company page: import items into a project (upload form, jobs with progress, error report).
Managers and owners only; job rows poll themselves with htmx while the job runs."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from labeling.imports import import_job_create
from labeling.payloads import REQUIRED_KEYS
from labeling.selectors.exports import import_job_get, import_jobs_for_project
from marketplace.selectors.projects import project_get_for_member
from marketplace.services import check_can_manage
from marketplace.views.common import page_errors


def _project_for_manager(request, project_id: int):
    project = project_get_for_member(user=request.user, project_id=project_id)
    check_can_manage(user=request.user, project=project)
    return project


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def project_imports(request, project_id: int):
    project = _project_for_manager(request, project_id)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a file to upload.")
        else:
            try:
                job = import_job_create(
                    project=project,
                    user=request.user,
                    upload=upload,
                    file_format=request.POST.get("format") or None,
                    request=request,
                )
            except DomainError as exc:
                details = " ".join(m for msgs in exc.fields.values() for m in msgs)
                messages.error(request, f"{exc.message} {details}".strip())
            else:
                messages.success(request, f"Upload received: import #{job.pk} is queued.")
        return redirect("company_project_imports", project_id=project.pk)
    return render(
        request,
        "labeling/import_page.html",
        {
            "project": project,
            "jobs": import_jobs_for_project(project=project)[:20],
            "required_keys": REQUIRED_KEYS.get(project.task_type, ()),
            "max_bytes": settings.PLUMBLINE_IMPORT_MAX_BYTES,
        },
    )


@login_required
@page_errors
def import_job_row(request, project_id: int, job_id: int):
    """One job's row (htmx polling target)."""
    project = _project_for_manager(request, project_id)
    job = import_job_get(project=project, job_id=job_id)
    return render(request, "labeling/import_job_row.html", {"project": project, "job": job})
