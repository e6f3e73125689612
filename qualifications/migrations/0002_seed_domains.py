"""Seed the domain taxonomy (qualifications/taxonomy.py). Idempotent by slug."""

from django.db import migrations

from qualifications.taxonomy import seed_domains


def seed(apps, schema_editor):
    seed_domains(apps.get_model("qualifications", "Domain"))


class Migration(migrations.Migration):
    dependencies = [("qualifications", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
