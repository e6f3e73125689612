"""Company page: exports (sync download links, export jobs with status and download).
Reviewers, managers and owners of the project's organization."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from labeling.exports.registry import EXPORT_FORMATS, formats_for
from labeling.exports.services import export_job_create, export_job_file
from labeling.selectors.exports import (
    ExportFilters,
    check_can_export,
    export_job_get,
    export_jobs_for_project,
)
from marketplace.selectors.projects import project_get_for_member
from marketplace.views.common import page_errors

FILTER_KEYS = ("accepted_only", "exclude_suspended", "since", "until", "metadata")


def _project_for_exporter(request, project_id: int):
    project = project_get_for_member(user=request.user, project_id=project_id)
    check_can_export(user=request.user, project=project)
    return project


def _filters(data) -> tuple[ExportFilters, dict]:
    raw = {k: data.get(k) for k in FILTER_KEYS if data.get(k) not in (None, "")}
    values = {
        "accepted_only": raw.get("accepted_only") == "1",
        "exclude_suspended": raw.get("exclude_suspended") == "1",
        "since": raw.get("since"),
        "until": raw.get("until"),
        "metadata": raw.get("metadata", "1") != "0",
    }
    return ExportFilters.from_dict(values), raw


@login_required
@page_errors
@require_http_methods(["GET", "POST"])
def project_exports(request, project_id: int):
    project = _project_for_exporter(request, project_id)
    if request.method == "POST":
        try:
            filters, _raw = _filters(request.POST)
            job = export_job_create(
                project=project,
                user=request.user,
                format_name=request.POST.get("format", ""),
                filters=filters,
                request=request,
            )
        except DomainError as exc:
            details = " ".join(m for msgs in exc.fields.values() for m in msgs)
            messages.error(request, f"{exc.message} {details}".strip())
        else:
            messages.success(request, f"Export #{job.pk} is queued.")
        return redirect("company_project_exports", project_id=project.pk)
    try:
        _filters_obj, raw = _filters(request.GET)
    except DomainError as exc:
        messages.error(request, exc.message)
        raw = {}
    query = urlencode(raw)
    return render(
        request,
        "labeling/export_page.html",
        {
            "project": project,
            "formats": formats_for(project),
            "filters": raw,
            "query": query,
            "jobs": export_jobs_for_project(project=project)[:20],
        },
    )


@login_required
@page_errors
def export_job_row(request, project_id: int, job_id: int):
    project = _project_for_exporter(request, project_id)
    job = export_job_get(project=project, job_id=job_id)
    return render(request, "labeling/export_job_row.html", {"project": project, "job": job})


@login_required
@page_errors
def export_job_download(request, project_id: int, job_id: int):
    project = _project_for_exporter(request, project_id)
    job = export_job_get(project=project, job_id=job_id)
    try:
        path = export_job_file(job=job, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("company_project_exports", project_id=project.pk)
    fmt = EXPORT_FORMATS[job.export_format]
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=f"project-{project.pk}-{fmt.name}",
        content_type=fmt.content_type,
    )
