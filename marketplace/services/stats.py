"""Company record figures (written by labeling) and staff-set domain pay floors."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Organization, User
from accounts.services import audit_record
from core.exceptions import ValidationFailed
from marketplace.exceptions import StaffOnly
from marketplace.models import DomainPayFloor, OrganizationStats


@transaction.atomic
def organization_stats_update(
    *,
    organization: Organization,
    median_review_seconds: int,
    rejection_rate_bps: int,
    reviewed_count: int,
) -> OrganizationStats:
    """Labeling reports the company's review record (median time to review, rejection rate)."""
    if rejection_rate_bps < 0 or rejection_rate_bps > 10000:
        raise ValidationFailed(fields={"rejection_rate_bps": ["Must be between 0 and 10000."]})
    stats, _ = OrganizationStats.objects.update_or_create(
        organization=organization,
        defaults={
            "median_review_seconds": max(0, int(median_review_seconds)),
            "rejection_rate_bps": int(rejection_rate_bps),
            "reviewed_count": max(0, int(reviewed_count)),
            "updated_at": timezone.now(),
        },
    )
    return stats


@transaction.atomic
def domain_floor_set(
    *,
    domain,
    actor: User,
    min_hourly_rate_minor: int | None,
    request: HttpRequest | None = None,
) -> DomainPayFloor | None:
    """Set (or with None, remove) a domain's minimum hourly rate. It can only raise the
    platform-wide floor, never lower it."""
    from django.conf import settings

    if not actor.is_staff:
        raise StaffOnly()
    existing = DomainPayFloor.objects.filter(domain=domain).first()
    before = existing.min_hourly_rate_minor if existing else None
    if min_hourly_rate_minor is None:
        if existing:
            existing.delete()
        result = None
    else:
        if min_hourly_rate_minor <= settings.PLUMBLINE_MIN_HOURLY_RATE_MINOR:
            raise ValidationFailed(
                fields={
                    "min_hourly_rate_minor": [
                        "Must be above the platform-wide floor of "
                        f"{settings.PLUMBLINE_MIN_HOURLY_RATE_MINOR / 100:.2f} per hour."
                    ]
                }
            )
        result, _ = DomainPayFloor.objects.update_or_create(
            domain=domain,
            defaults={
                "min_hourly_rate_minor": min_hourly_rate_minor,
                "set_by": actor,
                "updated_at": timezone.now(),
            },
        )
    audit_record(
        actor=actor,
        verb="marketplace.domain_floor_set",
        target=domain,
        request=request,
        details={"before": before, "after": min_hourly_rate_minor},
    )
    return result
