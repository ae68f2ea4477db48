"""On PostgreSQL, the feeds' `day` indexes become BRIN; SQLite (which has no BRIN) keeps the B-tree.

The feeds are loaded a day at a time, so their rows lie in day order: a BRIN
index (one summary per 128 pages) finds one day's rows as well as the B-tree
does, at a few kB instead of tens of MB per 10 million rows, and costs the
ingest next to nothing to maintain. `autosummarize` asks autovacuum to
summarize each range once an ingest has filled it.

Django's migration state is unchanged (AppUsage/ConnectorUsage.Meta declare
an index on `day` with the same names), so a later RemoveIndex or rename still
finds it on either database.
"""

from django.db import migrations

INDEXES = (("appusage", "app_usage_day"), ("connectorusage", "connector_usage_day"))


def _recreate(apps, schema_editor, *, method: str, options: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for model_name, index in INDEXES:
        table = apps.get_model("metrics", model_name)._meta.db_table
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(index)}")
        schema_editor.execute(
            f"CREATE INDEX {quote(index)} ON {quote(table)} USING {method} ({quote('day')}){options}"
        )


def to_brin(apps, schema_editor):
    _recreate(apps, schema_editor, method="brin", options=" WITH (autosummarize = on)")


def to_btree(apps, schema_editor):
    _recreate(apps, schema_editor, method="btree", options="")


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0006_drop_redundant_feed_indexes"),
    ]

    operations = [
        migrations.RunPython(to_brin, to_btree, elidable=False),
    ]
