"""Earnings bookkeeping beyond the ledger itself: fair-pay audits and credits, Connect accounts,
payouts, refunds at close, reconciliation reports and task cursors."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class FairPayAudit(models.Model):
    """One fair-pay settlement of a project: its inputs and result (docs/payments.md)."""

    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.PROTECT, related_name="fair_pay_audits"
    )
    seq = models.PositiveIntegerField(help_text="1, 2, … per project")
    computed_at = models.DateTimeField(default=timezone.now)
    final = models.BooleanField(default=False, help_text="The settlement at project close")
    currency = models.CharField(max_length=3)
    tasks = models.PositiveIntegerField(help_text="Accepted tasks of the project")
    median_active_seconds = models.FloatField(null=True, blank=True)
    pay_per_task_minor = models.PositiveIntegerField()
    effective_hourly_minor = models.PositiveIntegerField(null=True, blank=True)
    floor_minor = models.PositiveIntegerField(help_text="The project's hourly floor")
    topup_per_task_minor = models.PositiveIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0, help_text="Top-ups posted by this settlement")
    experts_topped_up = models.PositiveIntegerField(default=0)
    reserve_before_minor = models.BigIntegerField(default=0)
    reserve_after_minor = models.BigIntegerField(default=0)
    reserve_alert_sent = models.BooleanField(default=False)

    class Meta:
        ordering = ["-computed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "seq"], name="fairpayaudit_project_seq")
        ]

    def __str__(self) -> str:
        return f"fair pay #{self.seq} of project {self.project_id}"

    @property
    def under_floor(self) -> bool:
        return self.topup_per_task_minor > 0


class FairPayCredit(models.Model):
    """What one settlement topped one expert up by (the ledger entry is
    `fairpay:<project>:<expert>:<seq>`). Summed per (project, expert) so a settlement adds only
    what is owed beyond earlier top-ups."""

    # No single-column indexes on audit and project: fairpaycredit_once and
    # fairpaycredit_proj_expert start with them.
    audit = models.ForeignKey(
        FairPayAudit, on_delete=models.PROTECT, db_index=False, related_name="credits"
    )
    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.PROTECT, db_index=False, related_name="+"
    )
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    tasks = models.PositiveIntegerField()
    amount_minor = models.BigIntegerField()
    entry = models.OneToOneField(
        "payments.JournalEntry", on_delete=models.PROTECT, related_name="fair_pay_credit"
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["project", "expert"], name="fairpaycredit_proj_expert")]
        constraints = [
            models.UniqueConstraint(fields=["audit", "expert"], name="fairpaycredit_once"),
        ]

    def __str__(self) -> str:
        return f"top-up {self.amount_minor} to {self.expert_id} (audit {self.audit_id})"


class PayoutAccountStatus(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    RESTRICTED = "restricted", "Restricted"


class PayoutAccount(models.Model):
    """An expert's Stripe Connect (Express) account; its state mirrors `account.updated`."""

    Status = PayoutAccountStatus

    expert = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_account"
    )
    stripe_account_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ONBOARDING)
    details_submitted = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    transfers_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.stripe_account_id} ({self.status})"

    @property
    def can_receive(self) -> bool:
        return self.status == PayoutAccountStatus.ACTIVE


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    HELD = "held", "Held (appeal open)"
    SUBMITTED = "submitted", "Submitted to Stripe"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


OPEN_PAYOUT_STATUSES = (PayoutStatus.PENDING, PayoutStatus.HELD)


class Payout(models.Model):
    """Money moving from an expert's payable balance to their Connect account: one Stripe
    transfer whose idempotency key is `payout:<id>`, so a redelivered task reuses it."""

    Status = PayoutStatus

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.BigIntegerField(help_text="Minor units")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    on_demand = models.BooleanField(default=False, help_text="'Pay me now' rather than weekly")
    batch = models.CharField(max_length=40, blank=True)
    stripe_account_id = models.CharField(max_length=255, blank=True)
    stripe_transfer_id = models.CharField(max_length=255, blank=True, db_index=True)
    failure_message = models.CharField(max_length=500, blank=True)
    hold_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["expert", "-created_at"], name="payout_expert_recent")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payout_amount_positive"),
            # At most one payout waiting per expert and currency: a batch run twice, or a
            # 'pay me now' during the weekly batch, cannot create a second one.
            models.UniqueConstraint(
                fields=["expert", "currency"],
                condition=models.Q(status__in=["pending", "held"]),
                name="payout_one_open_per_expert",
            ),
        ]

    def __str__(self) -> str:
        return f"payout #{self.pk} {self.amount} {self.currency} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"payout:{self.pk}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Refunded"
    FAILED = "failed", "Failed"


class EscrowRefund(models.Model):
    """Unused escrow sent back to the company at project close (a Stripe refund of one of the
    project's PaymentIntents; idempotency key `refund:<id>`)."""

    Status = RefundStatus

    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.PROTECT, related_name="escrow_refunds"
    )
    funding = models.ForeignKey(
        "payments.Funding", on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="escrowrefund_positive"),
        ]

    def __str__(self) -> str:
        return f"refund #{self.pk} {self.amount} {self.currency} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"refund:{self.pk}"


class ReconciliationReport(models.Model):
    """The ledger compared with Stripe: differences for staff to look at."""

    created_at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(default=True)
    transfers_checked = models.PositiveIntegerField(default=0)
    payouts_checked = models.PositiveIntegerField(default=0)
    fundings_checked = models.PositiveIntegerField(default=0)
    differences = models.JSONField(default=list, blank=True)
    ledger_stripe_balance = models.JSONField(default=dict, blank=True)
    stripe_balance = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        state = "ok" if self.ok else "differences"
        return f"reconciliation {self.created_at:%Y-%m-%d %H:%M} ({state})"


class TaskCursor(models.Model):
    """Where a sweeping beat task got to (e.g. the earnings sweep's last `reviewed_at`)."""

    name = models.CharField(max_length=60, unique=True)
    value = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}={self.value.isoformat()}"
