"""An index on the daily status by (day, score, account): lists sorted by score walk it.

A vertical's page and the accounts API sorted by score (ties by account) read one
day's statuses in that order and stop after a page, instead of sorting every
account of the day.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0013_maintain_partitions_schedule"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="accountdailystatus",
            index=models.Index(fields=["day", "score", "account"], name="status_day_score"),
        ),
    ]
