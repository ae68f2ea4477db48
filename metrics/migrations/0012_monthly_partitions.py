"""On PostgreSQL, the two feeds, the day rollup and the daily status become partitioned by month.

Each table is converted in place, so this works on an existing database: the
plain table is renamed aside, a table of the same columns, checks, key and
indexes (same names) is created `PARTITION BY RANGE (day)`, pg_partman
(`partman.create_parent`, native, monthly) creates its partitions — from the
month of the oldest row, or of the retention horizon if older (at most two years
back), up to four
months ahead, and for the two feeds a default partition for anything outside (the
rollup and the status have none, and months from five years back) — then the rows
are moved and the plain table dropped. `manage.py maintain_partitions` keeps
them up to date afterwards (docs/production.md). Nothing changes in Django's
migration state; SQLite keeps plain tables.

pg_partman is an extension of the PostgreSQL server (Debian:
`postgresql-15-partman`); without it this migration stops with that name.
"""

import datetime as dt

from django.conf import settings
from django.db import migrations

MODELS = ("appusage", "connectorusage", "accountdayusage", "accountdailystatus")
# The history kept for good: no default partition, so "an account's latest status"
# (ORDER BY day DESC LIMIT 1) walks the months newest first and stops at the first row,
# which PostgreSQL does only when no default partition can hold any day. Their months
# reach back further instead (KEPT_YEARS_BACK), and to their oldest row.
KEPT = ("accountdayusage", "accountdailystatus")
KEPT_YEARS_BACK = 5
SCHEMA = "partman"
# Older rows than this many years go to the default partition instead of one partition a month.
MAX_YEARS_BACK = 2


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _require_partman(cursor) -> None:
    cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman'")
    if cursor.fetchone() is None:
        raise RuntimeError(
            "PostgreSQL lacks the pg_partman extension the monthly partitions need: install it "
            "on the database server (Debian: apt-get install postgresql-15-partman)"
        )
    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    cursor.execute(f"CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA {SCHEMA}")


def _relkind(cursor, table: str) -> str | None:
    cursor.execute(
        "SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(%s)", [f"public.{table}"]
    )
    row = cursor.fetchone()
    return row[0] if row else None


def _indexes(cursor, table: str) -> tuple[tuple[str, str] | None, list[tuple[str, str]]]:
    """(primary key name, its definition) and [(index name, CREATE INDEX …)] of the other indexes."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'p'",
        [f"public.{table}"],
    )
    primary = cursor.fetchone()
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary ORDER BY i.relname",
        [f"public.{table}"],
    )
    return primary, list(cursor.fetchall())


def _to_partitioned(cursor, table: str, *, kept: bool) -> None:
    if _relkind(cursor, table) != "r":
        return  # already partitioned
    aside = f"{table}__plain"
    primary, indexes = _indexes(cursor, table)
    cursor.execute(f"ALTER TABLE {table} RENAME TO {aside}")
    for name, _ in [primary, *indexes] if primary else indexes:
        cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name}__plain"')
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {aside} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        f"INCLUDING STORAGE) PARTITION BY RANGE (day)"
    )
    if primary:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{primary[0]}" {primary[1]}')
    for _, definition in indexes:  # read before the renames: "ON public.<table>"
        cursor.execute(definition)
    cursor.execute(f"SELECT MIN(day) FROM {aside}")  # noqa: S608 - our own table
    oldest = cursor.fetchone()[0]
    today = dt.date.today()
    start = today - dt.timedelta(days=settings.FEED_RETENTION_DAYS)
    if kept:
        start = today - dt.timedelta(days=366 * KEPT_YEARS_BACK)
        if oldest is not None:
            start = min(start, oldest)
    else:
        if oldest is not None:
            start = min(start, oldest)
        start = max(start, today - dt.timedelta(days=366 * MAX_YEARS_BACK))
    cursor.execute(
        f"SELECT {SCHEMA}.create_parent(p_parent_table := %s, p_control := 'day', "
        "p_type := 'native', p_interval := 'monthly', p_premake := 4, "
        "p_start_partition := %s)",
        [f"public.{table}", _month_start(start).isoformat()],
    )
    if kept:
        cursor.execute(f"DROP TABLE IF EXISTS {table}_default")
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {aside}")  # noqa: S608
    cursor.execute(f"DROP TABLE {aside}")
    cursor.execute(f"ANALYZE {table}")


def _to_plain(cursor, table: str) -> None:
    if _relkind(cursor, table) != "p":
        return
    aside = f"{table}__parted"
    primary, indexes = _indexes(cursor, table)
    cursor.execute(f"ALTER TABLE {table} RENAME TO {aside}")
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {aside} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        f"INCLUDING STORAGE)"
    )
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {aside}")  # noqa: S608
    cursor.execute(f"DROP TABLE {aside} CASCADE")
    cursor.execute(
        f"DELETE FROM {SCHEMA}.part_config WHERE parent_table = %s", [f"public.{table}"]
    )
    cursor.execute(f"DROP TABLE IF EXISTS {SCHEMA}.template_public_{table}")
    if primary:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{primary[0]}" {primary[1]}')
    for _, definition in indexes:
        cursor.execute(definition.replace(f" ON ONLY public.{table} ", f" ON public.{table} "))


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        _require_partman(cursor)
        for model in MODELS:
            table = apps.get_model("metrics", model)._meta.db_table
            _to_partitioned(cursor, table, kept=model in KEPT)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for model in MODELS:
            _to_plain(cursor, apps.get_model("metrics", model)._meta.db_table)


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0011_status_fewer_indexes"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
