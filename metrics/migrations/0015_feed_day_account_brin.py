"""On PostgreSQL, the feeds' BRIN indexes cover (day, account_id): a chunk reads its accounts' rows only.

A recompute fanned out to workers runs one chunk (a range of account ids) per
task, and each chunk rolls up its accounts' rows of the day. With a BRIN index on
`day` alone every chunk read all of the day's rows and threw most away. A feed
file is loaded a day at a time, in the file's order, which is by account (the
exports are): so each block range of a day also covers a narrow range of
accounts, and the two-column BRIN finds a chunk's blocks. Rows in another order
only make it as selective as the day alone, never worse.

Same names as before, so Django's migration state (an index on `day`, see
0007) still finds them; SQLite keeps its B-tree on `day`.
"""

from django.db import migrations

INDEXES = (("appusage", "app_usage_day"), ("connectorusage", "connector_usage_day"))


def _recreate(apps, schema_editor, *, columns: tuple[str, ...]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for model_name, index in INDEXES:
        table = apps.get_model("metrics", model_name)._meta.db_table
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(index)}")
        schema_editor.execute(
            f"CREATE INDEX {quote(index)} ON {quote(table)} USING brin "
            f"({', '.join(quote(c) for c in columns)}) WITH (autosummarize = on)"
        )


def day_and_account(apps, schema_editor):
    _recreate(apps, schema_editor, columns=("day", "account_id"))


def day_only(apps, schema_editor):
    _recreate(apps, schema_editor, columns=("day",))


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0014_status_day_score_index"),
    ]

    operations = [
        migrations.RunPython(day_and_account, day_only, elidable=False),
    ]
