from django.conf import settings
from django.db import models
from django.utils import timezone


class FundingStatus(models.TextChoices):
    REQUIRES_PAYMENT = "requires_payment", "Awaiting payment"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Paid"
    FAILED = "failed", "Payment failed"
    CANCELED = "canceled", "Canceled"


class Funding(models.Model):
    """A company paying money in for a project, through one Stripe PaymentIntent.

    The status mirrors the PaymentIntent, synchronised from Stripe's current state (never from
    the order webhooks arrive in). `succeeded` is terminal: the ledger was credited exactly once.
    """

    Status = FundingStatus

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="fundings"
    )
    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.PROTECT, related_name="fundings"
    )
    amount = models.BigIntegerField(help_text="Minor units")
    currency = models.CharField(max_length=3)
    payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.REQUIRES_PAYMENT
    )
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "status"], name="funding_project_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="funding_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in FundingStatus]),
                name="funding_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Funding #{self.pk} {self.amount} {self.currency} ({self.status})"

    @property
    def stripe_idempotency_key(self) -> str:
        return f"funding:{self.pk}:payment_intent"
