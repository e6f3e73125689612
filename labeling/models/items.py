from django.conf import settings
from django.db import models
from django.utils import timezone


def default_lease_minutes() -> int:
    """PLUMBLINE_LEASE_MINUTES: the lease of a project that does not set its own."""
    return int(settings.PLUMBLINE_DEFAULT_LEASE.total_seconds() // 60)


class Item(models.Model):
    """One thing to label: a prompt with responses, a text to classify, a trajectory...

    `is_gold` and `gold_answer` never leave the company side: expert-facing serializers have no
    such fields, and gold items are stored, ordered and served exactly like the others.
    `open_slots` counts how many more experts may still take the item (overlap minus live and
    finished assignments); claims pick from a partial index on open items, so the cost of finding
    work does not grow with the number of finished items.
    """

    # No index of its own: item_unique_external_id (project, external_id) serves project
    # lookups, and one index fewer makes bulk imports cheaper.
    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.CASCADE, related_name="items", db_index=False
    )
    external_id = models.CharField(max_length=200)
    payload = models.JSONField()
    is_gold = models.BooleanField(default=False)
    gold_answer = models.JSONField(null=True, blank=True)
    gold_retired = models.BooleanField(default=False)
    priority = models.SmallIntegerField(default=0)
    open_slots = models.PositiveSmallIntegerField()
    submitted_count = models.PositiveIntegerField(default=0)
    # Provenance: the import that brought the item. No database constraint and no index: each
    # imported row would otherwise pay a foreign-key check and an index entry (a third of the
    # COPY's cost in PostgreSQL, bench/labeling_io.py). Only the import sets it, to the job it is
    # running, and a job goes only with its project, whose items go with it.
    import_job = models.ForeignKey(
        "labeling.ImportJob",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"], name="item_unique_external_id"
            ),
            models.CheckConstraint(
                condition=models.Q(is_gold=False) | models.Q(gold_answer__isnull=False),
                name="item_gold_has_answer",
            ),
        ]
        indexes = [
            # The claim path: open regular items of a project, highest priority first.
            models.Index(
                fields=["project", "-priority", "id"],
                condition=models.Q(is_gold=False, open_slots__gt=0),
                name="item_claimable",
            ),
            # Gold items are served to every expert once, whatever the overlap.
            models.Index(
                fields=["project", "id"],
                condition=models.Q(is_gold=True, gold_retired=False),
                name="item_gold_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.external_id}"


class LabelingConfig(models.Model):
    """Per-project labeling knobs that only the labeling engine reads."""

    project = models.OneToOneField(
        "marketplace.Project", on_delete=models.CASCADE, related_name="labeling_config"
    )
    lease_minutes = models.PositiveSmallIntegerField(default=default_lease_minutes)
    gold_accuracy_threshold = models.FloatField(
        default=0.7, help_text="Experts whose gold accuracy is credibly below this are suspended"
    )
    gold_min_seen = models.PositiveSmallIntegerField(
        default=3, help_text="No suspension before this many gold answers, whatever the posterior"
    )

    def __str__(self) -> str:
        return f"labeling config of project {self.project_id}"
