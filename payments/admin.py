"""Read-only admin for money: the ledger is changed by services only (and the database refuses
UPDATE/DELETE on postings and entries)."""

from django.contrib import admin

from payments.models import Funding, JournalEntry, LedgerAccount, Posting, StripeEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "currency", "owner_key", "created_at")
    list_filter = ("kind", "currency")
    search_fields = ("owner_key",)


class PostingInline(admin.TabularInline):
    model = Posting
    extra = 0
    can_delete = False
    readonly_fields = ("account", "amount")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "idempotency_key", "kind", "currency", "effective_at")
    list_filter = ("kind", "currency")
    search_fields = ("idempotency_key",)
    inlines = [PostingInline]


@admin.register(Funding)
class FundingAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "project",
        "amount",
        "currency",
        "status",
        "payment_intent_id",
        "created_at",
    )
    list_filter = ("status", "currency")
    search_fields = ("payment_intent_id",)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "created", "received_at", "processed_at", "outcome")
    list_filter = ("type",)
    search_fields = ("event_id", "object_id")
