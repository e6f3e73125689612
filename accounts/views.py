"""Pages for accounts: role homes, organization members and invitations, API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import ApiTokenForm, InvitationForm
from accounts.models import Invitation, Role
from core.exceptions import DomainError


@login_required
def dashboard(request):
    """Send each person to the home of their role."""
    return redirect(selectors.user_home_url(request.user))


@login_required
def expert_home(request):
    return render(request, "accounts/expert_home.html")


@login_required
def company_home(request):
    memberships = selectors.memberships_for_user(request.user)
    return render(request, "accounts/company_home.html", {"memberships": memberships})


@login_required
def staff_home(request):
    if not (request.user.is_staff or request.user.is_auditor):
        return redirect("dashboard")
    from accounts.models import AuditEvent

    events = AuditEvent.objects.all()[:25]
    return render(request, "accounts/staff_home.html", {"events": events})


@login_required
@require_http_methods(["GET", "POST"])
def organization_members(request, org_id: int):
    org = get_object_or_404(selectors.organizations_for_user(request.user), pk=org_id)
    membership = services.check_org_role(user=request.user, organization=org, minimum=Role.VIEWER)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                organization=org, invited_by=request.user, request=request, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("organization_members", org_id=org.pk)
    return render(
        request,
        "accounts/organization_members.html",
        {
            "organization": org,
            "membership": membership,
            "can_manage": membership.has_role(Role.OWNER),
            "members": selectors.organization_members(org),
            "invitations": selectors.organization_pending_invitations(org),
            "form": form,
        },
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    invitation = get_object_or_404(Invitation.objects.select_related("organization"), token=token)
    if not request.user.is_authenticated:
        # Sign up (or in) first; the invitation link brings them back here.
        request.session["pending_invitation"] = token
        return render(request, "accounts/invitation_anonymous.html", {"invitation": invitation})
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user, request=request)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"You joined {membership.organization.name} as {membership.get_role_display()}.",
            )
            return redirect("company_home")
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _token, new_token = services.api_token_create(
            user=request.user, request=request, **form.cleaned_data
        )
        form = ApiTokenForm()
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "tokens": selectors.api_tokens_for_user(request.user),
            "form": form,
            "new_token": new_token,
        },
    )


@login_required
@require_POST
def api_token_revoke(request, token_id: int):
    token = get_object_or_404(selectors.api_tokens_for_user(request.user), pk=token_id)
    services.api_token_revoke(token=token, actor=request.user, request=request)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("api_tokens")
