"""Ledger writes: accounts and journal entries. Every movement of money goes through
`journal_entry_post`; nothing else writes JournalEntry or Posting rows."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization, User
from payments.exceptions import CurrencyMismatch, IdempotencyConflict, UnbalancedEntry
from payments.models import EntryKind, JournalEntry, LedgerAccount, Posting

Kind = LedgerAccount.Kind


@dataclass(frozen=True)
class Line:
    """One posting to be written: debit > 0, credit < 0 (minor units)."""

    account: LedgerAccount
    amount: int


def debit(account: LedgerAccount, amount: int) -> Line:
    return Line(account=account, amount=amount)


def credit(account: LedgerAccount, amount: int) -> Line:
    return Line(account=account, amount=-amount)


# --- accounts -----------------------------------------------------------------------------------


def ledger_account_ensure(
    *,
    kind: str,
    currency: str,
    organization: Organization | None = None,
    project=None,
    user: User | None = None,
) -> LedgerAccount:
    """The account of this kind, currency and owner, created on first use. Safe under
    concurrency: a parallel creation loses the unique race and re-reads the winner's row."""
    currency = currency.upper()
    if project is not None and organization is None:
        organization = project.organization
    if kind not in (Kind.PROJECT_ESCROW, Kind.ORG_PREPAID, Kind.REFUNDS):
        organization = None
    owner_key = LedgerAccount.owner_key_for(
        kind=kind, organization=organization, project=project, user=user
    )
    lookup = {"kind": kind, "currency": currency, "owner_key": owner_key}
    account = LedgerAccount.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(
                **lookup,
                organization=organization,
                project=project if kind == Kind.PROJECT_ESCROW else None,
                user=user if kind == Kind.EXPERT_PAYABLE else None,
            )
    except IntegrityError:
        return LedgerAccount.objects.get(**lookup)


def platform_account(*, kind: str, currency: str) -> LedgerAccount:
    return ledger_account_ensure(kind=kind, currency=currency)


# --- entries ------------------------------------------------------------------------------------


def check_journal_entry(*, currency: str, lines: Sequence[Line]) -> None:
    """The rules the database re-checks at commit on PostgreSQL: at least two postings, each a
    non-zero integer, every account in the entry's currency, and a zero sum."""
    if len(lines) < 2:
        raise UnbalancedEntry("A journal entry needs at least two postings.")
    for line in lines:
        if not isinstance(line.amount, int) or isinstance(line.amount, bool) or not line.amount:
            raise UnbalancedEntry("Every posting needs a non-zero integer amount in minor units.")
        if line.account.pk is None:
            raise UnbalancedEntry("Post only to saved ledger accounts.")
        if line.account.currency != currency:
            raise CurrencyMismatch(
                f"Account {line.account} is in {line.account.currency}, the entry in {currency}."
            )
    total = sum(line.amount for line in lines)
    if total != 0:
        raise UnbalancedEntry(f"The postings sum to {total}, not zero.")


def _same_movement(entry: JournalEntry, *, kind: str, currency: str, lines: Sequence[Line]) -> bool:
    existing = sorted(entry.postings.values_list("account_id", "amount"))
    wanted = sorted((line.account.pk, line.amount) for line in lines)
    return entry.kind == kind and entry.currency == currency and existing == wanted


def _existing(key: str, *, kind: str, currency: str, lines: Sequence[Line]) -> JournalEntry:
    entry = JournalEntry.objects.get(idempotency_key=key)
    if not _same_movement(entry, kind=kind, currency=currency, lines=lines):
        raise IdempotencyConflict(
            f"The key {key!r} already posted a different movement (entry #{entry.pk})."
        )
    return entry


@transaction.atomic
def journal_entry_post(
    *,
    idempotency_key: str,
    kind: str,
    currency: str,
    lines: Sequence[Line],
    description: str = "",
    effective_at: datetime | None = None,
    metadata: dict | None = None,
    actor: User | None = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Post one balanced entry, exactly once per `idempotency_key`.

    The key names the cause (`funding:pi_123:received`, `earning:annotation:123`): posting the
    same key again returns the entry already posted, so a retried task or a redelivered webhook
    cannot move money twice; the same key with different postings raises IdempotencyConflict.
    Concurrent posts of one key: the unique index makes the loser wait for the winner's commit,
    its insert fails inside a savepoint and it re-reads the winner's entry.
    """
    currency = currency.upper()
    if kind not in EntryKind.values:
        raise UnbalancedEntry(f"Unknown entry kind {kind!r}.")
    check_journal_entry(currency=currency, lines=lines)
    if JournalEntry.objects.filter(idempotency_key=idempotency_key).exists():
        return _existing(idempotency_key, kind=kind, currency=currency, lines=lines)
    try:
        with transaction.atomic():  # a savepoint: a lost unique race leaves the caller usable
            entry = JournalEntry.objects.create(
                idempotency_key=idempotency_key,
                kind=kind,
                currency=currency,
                description=description[:300],
                effective_at=effective_at or timezone.now(),
                metadata=metadata or {},
                created_by=actor if actor is not None and actor.pk else None,
                reverses=reverses,
            )
            Posting.objects.bulk_create(
                Posting(entry=entry, account=line.account, amount=line.amount) for line in lines
            )
    except IntegrityError:
        if not JournalEntry.objects.filter(idempotency_key=idempotency_key).exists():
            raise
        return _existing(idempotency_key, kind=kind, currency=currency, lines=lines)
    return entry


@transaction.atomic
def journal_entry_reverse(
    *, entry: JournalEntry, reason: str, actor: User | None = None
) -> JournalEntry:
    """Correct an entry by posting its mirror image (entries are never edited or deleted)."""
    lines = [
        Line(account=p.account, amount=-p.amount) for p in entry.postings.select_related("account")
    ]
    return journal_entry_post(
        idempotency_key=f"reversal:{entry.idempotency_key}",
        kind=EntryKind.CORRECTION,
        currency=entry.currency,
        lines=lines,
        description=f"Reversal of #{entry.pk}: {reason}",
        metadata={"reason": reason, "reverses": entry.pk},
        actor=actor,
        reverses=entry,
    )
