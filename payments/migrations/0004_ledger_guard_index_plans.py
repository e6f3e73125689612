"""The deferred balance check runs once per posting and per entry at COMMIT. plpgsql caches its
query plans per session: planned while the postings table was small (a fresh database, before
the first big settlement), the cached plan is a sequential scan, and a set-based settlement of
N entries then costs O(N²) at COMMIT. Forcing index paths inside the check function keeps each
check an index lookup whatever the statistics said when the plan was cached."""

from django.db import migrations

FORWARD = "ALTER FUNCTION payments_check_entry_balanced() SET enable_seqscan = off"
BACKWARD = "ALTER FUNCTION payments_check_entry_balanced() RESET enable_seqscan"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_earnings_fairpay_payouts")]

    operations = [migrations.RunPython(forwards, backwards)]
