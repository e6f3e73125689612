import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Drop Item.project's own index: the unique (project, external_id) index covers it."""

    dependencies = [
        ("labeling", "0003_quality_analytics"),
    ]

    operations = [
        migrations.AlterField(
            model_name="item",
            name="project",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="items",
                to="marketplace.project",
            ),
        ),
    ]
