from django.contrib import admin, messages

from core.exceptions import DomainError
from marketplace import services
from marketplace.models import (
    ContentOptIn,
    DomainPayFloor,
    OrganizationStats,
    Project,
    ProjectApplication,
    ProjectDomainRequirement,
    ProjectInvitation,
)


class DomainRequirementInline(admin.TabularInline):
    model = ProjectDomainRequirement
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    """Read-mostly: projects change through the services (pay floor, lifecycle, audit)."""

    list_display = [
        "title",
        "organization",
        "task_type",
        "status",
        "effective_hourly_minor",
        "visibility",
        "created_at",
    ]
    list_filter = ["status", "task_type", "visibility"]
    search_fields = ["title", "organization__name"]
    inlines = [DomainRequirementInline]
    actions = ["mark_funded"]
    readonly_fields = [f.name for f in Project._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Mark selected draft projects funded (staff)")
    def mark_funded(self, request, queryset):
        done = 0
        for project in queryset:
            try:
                services.project_mark_funded(
                    project=project, actor=request.user, request=request, reference="admin"
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{project}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} project(s) marked funded.", messages.SUCCESS)


@admin.register(DomainPayFloor)
class DomainPayFloorAdmin(admin.ModelAdmin):
    list_display = ["domain", "min_hourly_rate_minor", "set_by", "updated_at"]
    readonly_fields = ["set_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        services.domain_floor_set(
            domain=obj.domain,
            actor=request.user,
            min_hourly_rate_minor=obj.min_hourly_rate_minor,
            request=request,
        )

    def delete_model(self, request, obj):
        services.domain_floor_set(
            domain=obj.domain, actor=request.user, min_hourly_rate_minor=None, request=request
        )


@admin.register(OrganizationStats)
class OrganizationStatsAdmin(admin.ModelAdmin):
    list_display = [
        "organization",
        "median_review_seconds",
        "rejection_rate_bps",
        "reviewed_count",
        "updated_at",
    ]


admin.site.register(ProjectInvitation, list_display=["project", "expert", "status", "created_at"])
admin.site.register(ProjectApplication, list_display=["project", "expert", "status", "created_at"])
admin.site.register(ContentOptIn, list_display=["project", "expert", "category", "created_at"])
