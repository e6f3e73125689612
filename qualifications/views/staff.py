from csp.decorators import csp_replace
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.models import User
from core.exceptions import DomainError
from qualifications import selectors, services
from qualifications.evidence import evidence_response
from qualifications.forms import DecisionForm, GrantForm, RevokeForm
from qualifications.models import Credential, Domain, Qualification
from qualifications.views.common import add_domain_errors, staff_required


@staff_required(allow_auditor=True)
def credential_queue(request):
    queue = list(selectors.credential_review_queue())
    tree = selectors.domain_tree()
    for credential in queue:
        credential.domain_path = tree.path(credential.domain_id) if credential.domain_id else ""
    return render(
        request,
        "qualifications/staff/queue.html",
        {"queue": queue, "can_decide": request.user.is_staff},
    )


@staff_required(allow_auditor=True)
@require_http_methods(["GET", "POST"])
def credential_review(request, credential_id: int):
    credential = get_object_or_404(
        Credential.objects.select_related("expert__expert_profile", "domain", "reviewed_by"),
        pk=credential_id,
    )
    form = DecisionForm(
        request.POST or None,
        initial={"grant_domain": credential.domain_id} if credential.domain_id else None,
    )
    if request.method == "POST":
        if not request.user.is_staff:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["decision"] == "verify":
                    grant_domain = (
                        Domain.objects.filter(pk=data["grant_domain"]).first()
                        if data["grant_domain"]
                        else None
                    )
                    services.credential_verify(
                        credential=credential,
                        reviewer=request.user,
                        grant_domain=grant_domain,
                        grant_level=data["grant_level"] if grant_domain else None,
                        note=data["note"],
                        request=request,
                    )
                    messages.success(request, f"Verified “{credential.title}”.")
                else:
                    services.credential_reject(
                        credential=credential,
                        reviewer=request.user,
                        reason=data["reason"],
                        request=request,
                    )
                    messages.success(request, f"Rejected “{credential.title}”.")
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                return redirect("qualifications:staff_queue")
    tree = selectors.domain_tree()
    return render(
        request,
        "qualifications/staff/review.html",
        {
            "credential": credential,
            "domain_path": tree.path(credential.domain_id) if credential.domain_id else "",
            "form": form,
            "can_decide": request.user.is_staff and credential.status == Credential.Status.PENDING,
            "can_see_evidence": request.user.is_staff,
        },
    )


@staff_required()
@csp_replace({"frame-ancestors": ["'self'"]})
def credential_evidence_embed(request, credential_id: int):
    """The evidence for the review page's <iframe>/<img>: staff only, framable by our pages."""
    credential = selectors.credential_for_evidence(user=request.user, credential_id=credential_id)
    return evidence_response(credential, embeddable=True)


@staff_required(allow_auditor=True)
@require_http_methods(["GET", "POST"])
def qualifications(request):
    form = GrantForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_staff:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            expert = User.objects.filter(
                email__iexact=data["expert_email"], kind=User.Kind.EXPERT
            ).first()
            if expert is None:
                form.add_error("expert_email", "No expert with this email.")
            else:
                try:
                    services.qualification_grant(
                        expert=expert,
                        domain=Domain.objects.get(pk=data["domain"]),
                        level=data["level"],
                        source=Qualification.Source.STAFF,
                        granted_by=request.user,
                        expires_at=data["expires_at"],
                        note=data["note"],
                        request=request,
                    )
                except DomainError as exc:
                    add_domain_errors(form, exc)
                else:
                    messages.success(request, f"Qualification granted to {expert.email}.")
                    return redirect("qualifications:staff_qualifications")
    rows = list(selectors.qualifications_for_staff()[:200])
    tree = selectors.domain_tree()
    for row in rows:
        row.domain_path = tree.path(row.domain_id)
    return render(
        request,
        "qualifications/staff/qualifications.html",
        {"form": form, "qualifications": rows, "can_decide": request.user.is_staff},
    )


@staff_required()
@require_http_methods(["GET", "POST"])
def qualification_revoke(request, qualification_id: int):
    qualification = get_object_or_404(
        Qualification.objects.select_related("expert", "domain"), pk=qualification_id
    )
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.qualification_revoke(
                qualification=qualification,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Qualification revoked.")
            return redirect("qualifications:staff_qualifications")
    return render(
        request, "qualifications/staff/revoke.html", {"qualification": qualification, "form": form}
    )
