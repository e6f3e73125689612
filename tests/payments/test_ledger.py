"""The ledger service: balanced entries only, exactly once per idempotency key."""

from datetime import timedelta

import pytest
from django.utils import timezone

from payments import selectors
from payments.exceptions import CurrencyMismatch, IdempotencyConflict, UnbalancedEntry
from payments.models import EntryKind, JournalEntry, LedgerAccount, Posting
from payments.services import (
    credit,
    debit,
    journal_entry_post,
    journal_entry_reverse,
    ledger_account_ensure,
)

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind


@pytest.fixture
def accounts(organization, project, expert):
    return {
        "stripe": ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency="USD"),
        "prepaid": ledger_account_ensure(
            kind=Kind.ORG_PREPAID, currency="USD", organization=organization
        ),
        "escrow": ledger_account_ensure(kind=Kind.PROJECT_ESCROW, currency="USD", project=project),
        "payable": ledger_account_ensure(kind=Kind.EXPERT_PAYABLE, currency="USD", user=expert),
        "fees": ledger_account_ensure(kind=Kind.PLATFORM_FEES, currency="USD"),
    }


def _fund(accounts, amount=10_000, key="funding:pi_1:received"):
    return journal_entry_post(
        idempotency_key=key,
        kind=EntryKind.FUNDING_RECEIVED,
        currency="USD",
        lines=[debit(accounts["stripe"], amount), credit(accounts["prepaid"], amount)],
    )


def test_a_balanced_entry_posts_and_moves_both_balances(accounts):
    entry = _fund(accounts)
    assert entry.postings.count() == 2
    assert selectors.ledger_account_balance(account=accounts["stripe"]) == 10_000
    assert selectors.ledger_account_balance(account=accounts["prepaid"]) == 10_000
    assert selectors.ledger_total() == 0


def test_an_earning_splits_escrow_into_payable_and_fee(accounts):
    journal_entry_post(
        idempotency_key="earning:annotation:123",
        kind=EntryKind.EARNING,
        currency="USD",
        lines=[
            debit(accounts["escrow"], 550),
            credit(accounts["payable"], 500),
            credit(accounts["fees"], 50),
        ],
    )
    assert selectors.ledger_account_balance(account=accounts["escrow"]) == -550
    assert selectors.ledger_account_balance(account=accounts["payable"]) == 500
    assert selectors.ledger_account_balance(account=accounts["fees"]) == 50


@pytest.mark.parametrize(
    "amounts",
    [(10_000, -9_999), (1, 1), (500, -200, -200)],
)
def test_the_service_refuses_an_unbalanced_entry(accounts, amounts):
    names = ["stripe", "prepaid", "fees"]
    lines = [debit(accounts[n], a) for n, a in zip(names, amounts, strict=False)]
    with pytest.raises(UnbalancedEntry):
        journal_entry_post(
            idempotency_key="bad", kind=EntryKind.CORRECTION, currency="USD", lines=lines
        )
    assert not JournalEntry.objects.exists() and not Posting.objects.exists()


def test_the_service_refuses_single_postings_zero_amounts_and_floats(accounts):
    for lines in (
        [debit(accounts["stripe"], 0), credit(accounts["prepaid"], 0)],
        [debit(accounts["stripe"], 0)],
        [debit(accounts["stripe"], 1.5), credit(accounts["prepaid"], 1.5)],
    ):
        with pytest.raises(UnbalancedEntry):
            journal_entry_post(
                idempotency_key="bad", kind=EntryKind.CORRECTION, currency="USD", lines=lines
            )


def test_the_service_refuses_mixed_currencies(accounts):
    eur = ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency="EUR")
    with pytest.raises(CurrencyMismatch):
        journal_entry_post(
            idempotency_key="fx",
            kind=EntryKind.CORRECTION,
            currency="USD",
            lines=[debit(eur, 100), credit(accounts["prepaid"], 100)],
        )


def test_posting_the_same_key_twice_returns_the_first_entry(accounts):
    first = _fund(accounts)
    again = _fund(accounts)
    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1
    assert selectors.ledger_account_balance(account=accounts["stripe"]) == 10_000


def test_the_same_key_with_other_postings_is_a_conflict(accounts):
    _fund(accounts, amount=10_000)
    with pytest.raises(IdempotencyConflict):
        _fund(accounts, amount=9_000)
    assert selectors.ledger_account_balance(account=accounts["stripe"]) == 10_000


def test_balances_as_of_a_date(accounts):
    now = timezone.now()
    journal_entry_post(
        idempotency_key="a",
        kind=EntryKind.FUNDING_RECEIVED,
        currency="USD",
        effective_at=now - timedelta(days=10),
        lines=[debit(accounts["stripe"], 1_000), credit(accounts["prepaid"], 1_000)],
    )
    journal_entry_post(
        idempotency_key="b",
        kind=EntryKind.FUNDING_RECEIVED,
        currency="USD",
        effective_at=now - timedelta(days=2),
        lines=[debit(accounts["stripe"], 250), credit(accounts["prepaid"], 250)],
    )
    balance = selectors.ledger_account_balance
    assert balance(account=accounts["prepaid"], as_of=now - timedelta(days=11)) == 0
    assert balance(account=accounts["prepaid"], as_of=now - timedelta(days=10)) == 1_000
    assert balance(account=accounts["prepaid"], as_of=now - timedelta(days=5)) == 1_000
    assert balance(account=accounts["prepaid"], as_of=now) == 1_250
    assert selectors.ledger_total(as_of=now - timedelta(days=5)) == 0


def test_balances_of_many_accounts_take_one_query(accounts, django_assert_num_queries):
    _fund(accounts)
    with django_assert_num_queries(1):
        balances = selectors.ledger_balances(as_of=timezone.now())
    assert balances[accounts["stripe"].pk] == 10_000
    assert balances[accounts["prepaid"].pk] == 10_000


def test_a_correction_is_a_new_entry_that_mirrors_the_old_one(accounts):
    entry = _fund(accounts)
    reversal = journal_entry_reverse(entry=entry, reason="test charge")
    assert reversal.reverses_id == entry.pk and reversal.kind == EntryKind.CORRECTION
    assert selectors.ledger_account_balance(account=accounts["stripe"]) == 0
    assert journal_entry_reverse(entry=entry, reason="again").pk == reversal.pk
    assert JournalEntry.objects.count() == 2


def test_one_account_per_kind_currency_and_owner(organization, other_organization):
    a = ledger_account_ensure(kind=Kind.ORG_PREPAID, currency="usd", organization=organization)
    b = ledger_account_ensure(kind=Kind.ORG_PREPAID, currency="USD", organization=organization)
    c = ledger_account_ensure(
        kind=Kind.ORG_PREPAID, currency="USD", organization=other_organization
    )
    d = ledger_account_ensure(kind=Kind.ORG_PREPAID, currency="EUR", organization=organization)
    assert a.pk == b.pk and len({a.pk, c.pk, d.pk}) == 3
    assert ledger_account_ensure(kind=Kind.PLATFORM_FEES, currency="USD").owner_key == "platform"
