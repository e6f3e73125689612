"""Organization webhooks pages: endpoints (create, rotate secret, deactivate) and each
endpoint's delivery log with a replay button. Managers and owners only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.models import Organization
from core.exceptions import DomainError, NotFound, NotPermitted
from labeling.views.review import _error_text, domain_errors_as_http
from labeling.webhooks import selectors, services
from labeling.webhooks.events import EVENT_TYPES


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors_as_http
def webhook_endpoints(request, org_id: int):
    organization = get_object_or_404(Organization, pk=org_id)
    endpoints = selectors.endpoints_for_organization(user=request.user, organization=organization)
    new_endpoint = None
    form = {"url": "", "description": "", "events": []}
    if request.method == "POST":
        form = {
            "url": request.POST.get("url", "").strip(),
            "description": request.POST.get("description", ""),
            "events": request.POST.getlist("events"),
        }
        try:
            new_endpoint = services.webhook_endpoint_create(
                organization=organization, actor=request.user, request=request, **form
            )
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, "Endpoint registered. Copy its signing secret now.")
    return render(
        request,
        "labeling/webhook_endpoints.html",
        {
            "organization": organization,
            "endpoints": endpoints,
            "event_types": EVENT_TYPES.items(),
            "form": form,
            "new_endpoint": new_endpoint,  # its secret is shown this once
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors_as_http
def webhook_endpoint_detail(request, endpoint_id: int):
    endpoint = selectors.endpoint_get_for_member(user=request.user, endpoint_id=endpoint_id)
    new_secret = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "rotate":
                new_secret = services.webhook_endpoint_rotate_secret(
                    endpoint_id=endpoint.pk, actor=request.user, request=request
                ).secret
                messages.success(request, "New signing secret issued. Copy it now.")
            elif action in ("deactivate", "activate"):
                services.webhook_endpoint_update(
                    endpoint_id=endpoint.pk,
                    actor=request.user,
                    is_active=action == "activate",
                    request=request,
                )
                messages.success(request, f"Endpoint {action}d.")
                return redirect("webhook_endpoint", endpoint_id=endpoint.pk)
            elif action == "replay":
                delivery_id = request.POST.get("delivery_id", "")
                if not delivery_id.isdigit():
                    raise NotFound("No such delivery.")
                services.webhook_delivery_replay(
                    delivery_id=int(delivery_id), actor=request.user, request=request
                )
                messages.success(request, "Replay queued as a new delivery.")
                return redirect("webhook_endpoint", endpoint_id=endpoint.pk)
        except (NotFound, NotPermitted):
            raise
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        endpoint.refresh_from_db()
    page = Paginator(selectors.deliveries_for_endpoint(endpoint=endpoint), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "labeling/webhook_endpoint_detail.html",
        {"endpoint": endpoint, "page": page, "new_secret": new_secret},
    )
