from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from qualifications.models.credentials import Credential
from qualifications.models.domains import Domain

MIN_LEVEL, MAX_LEVEL = 1, 3


class QualificationQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class Qualification(models.Model):
    """A grant of (expert, domain, level). Never deleted: revocation records when, who and why,
    so the history of grants stays visible."""

    class Source(models.TextChoices):
        CREDENTIAL = "credential", "Verified credential"
        TEST = "test", "Passed test"
        STAFF = "staff", "Staff decision"
        PERFORMANCE = "performance", "Measured performance"

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualifications"
    )
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="qualifications")
    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(MIN_LEVEL), MaxValueValidator(MAX_LEVEL)]
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    credential = models.ForeignKey(
        Credential, on_delete=models.PROTECT, null=True, blank=True, related_name="qualifications"
    )
    attempt = models.ForeignKey(
        "qualifications.Attempt", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_reason = models.TextField(blank=True)

    objects = QualificationQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["expert", "revoked_at", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=MIN_LEVEL, level__lte=MAX_LEVEL),
                name="qualification_level_range",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | ~models.Q(revoked_reason=""),
                name="qualification_revocation_needs_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(source="credential") | models.Q(credential__isnull=False),
                name="qualification_credential_source_has_credential",
            ),
            models.CheckConstraint(
                condition=~models.Q(source="test") | models.Q(attempt__isnull=False),
                name="qualification_test_source_has_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain} level {self.level}"

    def is_active_at(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def is_active(self) -> bool:
        return self.is_active_at(timezone.now())

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"
