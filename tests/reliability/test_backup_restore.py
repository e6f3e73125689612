"""Backup and restore (issue #8, item 7), as docs/operations.md documents it: `pg_dump -Fc` of a
database with real work in it, `pg_restore` into a fresh database, and the checks an operator
runs afterwards: the ledger balances, every annotation is there, the database guards survive."""

import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.db import connection

from config.celery_app import app as celery_app
from labeling.models import Annotation
from labeling.services.review import annotation_accept
from labeling.services.work import annotation_submit, task_claim
from payments.services import earnings_post
from tests.factories import ExpertFactory
from tests.labeling.factories import add_items, live_project
from tests.payments.money import fund_escrow
from tests.reliability.conftest import dsn

#: Every trigger the migrations create with SQL (accounts 0002, payments 0002 and 0004).
GUARD_TRIGGERS = {
    "accounts_auditevent_append_only",
    "payments_posting_append_only",
    "payments_journalentry_append_only",
    "payments_ledgeraccount_fixed",
    "payments_posting_balanced",
    "payments_journalentry_balanced",
    "payments_journalentry_bulk_balanced",
    "payments_posting_bulk_balanced",
}

CHECKS = {
    "unbalanced_entries": """SELECT count(*) FROM (SELECT entry_id FROM payments_posting
                             GROUP BY entry_id HAVING sum(amount) <> 0) AS bad""",
    "ledger_total": "SELECT coalesce(sum(amount), 0) FROM payments_posting",
    "entries": "SELECT count(*) FROM payments_journalentry",
    "postings": "SELECT count(*) FROM payments_posting",
    "balances": "SELECT account_id, sum(amount) FROM payments_posting GROUP BY 1 ORDER BY 1",
    "annotations": "SELECT id, review_status FROM labeling_annotation ORDER BY id",
    "audit_events": "SELECT count(*) FROM accounts_auditevent",
    "migrations": "SELECT app, name FROM django_migrations ORDER BY id",
    "triggers": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
}


def _facts(conn) -> dict:
    return {name: conn.execute(sql).fetchall() for name, sql in CHECKS.items()}


@pytest.fixture
def inline_celery():
    """The acceptance hook's earnings task runs inline instead of going to the suite's Redis."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _work(organization, reviewer) -> None:
    """Annotations and ledger entries written through the services."""
    project = live_project(organization, overlap=2, pay_per_task_minor=700)
    add_items(project, 4)
    fund_escrow(project, 500_000)
    for expert in (ExpertFactory(), ExpertFactory()):
        for seconds in (300, 420, 540):
            lease = task_claim(project=project, expert=expert)
            annotation_submit(
                assignment_id=lease.pk,
                expert=expert,
                response={"choice": "a", "strength": 2},
                active_seconds=seconds,
            )
    for annotation in Annotation.objects.order_by("id")[:5]:  # the sixth stays pending
        annotation_accept(annotation_id=annotation.pk, actor=reviewer)
    earnings_post(project_id=project.pk)  # idempotent: the hook posted them already


def test_a_pg_dump_restored_into_a_fresh_database_has_a_balanced_ledger_and_every_annotation(
    admin, organization, reviewer, inline_celery, tmp_path
):
    for tool in ("pg_dump", "pg_restore"):
        assert shutil.which(tool), f"{tool} is not installed (apt-get install postgresql-client)"
    _work(organization, reviewer)
    source = _facts(admin)
    assert source["entries"][0][0] >= 5 + 2  # five earnings, the funding's two entries
    assert source["unbalanced_entries"] == [(0,)] and source["ledger_total"] == [(0,)]
    assert len(source["annotations"]) == 6

    db = connection.settings_dict
    libpq = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432)]
    libpq += ["-U", db.get("USER") or "postgres"]
    dump = tmp_path / "plumbline.dump"
    subprocess.run(["pg_dump", "-Fc", *libpq, "-d", db["NAME"], "-f", dump], check=True)

    restored = f"restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn(), autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{restored}" TEMPLATE template0')
    try:
        subprocess.run(
            ["pg_restore", "--exit-on-error", "--no-owner", *libpq, "-d", restored, dump],
            check=True,
        )
        with psycopg.connect(dsn(restored)) as copy:
            facts = _facts(copy)
            assert facts == source
            assert {name for (name,) in facts["triggers"]} >= GUARD_TRIGGERS
            # The guards work in the copy, not merely exist.
            for statement in (
                "UPDATE payments_posting SET amount = amount + 1",
                "DELETE FROM payments_journalentry",
                "DELETE FROM accounts_auditevent",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    copy.execute(statement)
                copy.rollback()
    finally:
        with psycopg.connect(dsn(), autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
