import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Drop the FK indexes of Assignment.item/expert and Annotation.project/expert: the unique
    (item, expert) index and the (expert, project, status), (project, review_status,
    submitted_at) and (expert, -submitted_at) indexes lead with the same columns. Fewer index
    writes per claim and submit, and the claim's "done by this expert?" probe can only use the
    (item, expert) index."""

    dependencies = [
        ('labeling', '0004_item_project_no_separate_index'),
        ('marketplace', '0003_project_board_mirrors'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='annotation',
            name='expert',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='annotations', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='annotation',
            name='project',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='marketplace.project'),
        ),
        migrations.AlterField(
            model_name='assignment',
            name='expert',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='assignment',
            name='item',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='labeling.item'),
        ),
    ]
