import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from qualifications.models.domains import Domain
from qualifications.storage import private_storage


def evidence_upload_to(instance, filename: str) -> str:
    """A random name: the client's file name never reaches the file system."""
    ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(
        instance.evidence_content_type, "bin"
    )
    return f"evidence/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{ext}"


class Credential(models.Model):
    """A claim by an expert (licence, degree...) with evidence, reviewed by staff.

    pending → verified | rejected (reason required); verified → expired (daily task).
    """

    class Kind(models.TextChoices):
        LICENCE = "licence", "Licence"
        DEGREE = "degree", "Degree"
        CERTIFICATION = "certification", "Certification"
        EMPLOYMENT = "employment", "Employment"
        PUBLICATION = "publication", "Publication / portfolio"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credentials"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200, help_text="e.g. Full registration with the GMC")
    issuer = models.CharField(max_length=200)
    identifier = models.CharField(max_length=100, blank=True, help_text="Licence or bar number")
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    domain = models.ForeignKey(
        Domain,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The domain the expert says this credential supports",
    )
    evidence = models.FileField(storage=private_storage, upload_to=evidence_upload_to, blank=True)
    evidence_name = models.CharField(
        max_length=120, blank=True, help_text="Sanitized, display only"
    )
    evidence_content_type = models.CharField(max_length=32, blank=True)
    evidence_size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["status", "expires_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(rejection_reason=""),
                name="credential_rejection_needs_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(issued_on__isnull=True)
                | models.Q(expires_on__gte=models.F("issued_on")),
                name="credential_expiry_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def evidence_is_image(self) -> bool:
        return self.evidence_content_type in ("image/png", "image/jpeg")
