"""Settlements on several connections at once (PostgreSQL, real threads and connections):
disjoint groups of projects in parallel, and racing settlements of the same projects, each
annotation earning exactly once."""

import threading

import pytest
from django.db import connection, connections

from payments import selectors, services
from payments.models import Earning, EntryKind, JournalEntry
from tests.payments.money import accepted_work, funded_project, payable

pytestmark = pytest.mark.django_db(transaction=True)


def projects(organization, owner, n):
    return [funded_project(organization, owner, 1_000_000) for _ in range(n)]


def test_earnings_settle_on_two_connections_and_racing_runs_post_each_earning_once(
    organization, owner, expert, other_expert
):
    assert connection.vendor == "postgresql"
    work = projects(organization, owner, 4)
    for i, project in enumerate(work):
        accepted_work(project, expert, 5 + i)
        accepted_work(project, other_expert, 3)  # experts shared across the groups
    total = sum(5 + i + 3 for i in range(4))

    # Four racing sweeps, each splitting the projects over two connections of its own.
    results, errors = [], []
    start = threading.Barrier(4)

    def sweep():
        try:
            start.wait()
            results.append(services.earnings_post_all(workers=2))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(results) == total
    assert JournalEntry.objects.filter(kind=EntryKind.EARNING).count() == total
    assert Earning.objects.count() == total
    assert payable(expert) == 500 * sum(5 + i for i in range(4))
    assert payable(other_expert) == 500 * 3 * 4
    assert selectors.ledger_total() == 0
    assert services.earnings_post_all(workers=2) == 0
