from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organization

MAX_REVIEW_WINDOW_DAYS = 14


class TaskType(models.TextChoices):
    PAIRWISE = "pairwise", "Pairwise preference"
    RANKING = "ranking", "Ranking of k responses"
    RUBRIC = "rubric", "Rubric scoring"
    CLASSIFICATION = "classification", "Classification"
    FREE_TEXT = "free_text", "Demonstration / critique and revision"
    TRAJECTORY = "trajectory", "Agent-trajectory evaluation"


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FUNDED = "funded", "Funded"
    LIVE = "live", "Live"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# The lifecycle: every legal move, and nothing else. `funded` is reached only through
# project_mark_funded (payments, or staff for now).
TRANSITIONS: dict[str, frozenset[str]] = {
    ProjectStatus.DRAFT: frozenset({ProjectStatus.FUNDED, ProjectStatus.CANCELLED}),
    ProjectStatus.FUNDED: frozenset({ProjectStatus.LIVE, ProjectStatus.CANCELLED}),
    ProjectStatus.LIVE: frozenset(
        {ProjectStatus.PAUSED, ProjectStatus.COMPLETED, ProjectStatus.CANCELLED}
    ),
    ProjectStatus.PAUSED: frozenset(
        {ProjectStatus.LIVE, ProjectStatus.COMPLETED, ProjectStatus.CANCELLED}
    ),
    ProjectStatus.COMPLETED: frozenset(),
    ProjectStatus.CANCELLED: frozenset(),
}


class Visibility(models.TextChoices):
    OPEN = "open", "Open to all eligible experts"
    INVITE_ONLY = "invite_only", "Invite-only"


class ContentWarning(models.TextChoices):
    NONE = "", "None"
    VIOLENCE = "violence", "Violence"
    SELF_HARM = "self_harm", "Self-harm"
    SEXUAL_CONTENT = "sexual_content", "Sexual content"
    HATE = "hate", "Hate"


class Currency(models.TextChoices):
    USD = "USD", "US dollar"
    EUR = "EUR", "Euro"
    GBP = "GBP", "Pound sterling"


class Project(models.Model):
    """A labeling or evaluation project owned by an organization.

    Invariants kept by marketplace.services (never by save()): pay per task over the estimated
    minutes is at least the applicable fair-pay floor; `response_schema` is generated from
    `task_type` + `task_config`; `effective_hourly_minor` and the `board_*` fields mirror the terms
    and requirement rows so the job board can filter and sort on the project row alone.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="projects"
    )
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT
    )
    task_type = models.CharField(max_length=16, choices=TaskType.choices)
    task_config = models.JSONField(default=dict, blank=True)
    response_schema = models.JSONField(default=dict, blank=True, editable=False)
    instructions = models.TextField(blank=True, help_text="Markdown; raw HTML is removed")
    examples = models.JSONField(default=list, blank=True)
    content_warning = models.CharField(
        max_length=16, choices=ContentWarning.choices, default=ContentWarning.NONE, blank=True
    )
    content_warning_note = models.CharField(max_length=300, blank=True)

    # Terms
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    pay_per_task_minor = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    estimated_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    effective_hourly_minor = models.PositiveIntegerField(editable=False, default=0)
    item_count = models.PositiveIntegerField(
        default=0, help_text="Planned number of items (labeling updates it on upload)"
    )
    overlap = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    gold_ratio_bps = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(5000)],
        help_text="Share of gold items in basis points (1000 = 10%)",
    )
    review_window_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(MAX_REVIEW_WINDOW_DAYS)]
    )
    max_tasks_per_expert = models.PositiveIntegerField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.OPEN
    )
    # Mirrors of the requirement rows (marketplace.services.requirement_mirrors_refresh): the
    # job board decides eligibility on this row alone, by JSON containment on PostgreSQL, instead
    # of four anti-joins. Tokens are "d<domain id>:<min level>" and "l:<language>".
    board_requirements = models.JSONField(default=list, editable=False)
    board_countries_allow = models.JSONField(default=list, editable=False)
    board_countries_deny = models.JSONField(default=list, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    funded_at = models.DateTimeField(null=True, blank=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set by payments when the escrow cannot cover another task (marketplace.services.spend):
    # claims stop with `spend_blocked_reason` until the company tops the escrow up.
    spend_blocked = models.BooleanField(default=False)
    spend_blocked_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status"]),
            # Covers the job board's scan of live projects (index-only: the wide JSON columns of
            # the row are read only for the page that is shown).
            models.Index(
                fields=["-effective_hourly_minor", "id"],
                include=[
                    "deadline",
                    "task_type",
                    "board_requirements",
                    "board_countries_allow",
                    "board_countries_deny",
                ],
                condition=models.Q(status="live"),
                name="project_live_by_rate",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(review_window_days__gte=1, review_window_days__lte=14),
                name="project_review_window_1_14",
            ),
            models.CheckConstraint(
                condition=models.Q(overlap__gte=1), name="project_overlap_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(gold_ratio_bps__lte=5000), name="project_gold_ratio_max_half"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in ProjectStatus]),
                name="project_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_terminal(self) -> bool:
        return not TRANSITIONS[ProjectStatus(self.status)]

    def can_transition_to(self, status: str) -> bool:
        return status in TRANSITIONS[ProjectStatus(self.status)]

    @property
    def needs_opt_in(self) -> bool:
        return bool(self.content_warning)


class ProjectDomainRequirement(models.Model):
    """The expert needs an active qualification at `min_level` or above in `domain` (or in one
    of its sub-domains). Indexed by domain for the job board's SQL pre-filter."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="domain_requirements"
    )
    domain = models.ForeignKey("qualifications.Domain", on_delete=models.PROTECT, related_name="+")
    min_level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(3)]
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["domain", "min_level"])]
        constraints = [
            models.UniqueConstraint(fields=["project", "domain"], name="projectdomainreq_unique"),
            models.CheckConstraint(
                condition=models.Q(min_level__gte=1, min_level__lte=3),
                name="projectdomainreq_level_range",
            ),
        ]

    def __str__(self) -> str:
        return f"domain {self.domain_id} level {self.min_level}+"


class ProjectLanguage(models.Model):
    """The expert must speak every listed language."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="languages")
    language = models.CharField(max_length=2)

    class Meta:
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["project", "language"], name="projectlanguage_unique")
        ]

    def __str__(self) -> str:
        return self.language


class ProjectCountry(models.Model):
    """Country allow list (the expert's country must be listed) or deny list."""

    class Mode(models.TextChoices):
        ALLOW = "allow", "Allow"
        DENY = "deny", "Deny"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="countries")
    country = models.CharField(max_length=2)
    mode = models.CharField(max_length=5, choices=Mode.choices)

    class Meta:
        ordering = ["mode", "country"]
        indexes = [models.Index(fields=["country", "mode"])]
        constraints = [
            models.UniqueConstraint(fields=["project", "country"], name="projectcountry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.mode} {self.country}"
