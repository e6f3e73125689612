from django.conf import settings
from django.db import models
from django.utils import timezone

from marketplace.models.projects import Project


class ProjectInvitation(models.Model):
    """A company invites an eligible expert to an (usually invite-only) project."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        REVOKED = "revoked", "Revoked"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_invitations"
    )
    message = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "expert"], name="projectinvitation_unique")
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.expert_id} to {self.project_id} ({self.status})"


class ProjectApplication(models.Model):
    """An expert asks to join an invite-only project, with a note for the company."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="applications")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_applications"
    )
    note = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "expert"], name="projectapplication_unique")
        ]

    def __str__(self) -> str:
        return f"Application of {self.expert_id} to {self.project_id} ({self.status})"


class ContentOptIn(models.Model):
    """The expert read the project's content warning and chose to see its items."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="opt_ins")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="content_opt_ins"
    )
    category = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "expert"], name="contentoptin_unique")
        ]

    def __str__(self) -> str:
        return f"Opt-in of {self.expert_id} to {self.project_id} ({self.category})"
