from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models

from accounts.models import ExpertProfile

PATH_SEPARATOR = " › "


class Domain(models.Model):
    """A node of the expertise taxonomy (Medicine › Cardiology). Staff edit it in the admin."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="domain_unique_name_per_parent"
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="domain_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk and self.pk is not None or node.pk in seen:
                raise ValidationError({"parent": "A domain cannot be its own ancestor."})
            seen.add(node.pk)
            node = node.parent


class ExpertDomain(models.Model):
    profile = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="domains")
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="+")
    years_experience = models.PositiveSmallIntegerField(validators=[MaxValueValidator(70)])

    class Meta:
        ordering = ["domain__name"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "domain"], name="expertdomain_unique")
        ]

    def __str__(self) -> str:
        return f"{self.domain} ({self.years_experience} years)"


language_code_validator = RegexValidator(r"^[a-z]{2}$", "Use a two-letter ISO 639-1 code.")


class ExpertLanguage(models.Model):
    class Proficiency(models.TextChoices):
        BASIC = "basic", "Basic"
        CONVERSATIONAL = "conversational", "Conversational"
        PROFESSIONAL = "professional", "Professional"
        NATIVE = "native", "Native or bilingual"

    profile = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="languages")
    language = models.CharField(max_length=2, validators=[language_code_validator])
    proficiency = models.CharField(max_length=16, choices=Proficiency.choices)

    class Meta:
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "language"], name="expertlanguage_unique")
        ]

    def __str__(self) -> str:
        return f"{self.language} ({self.get_proficiency_display()})"
