from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization


class OrganizationStats(models.Model):
    """A company's record as experts see it. Zero until labeling reports reviews through
    marketplace.services.organization_stats_update."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="marketplace_stats"
    )
    median_review_seconds = models.PositiveIntegerField(default=0)
    rejection_rate_bps = models.PositiveSmallIntegerField(
        default=0, help_text="Rejected share of reviewed annotations, basis points"
    )
    reviewed_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "organization stats"

    def __str__(self) -> str:
        return f"Record of {self.organization_id}"


class DomainPayFloor(models.Model):
    """A staff-set minimum hourly rate for projects that require this domain (or one of its
    sub-domains), above the platform-wide floor. In minor units of the project's currency."""

    domain = models.OneToOneField(
        "qualifications.Domain", on_delete=models.CASCADE, related_name="pay_floor"
    )
    min_hourly_rate_minor = models.PositiveIntegerField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["domain__name"]

    def __str__(self) -> str:
        return f"{self.domain}: {self.min_hourly_rate_minor / 100:.2f}/h"
