"""The status table's (day, color) index gains `score`; accounts reach their statuses by a join.

With `score` in the index, "this colour's accounts of a day, by score" is an
index walk that stops after a page instead of a sort of every match. The
reverse relation (`Account.daily_statuses`) changes nothing in the database.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("metrics", "0007_feed_day_brin"),
    ]

    operations = [
        # The new index first: the colour filters are never without one.
        migrations.AddIndex(
            model_name="accountdailystatus",
            index=models.Index(fields=["day", "color", "score"], name="status_day_color_score"),
        ),
        migrations.RemoveIndex(
            model_name="accountdailystatus",
            name="status_day_color",
        ),
        migrations.AlterField(
            model_name="accountdailystatus",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="daily_statuses",
                to="accounts.account",
            ),
        ),
    ]
