"""Qualification tests, their questions (with gold answers) and expert attempts.

Gold answers and explanations live only on Question and are serialized only by staff
serializers and by results of a graded attempt.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organization
from qualifications.models.domains import Domain
from qualifications.models.grants import MAX_LEVEL, MIN_LEVEL


class QualificationTest(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="tests")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set for a company's own test (later); empty for a platform test",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    grant_level = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(MIN_LEVEL), MaxValueValidator(MAX_LEVEL)]
    )
    grant_valid_days = models.PositiveIntegerField(
        null=True, blank=True, default=365, help_text="Empty: the grant does not expire"
    )
    pass_mark_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    time_limit_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    max_attempts = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1)])
    retake_cooldown_hours = models.PositiveIntegerField(default=24)
    is_published = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grant_level__gte=MIN_LEVEL, grant_level__lte=MAX_LEVEL),
                name="qualificationtest_level_range",
            ),
            models.CheckConstraint(
                condition=models.Q(pass_mark_percent__gte=1, pass_mark_percent__lte=100),
                name="qualificationtest_pass_mark_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """One question. `choices` is a list of {"key", "text"}; `gold` depends on the kind:

    single: "b" · multiple: ["a", "c"] · numeric: {"value": 3.5, "tolerance": 0.1}
    short_text: ["accepted", "answers"] (case and spacing ignored) · pairwise: "a" or "b"
    """

    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        NUMERIC = "numeric", "Numeric (with tolerance)"
        SHORT_TEXT = "short_text", "Short text"
        PAIRWISE = "pairwise", "Pairwise preference"

    test = models.ForeignKey(QualificationTest, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    prompt = models.TextField()
    choices = models.JSONField(default=list, blank=True)
    response_a = models.TextField(blank=True, help_text="Pairwise: first response")
    response_b = models.TextField(blank=True, help_text="Pairwise: second response")
    gold = models.JSONField(help_text="Gold answer; see the model docstring for the shape")
    explanation = models.TextField(help_text="Shown to the expert after grading")
    points = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["test", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.prompt[:60]}"

    @property
    def choice_keys(self) -> list[str]:
        return [str(c.get("key")) for c in self.choices or [] if isinstance(c, dict)]

    def clean(self):
        errors = {}
        keys = self.choice_keys
        gold = self.gold
        if self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE):
            if len(keys) < 2 or len(set(keys)) != len(keys) or len(keys) != len(self.choices):
                errors["choices"] = 'Give at least two choices as [{"key": "a", "text": "..."}].'
            if self.kind == self.Kind.SINGLE and gold not in keys:
                errors["gold"] = "The gold answer must be one of the choice keys."
            if self.kind == self.Kind.MULTIPLE and (
                not isinstance(gold, list) or not gold or not set(gold) <= set(keys)
            ):
                errors["gold"] = "The gold answer must be a non-empty list of choice keys."
        elif self.kind == self.Kind.NUMERIC:
            try:
                Decimal(str(gold["value"]))
                if Decimal(str(gold.get("tolerance", 0))) < 0:
                    raise ValueError
            except (TypeError, KeyError, ValueError, ArithmeticError):
                errors["gold"] = 'Give {"value": number, "tolerance": number >= 0}.'
        elif self.kind == self.Kind.SHORT_TEXT:
            if (
                not isinstance(gold, list)
                or not gold
                or not all(isinstance(g, str) and g.strip() for g in gold)
            ):
                errors["gold"] = "Give a non-empty list of accepted answers."
        elif self.kind == self.Kind.PAIRWISE:
            if gold not in ("a", "b"):
                errors["gold"] = 'The gold answer is "a" or "b".'
            if not self.response_a.strip() or not self.response_b.strip():
                errors["response_a"] = "Pairwise questions need both responses."
        if errors:
            raise ValidationError(errors)


class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        GRADED = "graded", "Graded"

    test = models.ForeignKey(QualificationTest, on_delete=models.PROTECT, related_name="attempts")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="test_attempts"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    question_order = models.JSONField(
        default=list, help_text="Question ids in this attempt's order"
    )
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    points_earned = models.PositiveIntegerField(default=0)
    points_possible = models.PositiveIntegerField(default=0)
    score_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    finished_late = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["expert", "test", "started_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["expert"],
                condition=models.Q(status="in_progress"),
                name="attempt_one_open_per_expert",
            ),
            models.CheckConstraint(
                condition=models.Q(deadline__gt=models.F("started_at")),
                name="attempt_deadline_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.pk} at {self.test}"

    def is_overdue(self, now=None) -> bool:
        return (now or timezone.now()) >= self.deadline

    @property
    def is_graded(self) -> bool:
        return self.status == self.Status.GRADED

    @property
    def seconds_left(self) -> int:
        return max(0, int((self.deadline - timezone.now()).total_seconds()))


class AttemptAnswer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    answer = models.JSONField()
    rationale = models.TextField(
        blank=True, help_text="Pairwise: why the chosen response is better"
    )
    answered_at = models.DateTimeField(default=timezone.now)
    is_correct = models.BooleanField(null=True, blank=True)
    points_awarded = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["attempt", "id"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="attemptanswer_unique")
        ]

    def __str__(self) -> str:
        return f"Answer to question {self.question_id} in attempt {self.attempt_id}"
