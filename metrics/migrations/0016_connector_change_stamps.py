"""A change stamp on the connector feed: the window's connectors are carried from the day before.

As the rollup's `changed_at` (0010): a stored status whose window holds a connector row
changed after it was written is not carried from (metrics.window). The ingest stamps the
rows it writes and those whose records change; the column's database default stamps any
other insert. Rows already there take the time of this migration (a stable default: no
table rewrite), so each account's next day reads its connectors whole once.
"""

import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_editors_do_not_delete_accounts'),
        ('metrics', '0015_feed_day_account_brin'),
    ]

    operations = [
        migrations.AddField(
            model_name='connectorusage',
            name='changed_at',
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                default=django.utils.timezone.now,
                editable=False,
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name='connectorusage',
            index=models.Index(fields=['day', 'changed_at'], name='connector_usage_changed'),
        ),
    ]
