from django.db.models import QuerySet

from accounts.models import ApiToken, Invitation, Membership, Organization, User


def user_primary_role(user: User) -> str:
    """'staff', 'auditor', 'company' or 'expert': the home a person lands on."""
    if user.is_staff:
        return "staff"
    if user.groups.filter(name="auditor").exists():
        return "auditor"
    if user.kind == User.Kind.COMPANY or Membership.objects.filter(user=user).exists():
        return "company"
    return "expert"


def user_home_url(user: User) -> str:
    from django.urls import reverse

    return reverse(
        {
            "staff": "staff_home",
            "auditor": "staff_home",
            "company": "company_home",
            "expert": "expert_home",
        }[user_primary_role(user)]
    )


def organizations_for_user(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).distinct()


def memberships_for_user(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def organization_members(organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("user__email")


def organization_pending_invitations(organization: Organization) -> QuerySet[Invitation]:
    return organization.invitations.filter(status=Invitation.Status.PENDING)


def api_tokens_for_user(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)
