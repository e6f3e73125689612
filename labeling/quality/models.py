"""Quality analytics storage: snapshots of computed figures, aggregated labels, LLM-judge
verdicts, and anomaly flags that open a review.

Pages and the API read these rows only; statistics are computed by Celery tasks
(labeling.quality.services.quality_snapshot_compute), never on request.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

SNAPSHOT_VERSION = 1


class QualitySnapshot(models.Model):
    """Every figure the quality dashboards show for one project, computed at one time.

    `data` is a versioned JSON document (see labeling.quality.compute for its shape);
    `last_annotation_id` is the newest annotation it covers, which is how the beat sweep tells
    that a project has new work since (one indexed query).
    """

    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveSmallIntegerField(default=SNAPSHOT_VERSION)
    n_annotations = models.PositiveIntegerField(default=0)
    n_items = models.PositiveIntegerField(default=0)
    last_annotation_id = models.BigIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["project", "-computed_at"], name="quality_snap_latest")]

    def __str__(self) -> str:
        return f"quality snapshot {self.pk} of project {self.project_id}"


class ItemAggregateBlock(models.Model):
    """Aggregated labels of up to BLOCK_SIZE items of one snapshot, stored column-wise.

    Compact on purpose: a 100k-item project writes ~100 rows per snapshot instead of 100k.
    Read them with labeling.quality.selectors.aggregated_labels_for_export.
    `data`: {"item": [ids], "label": [response-shaped dicts], "confidence": [float|None],
    "method": [str], "n": [annotations], "majority": [dict|None], "majority_confidence": [...]}.
    """

    BLOCK_SIZE = 1000

    snapshot = models.ForeignKey(QualitySnapshot, on_delete=models.CASCADE, related_name="blocks")
    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveIntegerField()
    first_item_id = models.BigIntegerField()
    last_item_id = models.BigIntegerField()
    data = models.JSONField()

    class Meta:
        ordering = ["snapshot", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "seq"], name="quality_block_unique_seq")
        ]

    def __str__(self) -> str:
        return f"aggregates {self.first_item_id}..{self.last_item_id} (snapshot {self.snapshot_id})"


class JudgeUpload(models.Model):
    """One JSONL file of judge verdicts (all-or-nothing)."""

    class Source(models.TextChoices):
        JUDGE = "judge", "LLM judge"
        SYNTHETIC = "synthetic", "Synthetic dataset labels"

    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.JUDGE)
    filename = models.CharField(max_length=200, blank=True)
    n_verdicts = models.PositiveIntegerField(default=0)
    judges = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"judge upload {self.pk} ({self.n_verdicts} verdicts)"


class JudgeVerdict(models.Model):
    """An LLM judge's (or a synthetic dataset's) verdict on one item, in the project's response
    shape; `swapped_verdict` is the verdict with the two responses shown in the other order
    (pairwise only; its choice refers to positions as shown)."""

    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("labeling.Item", on_delete=models.CASCADE, related_name="+")
    judge_name = models.CharField(max_length=100)
    source = models.CharField(
        max_length=16, choices=JudgeUpload.Source.choices, default=JudgeUpload.Source.JUDGE
    )
    verdict = models.JSONField()
    swapped_verdict = models.JSONField(null=True, blank=True)
    upload = models.ForeignKey(JudgeUpload, on_delete=models.CASCADE, related_name="verdicts")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["judge_name", "item_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "judge_name", "item"], name="judge_verdict_once_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.judge_name} on item {self.item_id}"


class QualityFlag(models.Model):
    """An anomaly in one expert's work, with the evidence. It opens a review for staff and the
    company; it never suspends or rejects anything by itself."""

    class Kind(models.TextChoices):
        SPEEDER = "speeder", "Far faster than the project median"
        STRAIGHT_LINING = "straight_lining", "Same answer far above its base rate"
        POSITION_BIAS = "position_bias", "Prefers one position in pairwise comparisons"
        NEAR_DUPLICATE_TEXT = "near_duplicate_text", "Free text nearly duplicates another expert"
        GOLD_DROP = "gold_drop", "Sudden drop in gold accuracy"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        REVIEWED = "reviewed", "Reviewed: action taken"
        DISMISSED = "dismissed", "Dismissed"

    project = models.ForeignKey("marketplace.Project", on_delete=models.CASCADE, related_name="+")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    message = models.TextField()
    evidence = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    snapshot = models.ForeignKey(
        QualitySnapshot, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "expert", "kind"],
                condition=models.Q(status="open"),
                name="quality_flag_one_open_per_kind",
            )
        ]
        indexes = [models.Index(fields=["project", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} flag on expert {self.expert_id} ({self.status})"
