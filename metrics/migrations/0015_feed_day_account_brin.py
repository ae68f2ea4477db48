"""On PostgreSQL, the feeds' BRIN indexes cover (day, account_id): a chunk reads its accounts' rows only.

A recompute fanned out to workers runs one chunk (a range of account ids) per
task, and each chunk rolls up its accounts' rows of the day. With a BRIN index on
`day` alone every chunk read all of the day's rows and threw most away. A feed
file is loaded a day at a time, in the file's order, which is by account (the
exports are): so each block range of a day also covers a narrow range of
accounts, and the two-column BRIN finds a chunk's blocks. Rows in another order
only make it as selective as the day alone, never worse. The connector feed has
few rows a day (a block range of the default 128 pages spans most accounts of a
day), so its ranges are 16 pages.

Same names as before, so Django's migration state (an index on `day`, see
0007) still finds them; SQLite keeps its B-tree on `day`.
"""

from django.db import migrations

# (model, index, storage options of the two-column index)
INDEXES = (
    ("appusage", "app_usage_day", ""),
    ("connectorusage", "connector_usage_day", ", pages_per_range = 16"),
)


def _recreate(apps, schema_editor, *, with_account: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for model_name, index, options in INDEXES:
        table = apps.get_model("metrics", model_name)._meta.db_table
        columns = f"{quote('day')}, {quote('account_id')}" if with_account else quote("day")
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(index)}")
        schema_editor.execute(
            f"CREATE INDEX {quote(index)} ON {quote(table)} USING brin ({columns}) "
            f"WITH (autosummarize = on{options if with_account else ''})"
        )


def day_and_account(apps, schema_editor):
    _recreate(apps, schema_editor, with_account=True)


def day_only(apps, schema_editor):
    _recreate(apps, schema_editor, with_account=False)


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0014_status_day_score_index"),
    ]

    operations = [
        migrations.RunPython(day_and_account, day_only, elidable=False),
    ]
