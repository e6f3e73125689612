"""The money pages: expert earnings and pay stubs, company spend and receipts, staff pay audit.
Thin views over payments.selectors; every write goes through payments.services."""

from __future__ import annotations

import csv

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from labeling.exports.annotations_csv import safe_cell
from marketplace.money import format_minor
from marketplace.selectors import projects_for_user
from payments import charts, selectors, services
from payments.models import (
    EntryKind,
    FairPayAudit,
    Funding,
    Payout,
    PayoutAccount,
    ReconciliationReport,
)


def _expert_only(request: HttpRequest) -> None:
    if request.user.kind != request.user.Kind.EXPERT:
        raise PermissionDenied


@login_required
def expert_earnings(request: HttpRequest) -> HttpResponse:
    _expert_only(request)
    stubs = selectors.pay_stubs_for_expert(expert=request.user)
    return render(
        request,
        "payments/expert_earnings.html",
        {
            "stubs": stubs,
            "balances": selectors.expert_balances(expert=request.user),
            "payouts": selectors.payouts_for_expert(expert=request.user)[:50],
            "account": PayoutAccount.objects.filter(expert=request.user).first(),
            "minimum": settings.PLUMBLINE_PAYOUT_MINIMUM_MINOR,
        },
    )


@login_required
def expert_pay_stub(request: HttpRequest, project_id: int) -> HttpResponse:
    _expert_only(request)
    stub = selectors.pay_stub_for_expert(expert=request.user, project_id=project_id)
    lines = [
        p
        for p in selectors.ledger_lines_for_expert(expert=request.user)[:500]
        if str(p.entry.metadata.get("project_id")) == str(project_id)
    ]
    return render(request, "payments/expert_pay_stub.html", {"stub": stub, "lines": lines})


@login_required
def expert_earnings_csv(request: HttpRequest) -> HttpResponse:
    _expert_only(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="plumbline-earnings.csv"'
    writer = csv.writer(response)
    writer.writerow(["date", "kind", "description", "amount", "currency", "reference"])
    for p in selectors.ledger_lines_for_expert(expert=request.user).iterator():
        writer.writerow(
            [
                p.entry.effective_at.isoformat(),
                p.entry.kind,
                # Descriptions carry company-written text (bonus notes): never a formula.
                safe_cell(p.entry.description),
                f"{-p.amount / 100:.2f}",
                p.entry.currency,
                safe_cell(p.entry.idempotency_key),
            ]
        )
    return response


@login_required
@require_POST
def expert_connect(request: HttpRequest) -> HttpResponse:
    _expert_only(request)
    base = request.build_absolute_uri("/expert/earnings/")
    try:
        url = services.payout_account_onboarding_link(
            expert=request.user, refresh_url=base + "?onboarding=refresh", return_url=base
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:expert_earnings")
    return redirect(url)


@login_required
@require_POST
def expert_pay_now(request: HttpRequest) -> HttpResponse:
    _expert_only(request)
    try:
        payout = services.payout_request(
            expert=request.user, currency=request.POST.get("currency", "USD"), request=request
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Payout of {format_minor(payout.amount, payout.currency)} is on its way."
        )
    return redirect("payments:expert_earnings")


# --- company -------------------------------------------------------------------------------------


@login_required
def company_spend(request: HttpRequest) -> HttpResponse:
    rows = selectors.spend_by_project(projects=projects_for_user(user=request.user))
    rows = [r for r in rows if r.funded_minor or r.spent_minor or r.escrow_minor]
    chart = charts.bar_chart(
        [(r.project.title, r.spent_minor / 100, max(r.escrow_minor, 0) / 100) for r in rows],
        title="Spend by project",
        desc="For each project, what was paid out of escrow (task pay, fees, top-ups, bonuses) "
        "and the escrow left.",
    )
    return render(
        request,
        "payments/company_spend.html",
        {
            "rows": rows,
            "chart": chart,
            "fundings": selectors.fundings_for_organizations(user=request.user)[:100],
        },
    )


@login_required
def funding_receipt(request: HttpRequest, funding_id: int) -> HttpResponse:
    funding = get_object_or_404(
        selectors.fundings_for_organizations(user=request.user), pk=funding_id
    )
    if funding.status != Funding.Status.SUCCEEDED:
        raise Http404
    return render(request, "payments/receipt.html", {"funding": funding})


# --- staff ---------------------------------------------------------------------------------------


def _staff_reader(request: HttpRequest) -> None:
    if not (request.user.is_staff or request.user.is_auditor):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def staff_pay_audit(request: HttpRequest) -> HttpResponse:
    _staff_reader(request)
    if request.method == "POST":
        if not request.user.is_staff:
            raise PermissionDenied
        try:
            services.reconciliation_run()
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Reconciliation finished.")
        return redirect("payments:staff_pay_audit")
    rates = selectors.effective_hourly_by_project()
    floor = next((r.floor_minor for r in rates if r.floor_minor), None)
    chart = charts.error_bars(
        [
            (
                r.title[:28],
                (r.project_hourly_minor or 0) / 100,
                (r.low_minor / 100) if r.low_minor is not None else None,
                (r.high_minor / 100) if r.high_minor is not None else None,
            )
            for r in rates
        ],
        title="Effective hourly rate per project",
        desc="The point is the project's rate (pay per task ÷ median time); the bar spans the "
        "10th to 90th percentile of experts' own rates. The dashed line is the floor.",
        reference=("floor", floor / 100) if floor else None,
        highlight=[
            bool(r.floor_minor and (r.project_hourly_minor or 0) < r.floor_minor) for r in rates
        ],
    )
    return render(
        request,
        "payments/staff_pay_audit.html",
        {
            "chart": chart,
            "rates": rates,
            "under_floor": selectors.projects_under_floor(),
            "audits": FairPayAudit.objects.select_related("project").filter(total_minor__gt=0)[:30],
            "payouts": Payout.objects.select_related("expert")[:30],
            "report": ReconciliationReport.objects.first(),
        },
    )


@login_required
def staff_ledger(request: HttpRequest) -> HttpResponse:
    _staff_reader(request)
    kind = request.GET.get("kind", "")
    owner = request.GET.get("owner", "").strip()
    q = request.GET.get("q", "").strip()
    entries = selectors.ledger_entries(kind=kind, owner_key=owner, key_contains=q)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/staff_ledger.html",
        {
            "page": page,
            "kinds": EntryKind.choices,
            "kind": kind,
            "owner": owner,
            "q": q,
            "total": selectors.ledger_total(),
        },
    )
