"""PostgreSQL itself keeps the ledger sound, whatever the code does: entries are checked at
commit (deferred constraint trigger) and postings/entries can never be changed or deleted."""

import threading

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from payments.models import EntryKind, JournalEntry, LedgerAccount, Posting
from payments.services import credit, debit, journal_entry_post, ledger_account_ensure

Kind = LedgerAccount.Kind


def _accounts(organization):
    return (
        ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency="USD"),
        ledger_account_ensure(kind=Kind.ORG_PREPAID, currency="USD", organization=organization),
    )


def _raw_entry(key: str, currency: str = "USD") -> JournalEntry:
    return JournalEntry.objects.create(
        idempotency_key=key, kind=EntryKind.CORRECTION, currency=currency
    )


@pytest.mark.django_db(transaction=True)
class TestCommitTimeChecks:
    def test_an_unbalanced_entry_written_around_the_service_fails_at_commit(self, organization):
        stripe, prepaid = _accounts(organization)
        with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
            entry = _raw_entry("raw:unbalanced")
            Posting.objects.bulk_create(
                [
                    Posting(entry=entry, account=stripe, amount=1_000),
                    Posting(entry=entry, account=prepaid, amount=-999),
                ]
            )
            # Inside the transaction nothing is checked yet: the trigger is deferred.
            assert Posting.objects.filter(entry=entry).count() == 2
        assert not JournalEntry.objects.filter(idempotency_key="raw:unbalanced").exists()
        assert not Posting.objects.exists()

    def test_an_entry_needs_two_postings(self, organization):
        stripe, _ = _accounts(organization)
        with pytest.raises(IntegrityError, match="at least 2"), transaction.atomic():
            _raw_entry("raw:empty")
        with pytest.raises(IntegrityError, match="at least 2"), transaction.atomic():
            entry = _raw_entry("raw:single")
            Posting.objects.create(entry=entry, account=stripe, amount=5)
        assert not JournalEntry.objects.exists()

    def test_an_entry_cannot_mix_currencies(self, organization):
        _, prepaid = _accounts(organization)
        eur = ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency="EUR")
        with pytest.raises(IntegrityError, match="mixes currencies"), transaction.atomic():
            entry = _raw_entry("raw:fx")
            Posting.objects.bulk_create(
                [
                    Posting(entry=entry, account=eur, amount=100),
                    Posting(entry=entry, account=prepaid, amount=-100),
                ]
            )

    def test_a_balanced_raw_entry_commits(self, organization):
        stripe, prepaid = _accounts(organization)
        with transaction.atomic():
            entry = _raw_entry("raw:ok")
            Posting.objects.bulk_create(
                [
                    Posting(entry=entry, account=stripe, amount=700),
                    Posting(entry=entry, account=prepaid, amount=-700),
                ]
            )
        assert Posting.objects.filter(entry__idempotency_key="raw:ok").count() == 2

    def test_postings_and_entries_cannot_be_updated_or_deleted(self, organization):
        stripe, prepaid = _accounts(organization)
        entry = journal_entry_post(
            idempotency_key="funding:pi_x:received",
            kind=EntryKind.FUNDING_RECEIVED,
            currency="USD",
            lines=[debit(stripe, 300), credit(prepaid, 300)],
        )
        attempts = [
            lambda: Posting.objects.filter(entry=entry).update(amount=1),
            lambda: Posting.objects.filter(entry=entry).delete(),
            lambda: JournalEntry.objects.filter(pk=entry.pk).update(description="edited"),
            lambda: JournalEntry.objects.filter(pk=entry.pk)._raw_delete(connection.alias),
            lambda: LedgerAccount.objects.filter(pk=stripe.pk).update(currency="EUR"),
        ]
        for attempt in attempts:
            with pytest.raises(DatabaseError, match="append-only|never"), transaction.atomic():
                attempt()
        assert sorted(Posting.objects.values_list("amount", flat=True)) == [-300, 300]

    def test_concurrent_posts_of_one_key_write_one_entry(self, organization):
        stripe, prepaid = _accounts(organization)
        barrier = threading.Barrier(4)
        results, errors = [], []

        def post():
            try:
                barrier.wait(timeout=10)
                entry = journal_entry_post(
                    idempotency_key="earning:annotation:123",
                    kind=EntryKind.EARNING,
                    currency="USD",
                    lines=[debit(stripe, 500), credit(prepaid, 500)],
                )
                results.append(entry.pk)
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=post) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert errors == []
        assert len(set(results)) == 1 and len(results) == 4
        assert JournalEntry.objects.filter(idempotency_key="earning:annotation:123").count() == 1
        assert Posting.objects.count() == 2


@pytest.mark.django_db
def test_inside_a_test_transaction_set_constraints_immediate_fires_the_check(organization):
    stripe, prepaid = _accounts(organization)
    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
        entry = _raw_entry("raw:immediate")
        Posting.objects.bulk_create(
            [
                Posting(entry=entry, account=stripe, amount=10),
                Posting(entry=entry, account=prepaid, amount=-1),
            ]
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
class TestPostingsHaveNoForeignKeysButCannotDangle:
    """payments_posting has no foreign-key constraints (they cost two deferred checks per posting
    at commit); the balance triggers refuse a posting whose entry or account does not exist."""

    def test_a_raw_posting_to_a_missing_account_fails_the_commit_check(self, organization):
        stripe, _ = _accounts(organization)
        with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
            entry = _raw_entry("raw:ghost-account")
            Posting.objects.bulk_create(
                [
                    Posting(entry=entry, account=stripe, amount=10),
                    Posting(entry=entry, account_id=stripe.pk + 10_000, amount=-10),
                ]
            )
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def test_a_raw_posting_to_a_missing_entry_fails_the_commit_check(self, organization):
        stripe, prepaid = _accounts(organization)
        with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
            Posting.objects.bulk_create(
                [
                    Posting(entry_id=987_654_321, account=stripe, amount=10),
                    Posting(entry_id=987_654_321, account=prepaid, amount=-10),
                ]
            )
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    @staticmethod
    def _bulk_postings(rows):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO payments_posting (entry_id, account_id, amount, bulk) "
                "SELECT e, a, n, true"
                " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS t(e, a, n)",
                [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
            )

    def test_settlement_postings_are_refused_at_the_end_of_their_statement(self, organization):
        stripe, prepaid = _accounts(organization)
        eur = ledger_account_ensure(kind=Kind.STRIPE_BALANCE, currency="EUR")
        entry = journal_entry_post(
            idempotency_key="funding:pi_bulk:received",
            kind=EntryKind.FUNDING_RECEIVED,
            currency="USD",
            lines=[debit(stripe, 300), credit(prepaid, 300)],
        )
        forged = {
            "missing entry": [(987_654_321, stripe.pk, 5), (987_654_321, prepaid.pk, -5)],
            "missing account": [(entry.pk, stripe.pk, 5), (entry.pk, stripe.pk + 10_000, -5)],
            "unbalanced addition": [(entry.pk, stripe.pk, 5), (entry.pk, prepaid.pk, -4)],
            "other currency": [(entry.pk, eur.pk, 5), (entry.pk, prepaid.pk, -5)],
        }
        for case, rows in forged.items():
            with pytest.raises(IntegrityError, match="missing|invalid"), transaction.atomic():
                self._bulk_postings(rows)
                pytest.fail(f"{case} was accepted")
        # A balanced, same-currency addition passes: the entry still sums to zero.
        self._bulk_postings([(entry.pk, stripe.pk, 5), (entry.pk, prepaid.pk, -5)])
        assert sorted(entry.postings.values_list("amount", flat=True)) == [-300, -5, 5, 300]

    def test_a_settlement_entry_without_postings_is_refused(self):
        with pytest.raises(IntegrityError, match="no postings"), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO payments_journalentry (idempotency_key, kind, currency, description,"
                " effective_at, created_at, metadata, bulk)"
                " VALUES ('forged:empty', 'earning', 'USD', '', now(), now(), '{}', true)"
            )
