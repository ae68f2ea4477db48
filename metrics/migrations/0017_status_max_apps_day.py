"""The last day of the window that reached the most apps: the maximum is carried while it stays.

A nullable column, added without a rewrite of the partitioned status. Rows written before
have none: the next day reads that account's window's rollup rows again once (the carried
window's only fallback, metrics.status_sql._carried_window_join), and from then on carries.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0016_connector_change_stamps'),
    ]

    operations = [
        migrations.AddField(
            model_name='accountdailystatus',
            name='max_apps_day',
            field=models.DateField(editable=False, null=True),
        ),
    ]
