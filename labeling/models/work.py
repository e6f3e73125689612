from django.conf import settings
from django.db import models
from django.utils import timezone


class Assignment(models.Model):
    """A lease of one item to one expert. Unique per (item, expert): an item is never leased
    to the same expert twice, whatever happened to the first lease."""

    class Status(models.TextChoices):
        LEASED = "leased", "Leased"
        SUBMITTED = "submitted", "Submitted"
        EXPIRED = "expired", "Expired"
        RELEASED = "released", "Released"
        SKIPPED = "skipped", "Skipped"

    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="+")
    # No separate indexes on item and expert: the unique (item, expert) index and the
    # (expert, project, status) index lead with them. A lone expert index also tempted the
    # planner into reading all of an expert's assignments for every "done by this expert?"
    # probe of the claim (labeling/services/work_pg.py).
    item = models.ForeignKey(
        "labeling.Item", on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assignments",
        db_index=False,
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.LEASED)
    # Denormalised from the item for counting gold served per expert; never serialized to experts.
    is_gold = models.BooleanField(default=False)
    leased_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    draft = models.JSONField(null=True, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-leased_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "expert"], name="assignment_once_per_expert"),
        ]
        indexes = [
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status="leased"),
                name="assignment_live_leases",
            ),
            models.Index(fields=["expert", "project", "status"]),
        ]

    def __str__(self) -> str:
        return f"assignment {self.pk} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LEASED and self.lease_expires_at > timezone.now()


class Annotation(models.Model):
    """An expert's submitted response to one assignment. Stored once per assignment."""

    class Review(models.TextChoices):
        PENDING = "pending", "Awaiting review"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        HELD = "held", "Held (expert suspended)"

    assignment = models.OneToOneField(
        Assignment, on_delete=models.PROTECT, related_name="annotation"
    )
    # No separate indexes on project and expert: the (project, review_status, submitted_at) and
    # (expert, -submitted_at) indexes lead with them, and every index costs each submit a write.
    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    item = models.ForeignKey("labeling.Item", on_delete=models.CASCADE, related_name="annotations")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="annotations",
        db_index=False,
    )
    response = models.JSONField()
    active_seconds = models.PositiveIntegerField()
    submitted_at = models.DateTimeField(default=timezone.now)
    review_status = models.CharField(max_length=16, choices=Review.choices, default=Review.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    auto_accepted = models.BooleanField(default=False)
    review_due_at = models.DateTimeField()
    # Gold scoring (None for regular items and for free text); never shown to experts before
    # a suspension explains it.
    gold_correct = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["project", "review_status", "submitted_at"]),
            models.Index(
                fields=["review_due_at"],
                condition=models.Q(review_status="pending"),
                name="annotation_pending_due",
            ),
            models.Index(fields=["expert", "-submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"annotation {self.pk} ({self.review_status})"


class ExpertProjectStats(models.Model):
    """Per expert and project: counters, gold record, trust and suspension.

    The row is locked (SELECT ... FOR UPDATE) by every claim of that expert in that project, which
    serialises one expert's claims without blocking anyone else's.
    """

    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="+")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tasks_claimed = models.PositiveIntegerField(default=0)
    tasks_submitted = models.PositiveIntegerField(default=0)
    gold_served = models.PositiveIntegerField(default=0)
    gold_seen = models.PositiveIntegerField(default=0)
    gold_correct = models.PositiveIntegerField(default=0)
    trust_lower = models.FloatField(null=True, blank=True, help_text="Wilson 95% lower bound")
    p_below_threshold = models.FloatField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "expert"], name="stats_one_per_expert_project"
            )
        ]

    def __str__(self) -> str:
        return f"stats {self.expert_id}@{self.project_id}"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None
