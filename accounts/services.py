"""Writes for accounts: sign-up completion, organizations, invitations, roles, API tokens, audit.

Each use case is one transaction; permission checks come first (check_*), then the write.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import (
    API_TOKEN_PREFIX,
    ApiToken,
    AuditEvent,
    ExpertProfile,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
    hash_token,
)
from core.exceptions import Conflict, InvalidState, NotFound, NotPermitted, ValidationFailed

# --- Audit ---------------------------------------------------------------------------------------


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: User | None,
    verb: str,
    target=None,
    details: dict | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one audit row. Called inside the caller's transaction so the record and the change
    it describes commit (or roll back) together."""
    return AuditEvent.objects.create(
        actor=actor if actor and actor.pk else None,
        actor_email=getattr(actor, "email", "") or "",
        verb=verb,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        details=details or {},
        ip_address=client_ip(request),
    )


# --- Sign-up -------------------------------------------------------------------------------------


def _new_pseudonym() -> str:
    return "ex-" + secrets.token_hex(4)


def expert_profile_ensure(*, user: User) -> ExpertProfile:
    profile, _ = ExpertProfile.objects.get_or_create(
        user=user, defaults={"pseudonym": _new_pseudonym()}
    )
    return profile


def _unique_org_slug(name: str) -> str:
    base = slugify(name)[:60] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def organization_create(
    *, owner: User, name: str, request: HttpRequest | None = None
) -> Organization:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(fields={"organization_name": ["Give your company's name."]})
    org = Organization.objects.create(name=name, slug=_unique_org_slug(name))
    Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
    if owner.kind != User.Kind.COMPANY and not owner.is_staff:
        owner.kind = User.Kind.COMPANY
        owner.save(update_fields=["kind"])
    audit_record(actor=owner, verb="organization.created", target=org, request=request)
    return org


@transaction.atomic
def user_signup_complete(
    *, user: User, account_type: str, organization_name: str = "", name: str = "", request=None
) -> None:
    """Called once the sign-up form saved the user: set them up as expert or company member."""
    user.name = name or user.name
    if account_type == "company":
        user.kind = User.Kind.COMPANY
        user.save(update_fields=["kind", "name"])
        organization_create(owner=user, name=organization_name, request=request)
    else:
        user.kind = User.Kind.EXPERT
        user.save(update_fields=["kind", "name"])
        expert_profile_ensure(user=user)
    audit_record(
        actor=user, verb="user.signed_up", target=user, details={"kind": user.kind}, request=request
    )


# --- Organization roles --------------------------------------------------------------------------


def check_org_role(*, user: User, organization: Organization, minimum: str) -> Membership:
    """The user's membership if it has at least `minimum`; 404 for outsiders (an organization's
    existence is not disclosed), 403 for members whose role is too low."""
    membership = Membership.objects.filter(organization=organization, user=user).first()
    if membership is None and not user.is_staff:
        raise NotFound()
    if membership is None:  # staff act with owner rights for support, and are audited
        return Membership(organization=organization, user=user, role=Role.OWNER)
    if not membership.has_role(minimum):
        raise NotPermitted(f"This needs the {Role(minimum).label.lower()} role or higher.")
    return membership


@transaction.atomic
def invitation_create(
    *, organization: Organization, invited_by: User, email: str, role: str, request=None
) -> Invitation:
    check_org_role(user=invited_by, organization=organization, minimum=Role.OWNER)
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationFailed(fields={"role": [f"Choose one of {', '.join(Role.values)}."]})
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member.", fields={"email": ["Already a member."]})
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization=organization,
                email=email,
                role=role,
                invited_by=invited_by,
                expires_at=timezone.now() + timedelta(days=settings.PLUMBLINE_INVITATION_DAYS),
            )
    except IntegrityError as exc:
        raise Conflict(
            f"{email} already has a pending invitation.", fields={"email": ["Already invited."]}
        ) from exc
    audit_record(
        actor=invited_by,
        verb="invitation.created",
        target=organization,
        details={"email": email, "role": role},
        request=request,
    )
    link = settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[invitation.token])
    transaction.on_commit(
        lambda: send_mail(
            subject=f"[Plumbline] {invited_by.email} invited you to {organization.name}",
            message=(
                f"You are invited to join {organization.name} on Plumbline "
                f"as {Role(role).label}.\n\nAccept the invitation: {link}\n\n"
                f"The link expires in {settings.PLUMBLINE_INVITATION_DAYS} days."
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User, request=None) -> Membership:
    invitation = Invitation.objects.select_for_update().filter(token=token).first()
    if invitation is None:
        raise NotFound("This invitation does not exist.")
    if invitation.status != Invitation.Status.PENDING:
        raise InvalidState("This invitation was already used or revoked.")
    if invitation.is_expired:
        raise InvalidState("This invitation has expired; ask for a new one.")
    if user.email.lower() != invitation.email.lower():
        raise NotPermitted(f"This invitation is for {invitation.email}; sign in with that address.")
    membership, created = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at"])
    if user.kind == User.Kind.EXPERT and not hasattr(user, "expert_profile"):
        user.kind = User.Kind.COMPANY
        user.save(update_fields=["kind"])
    audit_record(
        actor=user,
        verb="membership.joined",
        target=invitation.organization,
        details={"role": membership.role, "invitation": invitation.pk, "created": created},
        request=request,
    )
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User, request=None) -> Invitation:
    check_org_role(user=actor, organization=invitation.organization, minimum=Role.OWNER)
    if invitation.status != Invitation.Status.PENDING:
        raise InvalidState("Only a pending invitation can be revoked.")
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status"])
    audit_record(
        actor=actor,
        verb="invitation.revoked",
        target=invitation.organization,
        details={"email": invitation.email},
        request=request,
    )
    return invitation


@transaction.atomic
def membership_change_role(
    *, membership: Membership, actor: User, role: str, request=None
) -> Membership:
    check_org_role(user=actor, organization=membership.organization, minimum=Role.OWNER)
    if role not in Role.values:
        raise ValidationFailed(fields={"role": [f"Choose one of {', '.join(Role.values)}."]})
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.OWNER and role != Role.OWNER:
        _check_not_last_owner(membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor,
        verb="membership.role_changed",
        target=membership.organization,
        details={"user": membership.user.email, "before": before, "after": role},
        request=request,
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User, request=None) -> None:
    check_org_role(user=actor, organization=membership.organization, minimum=Role.OWNER)
    if membership.role == Role.OWNER:
        _check_not_last_owner(membership)
    audit_record(
        actor=actor,
        verb="membership.removed",
        target=membership.organization,
        details={"user": membership.user.email, "role": membership.role},
        request=request,
    )
    membership.delete()


def _check_not_last_owner(membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(
        organization_id=membership.organization_id, role=Role.OWNER
    )
    if owners.count() <= 1:
        raise InvalidState("An organization needs at least one owner.")


@transaction.atomic
def organization_rename(
    *, organization: Organization, actor: User, name: str, request=None
) -> Organization:
    check_org_role(user=actor, organization=organization, minimum=Role.MANAGER)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(fields={"name": ["This field may not be blank."]})
    before = organization.name
    organization.name = name
    organization.save(update_fields=["name"])
    audit_record(
        actor=actor,
        verb="organization.renamed",
        target=organization,
        details={"before": before, "after": name},
        request=request,
    )
    return organization


# --- API tokens ----------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_in_days: int | None = None, request=None
) -> tuple[ApiToken, str]:
    """Create a token; return it with its raw value, which is never stored nor shown again."""
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip() or "API token",
        prefix=raw[:10],
        key_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit_record(actor=user, verb="api_token.created", target=token, request=request)
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User, request=None) -> ApiToken:
    if token.user_id != actor.pk:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, verb="api_token.revoked", target=token, request=request)
    return token
