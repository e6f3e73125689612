from django.db import models
from django.utils import timezone


class StripeEvent(models.Model):
    """Every verified Stripe webhook event, stored once by its id (a redelivery finds it here)
    and processed once (`processed_at`)."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=255, blank=True, db_index=True)
    api_version = models.CharField(max_length=40, blank=True)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    created = models.DateTimeField(help_text="When Stripe created the event")
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=models.Q(processed_at__isnull=True),
                name="stripeevent_unprocessed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
