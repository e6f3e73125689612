from django.core.mail import send_mail
from django.db import transaction

from accounts.models import ExpertProfile, User
from qualifications.exceptions import ExpertsOnly, StaffOnly


def check_expert(user: User) -> ExpertProfile:
    """The user's expert profile; experts only (company members and staff are refused)."""
    profile = ExpertProfile.objects.filter(user=user).first() if user.is_authenticated else None
    if profile is None or user.kind != User.Kind.EXPERT:
        raise ExpertsOnly()
    return profile


def check_staff(user: User) -> None:
    if not (user.is_authenticated and user.is_staff):
        raise StaffOnly()


def email_on_commit(*, to: User, subject: str, body: str) -> None:
    """Send after the surrounding transaction commits, so a rollback sends nothing."""
    recipient, subject = to.email, f"[Plumbline] {subject}"
    transaction.on_commit(
        lambda: send_mail(
            subject=subject, message=body, from_email=None, recipient_list=[recipient]
        )
    )
