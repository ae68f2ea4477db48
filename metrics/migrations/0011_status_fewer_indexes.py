"""The status table keeps its key and the (day, color, score) index: one write less per row for each index dropped."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0010_window_change_stamps'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='accountdailystatus',
            name='status_day_level',
        ),
        migrations.AlterField(
            model_name='accountdailystatus',
            name='policy',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='metrics.metricpolicy'),
        ),
    ]
