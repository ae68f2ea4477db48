"""An index on the daily status by (day, score): lists sorted by score walk it.

A vertical's page and the accounts API sorted by score read one day's statuses in
score order and stop after a page, instead of sorting every account of the day.
Without the account in the key, the entries of one score deduplicate: several
times smaller than with the account in the key, and cheaper to write.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0009_pending_errors_and_unconfirmed_codes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="accountdailystatus",
            index=models.Index(fields=["day", "score"], name="status_day_score"),
        ),
    ]
