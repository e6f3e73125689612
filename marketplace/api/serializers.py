"""Serializers shared by the marketplace API views (plain Serializers: the views decide)."""

from rest_framework import serializers

from marketplace.markdown import render_markdown
from marketplace.models import ContentWarning, Currency, TaskType, Visibility
from marketplace.models.projects import MAX_REVIEW_WINDOW_DAYS, TRANSITIONS


class DomainRequirementSerializer(serializers.Serializer):
    domain_id = serializers.IntegerField()
    min_level = serializers.IntegerField(min_value=1, max_value=3)


class RequirementsSerializer(serializers.Serializer):
    domains = DomainRequirementSerializer(many=True, required=False)
    languages = serializers.ListField(
        child=serializers.CharField(min_length=2, max_length=2),
        required=False,
        help_text="ISO 639-1 codes; the expert must speak all of them",
    )
    countries_allow = serializers.ListField(
        child=serializers.CharField(min_length=2, max_length=2),
        required=False,
        help_text="ISO 3166-1 alpha-2; empty means any country",
    )
    countries_deny = serializers.ListField(
        child=serializers.CharField(min_length=2, max_length=2), required=False
    )


class ExampleSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    input = serializers.CharField(required=False, allow_blank=True)
    response = serializers.JSONField(required=False, allow_null=True)
    explanation = serializers.CharField(required=False, allow_blank=True)


class ProjectInputSerializer(RequirementsSerializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True)
    task_type = serializers.ChoiceField(choices=TaskType.choices)
    task_config = serializers.JSONField(
        required=False, help_text="Task-type configuration; defaults are filled in"
    )
    instructions = serializers.CharField(
        required=False, allow_blank=True, help_text="Markdown; raw HTML is removed"
    )
    examples = ExampleSerializer(many=True, required=False)
    content_warning = serializers.ChoiceField(
        choices=ContentWarning.choices, required=False, allow_blank=True
    )
    content_warning_note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    pay_per_task_minor = serializers.IntegerField(min_value=1, help_text="Minor units (cents)")
    estimated_minutes = serializers.IntegerField(min_value=1, max_value=600)
    item_count = serializers.IntegerField(min_value=0, required=False)
    overlap = serializers.IntegerField(
        min_value=1, max_value=50, required=False, help_text="Annotations per item"
    )
    gold_ratio_bps = serializers.IntegerField(
        min_value=0, max_value=5000, required=False, help_text="Gold share in basis points"
    )
    review_window_days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_REVIEW_WINDOW_DAYS,
        required=False,
        help_text="Days until an unreviewed annotation is auto-accepted",
    )
    max_tasks_per_expert = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    deadline = serializers.DateTimeField(required=False, allow_null=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


class ProjectCreateInputSerializer(ProjectInputSerializer):
    organization_id = serializers.IntegerField()


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class CompanyRecordSerializer(serializers.Serializer):
    median_review_hours = serializers.FloatField()
    rejection_rate_percent = serializers.FloatField()
    reviewed_count = serializers.IntegerField()


def company_record(organization) -> dict:
    stats = getattr(organization, "marketplace_stats", None)
    if stats is None:
        return {"median_review_hours": 0.0, "rejection_rate_percent": 0.0, "reviewed_count": 0}
    return {
        "median_review_hours": round(stats.median_review_seconds / 3600, 1),
        "rejection_rate_percent": round(stats.rejection_rate_bps / 100, 1),
        "reviewed_count": stats.reviewed_count,
    }


class BudgetSerializer(serializers.Serializer):
    currency = serializers.CharField()
    items = serializers.IntegerField()
    overlap = serializers.IntegerField()
    tasks = serializers.IntegerField()
    pay_per_task_minor = serializers.IntegerField()
    task_pay_minor = serializers.IntegerField()
    platform_fee_bps = serializers.IntegerField()
    platform_fee_minor = serializers.IntegerField()
    reserve_bps = serializers.IntegerField()
    fair_pay_reserve_minor = serializers.IntegerField()
    total_minor = serializers.IntegerField()


class ProjectOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organization = OrganizationRefSerializer()
    title = serializers.CharField()
    summary = serializers.CharField()
    status = serializers.CharField()
    allowed_transitions = serializers.SerializerMethodField()
    task_type = serializers.CharField()
    task_config = serializers.JSONField()
    instructions = serializers.CharField()
    instructions_html = serializers.SerializerMethodField()
    examples = serializers.JSONField()
    content_warning = serializers.CharField()
    content_warning_note = serializers.CharField()
    currency = serializers.CharField()
    pay_per_task_minor = serializers.IntegerField()
    estimated_minutes = serializers.IntegerField()
    effective_hourly_minor = serializers.IntegerField()
    item_count = serializers.IntegerField()
    overlap = serializers.IntegerField()
    gold_ratio_bps = serializers.IntegerField()
    review_window_days = serializers.IntegerField()
    max_tasks_per_expert = serializers.IntegerField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True)
    visibility = serializers.CharField()
    created_at = serializers.DateTimeField()
    funded_at = serializers.DateTimeField(allow_null=True)
    launched_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)

    def get_allowed_transitions(self, project) -> list[str]:
        return sorted(s for s in TRANSITIONS[project.status] if s != "funded")

    def get_instructions_html(self, project) -> str:
        return render_markdown(project.instructions)


class ProjectListOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organization = OrganizationRefSerializer()
    title = serializers.CharField()
    status = serializers.CharField()
    task_type = serializers.CharField()
    currency = serializers.CharField()
    pay_per_task_minor = serializers.IntegerField()
    estimated_minutes = serializers.IntegerField()
    effective_hourly_minor = serializers.IntegerField()
    visibility = serializers.CharField()
    created_at = serializers.DateTimeField()


def requirements_data(project) -> dict:
    countries = list(project.countries.all())
    return {
        "domains": [
            {"domain_id": r.domain_id, "min_level": r.min_level}
            for r in project.domain_requirements.all()
        ],
        "languages": [lang.language for lang in project.languages.all()],
        "countries_allow": [c.country for c in countries if c.mode == "allow"],
        "countries_deny": [c.country for c in countries if c.mode == "deny"],
    }
