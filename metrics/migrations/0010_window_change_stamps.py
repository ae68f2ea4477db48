"""Change stamps for the incremental window: when a rollup row last changed, when a status was written.

The rollup's (day) index becomes (day, changed_at): it still finds a day's rows, and it
finds the rows of a window changed since a time (metrics.window).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_editors_do_not_delete_accounts'),
        ('metrics', '0009_pending_errors_and_unconfirmed_codes'),
    ]

    operations = [
        migrations.AddField(
            model_name='accountdailystatus',
            name='computed_at',
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='accountdayusage',
            name='changed_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.AddIndex(
            model_name='accountdayusage',
            index=models.Index(fields=['day', 'changed_at'], name='account_day_usage_changed'),
        ),
        migrations.RemoveIndex(
            model_name='accountdayusage',
            name='account_day_usage_day',
        ),
    ]
