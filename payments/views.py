"""Payments pages and the Stripe webhook endpoint."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from core.exceptions import DomainError
from marketplace.selectors import member_role, project_get_for_member
from payments import selectors, services, stripe_client
from payments.exceptions import WebhookSignatureInvalid
from payments.models import Funding
from payments.services.funding import TEST_CARD_DECLINED, TEST_CARD_OK

TEST_CARDS = {"ok": TEST_CARD_OK, "declined": TEST_CARD_DECLINED}


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe → Plumbline. The signature is checked first (bad or stale: 400, nothing stored);
    the event is stored by id and processed once, after the response, by a Celery task."""
    try:
        event = stripe_client.construct_event(
            payload=request.body, sig_header=request.headers.get("Stripe-Signature")
        )
    except WebhookSignatureInvalid as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=400)
    row, created = services.stripe_event_record(event=event)
    return JsonResponse({"received": True, "duplicate": not created})


def _amount_minor(raw: str) -> int | None:
    raw = (raw or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise DomainError("Give the amount as a number, e.g. 120.50.") from exc
    if value != value.quantize(Decimal("0.01")):
        raise DomainError("Give at most two decimals.")
    return int(value * 100)


@login_required
@require_http_methods(["GET", "POST"])
def project_funding(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_get_for_member(user=request.user, project_id=project_id)
    role = member_role(user=request.user, project=project)
    can_fund = role in (Role.OWNER, Role.MANAGER)
    if request.method == "POST":
        card = TEST_CARDS.get(request.POST.get("card", "ok"), TEST_CARD_OK)
        try:
            if request.POST.get("funding"):
                funding = get_object_or_404(Funding, pk=request.POST["funding"], project=project)
            else:
                funding = services.funding_create(
                    project=project,
                    actor=request.user,
                    amount=_amount_minor(request.POST.get("amount", "")),
                    request=request,
                ).funding
            funding = services.funding_pay_with_test_card(
                funding=funding, actor=request.user, payment_method=card, request=request
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if funding.status == Funding.Status.SUCCEEDED:
                messages.success(request, "Payment received: the escrow is credited.")
            elif funding.status == Funding.Status.FAILED:
                messages.error(request, f"The payment failed: {funding.failure_message}")
            else:
                messages.info(request, "Payment submitted; waiting for Stripe to confirm it.")
        return redirect("payments:project_funding", project_id=project.pk)
    return render(
        request,
        "payments/project_funding.html",
        {
            "project": project,
            "summary": selectors.project_funding_summary(project=project),
            "fundings": selectors.fundings_for_project(project=project),
            "can_fund": can_fund,
            "test_mode": stripe_client.is_test_mode(),
        },
    )
