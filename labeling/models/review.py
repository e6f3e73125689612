from django.conf import settings
from django.db import models
from django.utils import timezone


class Appeal(models.Model):
    """An expert contests a rejection or a suspension; staff decide in writing."""

    class Kind(models.TextChoices):
        REJECTION = "rejection", "Rejected annotation"
        SUSPENSION = "suspension", "Suspension from a project"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Upheld (decision stands)"
        OVERTURNED = "overturned", "Overturned"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appeals"
    )
    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="+")
    annotation = models.ForeignKey(
        "labeling.Annotation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="appeals",
    )
    note = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decision = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["annotation"],
                condition=models.Q(status="open"),
                name="appeal_one_open_per_annotation",
            ),
            models.UniqueConstraint(
                fields=["project", "expert"],
                condition=models.Q(status="open", kind="suspension"),
                name="appeal_one_open_suspension",
            ),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} ({self.kind}, {self.status})"
