"""Two PostgreSQL settings that cut contention when settlements run on several connections at
once (bench/payments.py, docs/benchmarks.md "Payments"):

- the entry and posting id sequences hand each connection blocks of 1,000 ids (CACHE), so two
  settlements append to different index pages instead of taking turns on the last one (ids
  stay unique; they are no longer in commit order across connections, and gaps appear);
- the posting account index keeps one entry per posting (deduplicate_items off): the platform
  fee account takes a posting per earning, and merging its duplicates on every full page under
  two writers cost more than the larger index.
"""

from django.db import migrations

SEQUENCE_CACHE = 1000
POSTING_ACCOUNT_INDEX = "payments_posting_account_id_a388d136"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("payments_journalentry", "payments_posting"):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
        schema_editor.execute(f"ALTER SEQUENCE {sequence} CACHE {SEQUENCE_CACHE}")
    schema_editor.execute(f"ALTER INDEX {POSTING_ACCOUNT_INDEX} SET (deduplicate_items = off)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("payments_journalentry", "payments_posting"):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
        schema_editor.execute(f"ALTER SEQUENCE {sequence} CACHE 1")
    schema_editor.execute(f"ALTER INDEX {POSTING_ACCOUNT_INDEX} RESET (deduplicate_items)")


class Migration(migrations.Migration):
    dependencies = [("payments", "0006_earning_marks")]

    operations = [migrations.RunPython(forwards, backwards)]
