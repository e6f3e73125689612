"""The double-entry ledger.

Amounts are signed integers in minor units (cents): a positive posting is a debit, a negative
posting a credit. The postings of one journal entry share its currency and sum to zero. Entries
and postings are never updated or deleted: a correction is a new entry (`reverses` points at the
entry it corrects). On PostgreSQL the database enforces all of this too (migration 0002).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class LedgerAccountKind(models.TextChoices):
    STRIPE_BALANCE = "stripe_balance", "Stripe balance (platform cash at Stripe)"
    ORG_PREPAID = "org_prepaid", "Organization prepaid (paid in, not yet allocated)"
    PROJECT_ESCROW = "project_escrow", "Project escrow (reserved for a project's work)"
    EXPERT_PAYABLE = "expert_payable", "Expert payable (earned, not yet paid out)"
    PLATFORM_FEES = "platform_fees", "Platform fees (revenue)"
    REFUNDS = "refunds", "Refunds (owed back to an organization, in flight at Stripe)"


class LedgerAccount(models.Model):
    """One account per (kind, currency, owner). Owners: the platform, an organization, a project
    or a user, depending on the kind (see OWNER_OF_KIND)."""

    Kind = LedgerAccountKind

    class Owner(models.TextChoices):
        PLATFORM = "platform"
        ORGANIZATION = "organization"
        PROJECT = "project"
        USER = "user"

    OWNER_OF_KIND = {
        Kind.STRIPE_BALANCE: Owner.PLATFORM,
        Kind.PLATFORM_FEES: Owner.PLATFORM,
        Kind.ORG_PREPAID: Owner.ORGANIZATION,
        Kind.REFUNDS: Owner.ORGANIZATION,
        Kind.PROJECT_ESCROW: Owner.PROJECT,
        Kind.EXPERT_PAYABLE: Owner.USER,
    }
    # Assets grow with debits; liabilities and revenue grow with credits.
    DEBIT_NORMAL = frozenset({Kind.STRIPE_BALANCE})

    kind = models.CharField(max_length=32, choices=Kind.choices)
    currency = models.CharField(max_length=3, help_text="ISO 4217, upper case")
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
        help_text="Owner of prepaid/refund accounts; also set on a project's escrow account",
    )
    project = models.ForeignKey(
        "marketplace.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    # "platform", "organization:12", "project:7", "user:3": unique with kind and currency, so
    # the uniqueness holds on every database (NULL foreign keys never collide in a UNIQUE).
    owner_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "currency", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "currency", "owner_key"], name="ledgeraccount_unique_owner"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in LedgerAccountKind]),
                name="ledgeraccount_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"),
                name="ledgeraccount_currency_iso",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind__in=["stripe_balance", "platform_fees"],
                        organization__isnull=True,
                        project__isnull=True,
                        user__isnull=True,
                    )
                    | models.Q(
                        kind__in=["org_prepaid", "refunds"],
                        organization__isnull=False,
                        project__isnull=True,
                        user__isnull=True,
                    )
                    | models.Q(
                        kind="project_escrow",
                        organization__isnull=False,
                        project__isnull=False,
                        user__isnull=True,
                    )
                    | models.Q(
                        kind="expert_payable",
                        organization__isnull=True,
                        project__isnull=True,
                        user__isnull=False,
                    )
                ),
                name="ledgeraccount_owner_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display().split(' (')[0]} · {self.owner_key} · {self.currency}"

    @property
    def is_debit_normal(self) -> bool:
        return self.kind in self.DEBIT_NORMAL

    @classmethod
    def owner_key_for(cls, *, kind: str, organization=None, project=None, user=None) -> str:
        owner = cls.OWNER_OF_KIND[cls.Kind(kind)]
        if owner == cls.Owner.PLATFORM:
            return "platform"
        if owner == cls.Owner.ORGANIZATION:
            return f"organization:{organization.pk}"
        if owner == cls.Owner.PROJECT:
            return f"project:{project.pk}"
        return f"user:{user.pk}"


class EntryKind(models.TextChoices):
    """Why money moved. The idempotency key names the cause precisely (docs/payments.md)."""

    FUNDING_RECEIVED = "funding_received", "Funding received (Stripe → prepaid)"
    ESCROW_ALLOCATION = "escrow_allocation", "Allocated to a project's escrow"
    EARNING = "earning", "Expert earning (escrow → payable + fee)"
    FAIR_PAY_TOPUP = "fair_pay_topup", "Fair-pay top-up (escrow → payable)"
    BONUS = "bonus", "Bonus from the company (escrow → payable)"
    ADJUSTMENT = "adjustment", "Staff adjustment (platform ↔ payable)"
    PAYOUT_FAILED = "payout_failed", "Failed or reversed payout (Stripe → payable)"
    PAYOUT = "payout", "Payout to an expert (payable → Stripe)"
    REFUND = "refund", "Refund to an organization"
    CORRECTION = "correction", "Correction of an earlier entry"


class JournalEntry(models.Model):
    """One balanced movement of money, immutable once committed."""

    # Unique through Meta.constraints, not unique=True: that would add a second (LIKE) index,
    # one more index to maintain per entry on millions of settlement inserts.
    idempotency_key = models.CharField(
        max_length=200, help_text="Names the cause, e.g. earning:annotation:123"
    )
    kind = models.CharField(max_length=32, choices=EntryKind.choices)
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=300, blank=True)
    effective_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # partial index below: settlement entries have none
        related_name="+",
        help_text="The person behind the movement; empty for webhooks and scheduled tasks",
    )
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # partial index below: almost no entry is a correction
        related_name="corrections",
    )
    metadata = models.JSONField(default=dict, blank=True)
    # Written by a set-based settlement (payments.services.earnings): checked for balance by a
    # statement-level trigger at the end of the INSERT instead of one deferred check per row.
    bulk = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        ordering = ["effective_at", "id"]
        verbose_name_plural = "journal entries"
        indexes = [
            models.Index(
                fields=["created_by"],
                name="journalentry_created_by",
                condition=models.Q(created_by__isnull=False),
            ),
            models.Index(
                fields=["reverses"],
                name="journalentry_reverses",
                condition=models.Q(reverses__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="journalentry_key_unique"),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"),
                name="journalentry_currency_iso",
            ),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class Posting(models.Model):
    """One line of a journal entry: a signed amount on one account (debit > 0, credit < 0)."""

    # No database foreign keys (db_constraint=False): Django declares them DEFERRABLE INITIALLY
    # DEFERRED, two checks per posting at COMMIT, about 40 % of a settlement of a million
    # annotations. The ledger's balance triggers check instead that the entry and the accounts
    # exist, set-based per statement for settlement rows (migration 0005); entries and accounts
    # are never deleted (refused by triggers), so nothing can dangle later.
    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, db_constraint=False, related_name="postings"
    )
    # Indexed on the account alone (balances filter by account, the entry's date comes from the
    # entry): few accounts (escrow, fees) take most postings, and a one-column index stores each
    # account's postings as deduplicated lists, a fraction of an (account, entry) index's size
    # and page splits on a settlement's millions of inserts.
    account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, db_constraint=False, related_name="postings"
    )
    amount = models.BigIntegerField()
    bulk = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        ordering = ["entry_id", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="posting_amount_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount:+d}"


class Earning(models.Model):
    """Which annotation an earning entry paid, one row per earning, written with the entry.

    The settlement's "not earned yet" test reads this narrow table (two integers a row) instead
    of probing the journal's text keys: at a million earnings the journal is hundreds of
    megabytes, this table a few dozen, and the test becomes one hash anti-join. The entry's
    unique idempotency key (`earning:annotation:<id>`) still refuses a second earning."""

    annotation = models.OneToOneField(
        "labeling.Annotation",
        primary_key=True,
        on_delete=models.PROTECT,
        db_constraint=False,  # written beside the entry; annotations are never deleted once paid
        related_name="+",
    )
    entry = models.ForeignKey(
        JournalEntry,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,  # looked up by annotation only: one index to maintain, not two
        related_name="+",
    )

    def __str__(self) -> str:
        return f"annotation {self.annotation_id} → entry {self.entry_id}"
