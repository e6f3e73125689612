"""Pages: the company's review queue, the staff appeals queue, and the expert's suspension
notice, appeal forms and appeal status. Reads through selectors, writes through services."""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.services import check_org_role
from core.exceptions import DomainError, NotFound, NotPermitted
from labeling import services
from labeling.models import Annotation, Item
from labeling.selectors import review as selectors
from marketplace.selectors import project_get_for_member


def domain_errors_as_http(view):
    """NotFound → 404 and NotPermitted → 403 for pages (the API has its own handler)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


def _pairs(value) -> list[tuple[str, str]]:
    """A JSON value as readable (label, text) rows."""
    if isinstance(value, dict):
        return [(str(k).replace("_", " "), _text(v)) for k, v in value.items()]
    return [("", _text(value))]


def _text(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1)


def _error_text(exc: DomainError) -> str:
    fields = "; ".join(m for msgs in exc.fields.values() for m in msgs)
    return f"{exc.message} {fields}".strip() if fields else exc.message


# --- Company review queue ------------------------------------------------------------------------


@login_required
@domain_errors_as_http
def review_queue(request, project_id: int):
    project = project_get_for_member(user=request.user, project_id=project_id)
    membership = check_org_role(
        user=request.user, organization=project.organization, minimum=Role.VIEWER
    )
    state = "held" if request.GET.get("state") == "held" else "pending"
    page = Paginator(selectors.review_queue(project=project, status=state), 25).get_page(
        request.GET.get("page")
    )
    rows = [
        {"annotation": a, "payload": _pairs(a.item.payload), "response": _pairs(a.response)}
        for a in page
    ]
    gold_items = Item.objects.filter(project=project, is_gold=True).order_by("id")[:200]
    counts = {
        s: Annotation.objects.filter(project=project, review_status=s).count()
        for s in ("pending", "held")
    }
    return render(
        request,
        "labeling/review_queue.html",
        {
            "project": project,
            "page": page,
            "rows": rows,
            "state": state,
            "counts": counts,
            "can_review": membership.has_role(Role.REVIEWER),
            "gold_items": gold_items,
        },
    )


def _back_to_queue(request, project_id: int):
    state = request.POST.get("state")
    url = f"/company/projects/{project_id}/review/"
    return redirect(url + ("?state=held" if state == "held" else ""))


@login_required
@require_POST
@domain_errors_as_http
def review_accept(request, annotation_id: int):
    annotation = selectors.annotation_get_for_member(user=request.user, annotation_id=annotation_id)
    try:
        services.annotation_accept(annotation_id=annotation.pk, actor=request.user, request=request)
    except (NotFound, NotPermitted):
        raise
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"Annotation {annotation.pk} accepted.")
    return _back_to_queue(request, annotation.project_id)


@login_required
@require_POST
@domain_errors_as_http
def review_reject(request, annotation_id: int):
    annotation = selectors.annotation_get_for_member(user=request.user, annotation_id=annotation_id)
    item_id = request.POST.get("reference_item") or None
    try:
        services.annotation_reject(
            annotation_id=annotation.pk,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            reference_kind=request.POST.get("reference_kind", ""),
            reference_text=request.POST.get("reference_text", ""),
            reference_item_id=int(item_id) if item_id and item_id.isdigit() else None,
            request=request,
        )
    except (NotFound, NotPermitted):
        raise
    except DomainError as exc:
        messages.error(request, f"Annotation {annotation.pk} not rejected: {_error_text(exc)}")
    else:
        messages.success(request, f"Annotation {annotation.pk} rejected; the expert can appeal.")
    return _back_to_queue(request, annotation.project_id)


@login_required
@require_POST
@domain_errors_as_http
def review_bulk_accept(request, project_id: int):
    project = project_get_for_member(user=request.user, project_id=project_id)
    ids = [int(i) for i in request.POST.getlist("annotation_ids") if i.isdigit()]
    if not ids:
        messages.error(request, "Select the annotations to accept.")
        return _back_to_queue(request, project.pk)
    accepted = services.annotations_bulk_accept(
        project=project, actor=request.user, annotation_ids=ids, request=request
    )
    messages.success(request, f"{len(accepted)} annotation(s) accepted.")
    return _back_to_queue(request, project.pk)


# --- Staff appeals -------------------------------------------------------------------------------


@login_required
@domain_errors_as_http
def staff_appeals(request):
    selectors.check_staff(request.user, write=False)
    page = Paginator(selectors.appeals_open_queue(), 25).get_page(request.GET.get("page"))
    return render(request, "labeling/appeal_staff_queue.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors_as_http
def staff_appeal_detail(request, appeal_id: int):
    appeal = selectors.appeal_get_for_staff(user=request.user, appeal_id=appeal_id)
    if request.method == "POST":
        try:
            services.appeal_decide(
                appeal_id=appeal.pk,
                actor=request.user,
                decision=request.POST.get("decision", ""),
                text=request.POST.get("text", ""),
                request=request,
            )
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, f"Appeal {appeal.pk} decided.")
            return redirect("staff_appeals")
    annotation = appeal.annotation
    return render(
        request,
        "labeling/appeal_staff_detail.html",
        {
            "appeal": appeal,
            "payload": _pairs(annotation.item.payload) if annotation else [],
            "response": _pairs(annotation.response) if annotation else [],
            "missed_gold": (
                selectors.suspension_notice(expert=appeal.expert, project_id=appeal.project_id)
                if appeal.kind == "suspension" and appeal.status == "open"
                else None
            ),
            "can_decide": request.user.is_staff and appeal.status == "open",
        },
    )


# --- Expert: appeals and suspension notice -------------------------------------------------------


@login_required
def my_appeals(request):
    return render(
        request,
        "labeling/appeal_my_list.html",
        {
            "appeals": selectors.appeals_for_expert(expert=request.user)[:100],
            "rejected": selectors.annotations_rejected_for_expert(expert=request.user).filter(
                appeals__isnull=True
            )[:100],
            "suspensions": selectors.suspensions_for_expert(expert=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors_as_http
def annotation_appeal(request, annotation_id: int):
    annotation = selectors.annotation_get_for_expert(
        expert=request.user, annotation_id=annotation_id
    )
    if request.method == "POST":
        try:
            services.appeal_open(
                expert=request.user,
                annotation_id=annotation.pk,
                note=request.POST.get("note", ""),
                request=request,
            )
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, "Your appeal was sent to Plumbline staff.")
            return redirect("my_appeals")
    decision = selectors.latest_decision(annotation)
    return render(
        request,
        "labeling/appeal_annotation_form.html",
        {
            "annotation": annotation,
            "payload": _pairs(annotation.item.payload),
            "response": _pairs(annotation.response),
            "reference": selectors.reference_label(decision, for_expert=True),
            "appeal": annotation.appeals.order_by("-created_at").first(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors_as_http
def my_suspension(request, project_id: int):
    notice = selectors.suspension_notice(expert=request.user, project_id=project_id)
    if request.method == "POST":
        try:
            services.appeal_open(
                expert=request.user,
                project_id=project_id,
                note=request.POST.get("note", ""),
                request=request,
            )
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, "Your appeal was sent to Plumbline staff.")
            return redirect("my_suspension", project_id=project_id)
    missed = [
        {
            "missed": m,
            "payload": _pairs(m.payload),
            "yours": _pairs(m.your_answer),
            "expected": _pairs(m.expected_answer),
        }
        for m in notice.missed
    ]
    return render(request, "labeling/suspension_notice.html", {"notice": notice, "missed": missed})
