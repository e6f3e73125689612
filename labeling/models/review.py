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
    # What the appeal is against, copied when it is opened so staff see it as the expert did:
    # the rejection reason and what it cited, or the suspension notice.
    contested_reason = models.TextField(blank=True)
    rejection_reference = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="appeal_queue")]
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


class ReviewDecision(models.Model):
    """Append-only history of every review outcome of an annotation: a reviewer's accept or
    reject (with the reason and what it cites), an auto-accept after the review window, or a
    staff overturn on appeal. The annotation row carries the current state; this is the record."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        AUTO_ACCEPTED = "auto_accepted", "Accepted automatically after the review window"
        OVERTURNED = "overturned", "Rejection overturned on appeal"

    class Reference(models.TextChoices):
        NONE = "", "No reference"
        INSTRUCTION = "instruction", "A section of the instructions"
        GOLD_ITEM = "gold_item", "A check (gold) item"

    annotation = models.ForeignKey(
        "labeling.Annotation", on_delete=models.CASCADE, related_name="review_decisions"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    reference_kind = models.CharField(
        max_length=16, choices=Reference.choices, blank=True, default=Reference.NONE
    )
    reference_text = models.CharField(
        max_length=300, blank=True, help_text="Which instruction section the rejection cites"
    )
    reference_item = models.ForeignKey(
        "labeling.Item", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["annotation", "-decided_at"])]

    def __str__(self) -> str:
        return f"review of annotation {self.annotation_id}: {self.outcome}"
