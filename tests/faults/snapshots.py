"""Row-for-row comparison of tables, done in PostgreSQL: a snapshot is a temporary copy, compared by EXCEPT."""

from __future__ import annotations

from django.db import connection

from metrics.models import AccountDailyStatus, AccountDayUsage, AppUsage, PendingRecompute

STATUS = AccountDailyStatus._meta.db_table
ROLLUP = AccountDayUsage._meta.db_table
APP_FEED = AppUsage._meta.db_table
PENDING = PendingRecompute._meta.db_table


def _scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


# When the engine wrote a row, not what it holds: two runs that agree differ in these.
STAMPS = ("changed_at", "computed_at")


def _values(table: str) -> str:
    """`table`'s columns but the write stamps, as a SELECT list."""
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
    return ", ".join(c for c in columns if c not in STAMPS)


def take(table: str, name: str) -> int:
    """Copy `table` (its values, not its write stamps) into the temporary table `name`; rows copied."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} AS SELECT {_values(table)} FROM {table}")
    return _scalar(f"SELECT count(*) FROM {name}")


def differences(table: str, name: str) -> tuple[int, int]:
    """(rows in `table` not in the snapshot, rows in the snapshot not in `table`); (0, 0) means equal.

    EXCEPT ALL, so a duplicated row counts as a difference too.
    """
    values = _values(table)
    extra = _scalar(
        f"SELECT count(*) FROM (SELECT {values} FROM {table} EXCEPT ALL SELECT * FROM {name}) x"
    )
    missing = _scalar(
        f"SELECT count(*) FROM (SELECT * FROM {name} EXCEPT ALL SELECT {values} FROM {table}) x"
    )
    return extra, missing


def count(table: str) -> int:
    return _scalar(f"SELECT count(*) FROM {table}")


def clear(*tables: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")


def drop(*names: str) -> None:
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
