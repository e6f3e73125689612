"""Two PostgreSQL settings that cut contention when settlements run on several connections at
once (bench/payments.py, docs/benchmarks.md "Payments"):

- the entry and posting id sequences hand each connection blocks of 1,000 ids (CACHE), so two
  settlements append to different index pages instead of taking turns on the last one (ids
  stay unique; they are no longer in commit order across connections, and gaps appear);
- the posting account index keeps one entry per posting (deduplicate_items off): a few
  accounts (escrow, fees) take most postings, and merging their duplicates on every full page
  cost more than the larger index (one full run each: earnings 48.6 s without, 55.4 s with).
"""

from django.db import migrations

SEQUENCE_CACHE = 1000
POSTING_ACCOUNT_INDEX = "payments_posting_account_id_a388d136"


def _apply(schema_editor, *, cache: int, index_option: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("payments_journalentry", "payments_posting"):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
        schema_editor.execute(f"ALTER SEQUENCE {sequence} CACHE {cache}")
    schema_editor.execute(f"ALTER INDEX {POSTING_ACCOUNT_INDEX} {index_option}")


def forwards(apps, schema_editor):
    _apply(schema_editor, cache=SEQUENCE_CACHE, index_option="SET (deduplicate_items = off)")


def backwards(apps, schema_editor):
    _apply(schema_editor, cache=1, index_option="RESET (deduplicate_items)")


class Migration(migrations.Migration):
    dependencies = [("payments", "0006_earning_marks")]

    operations = [migrations.RunPython(forwards, backwards)]
