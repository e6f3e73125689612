"""Admin: staff edit the domain taxonomy and author tests and questions here.

Credential decisions and grants/revocations go through the staff pages (services, audit log),
so those models are read-only in the admin.
"""

from django.contrib import admin

from qualifications.models import (
    Attempt,
    Credential,
    Domain,
    Qualification,
    QualificationTest,
    Question,
)


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = [
        "position",
        "kind",
        "prompt",
        "choices",
        "response_a",
        "response_b",
        "gold",
        "explanation",
        "points",
    ]


@admin.register(QualificationTest)
class QualificationTestAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "domain",
        "grant_level",
        "pass_mark_percent",
        "time_limit_minutes",
        "is_published",
    ]
    list_filter = ["is_published", "domain"]
    search_fields = ["title"]
    inlines = [QuestionInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "expert", "status", "submitted_at", "expires_on"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "issuer", "expert__email"]
    exclude = ["evidence"]


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    list_display = ["expert", "domain", "level", "source", "granted_at", "expires_at", "revoked_at"]
    list_filter = ["source", "level"]
    search_fields = ["expert__email"]


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["test", "expert", "status", "started_at", "score_percent", "passed"]
    list_filter = ["status", "passed"]
