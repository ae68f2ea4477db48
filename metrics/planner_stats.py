"""Fresh planner statistics for the status partition a recompute just filled (PostgreSQL).

A monthly partition holds some thirty days of status. Right after the nightly
run writes a new day, the partition's statistics still describe the days
before: PostgreSQL then estimates one row for `day = <the new day>` and picks
plans that read the whole day (the accounts list and an account's health went
from milliseconds to seconds on the bench's data). Autovacuum analyzes a
partition only after a tenth of it changed, i.e. every third day. So once the last
chunk of a day is done (recompute_queue.days_finished), the recompute queue
analyzes the partition if the day is unknown to its statistics (not among the
most common values of `day`, outside the histogram): once per new day, a
sample of 30,000 rows.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from .models import AccountDailyStatus


def refresh_status_statistics(days: list[dt.date]) -> list[str]:
    """ANALYZE the status partitions holding one of `days` that their statistics don't know."""
    if connection.vendor != "postgresql" or not days:
        return []
    table = AccountDailyStatus._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT DISTINCT s.partition
            FROM unnest(%s::date[]) AS d(day)
            CROSS JOIN LATERAL (
                SELECT tableoid::regclass::text AS partition, tableoid FROM {table}
                WHERE day = d.day LIMIT 1
            ) s
            JOIN pg_class c ON c.oid = s.tableoid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_stats p
              ON p.schemaname = n.nspname AND p.tablename = c.relname AND p.attname = 'day'
            -- Known: among the most common values, or inside the histogram (NULL: not known).
            WHERE NOT COALESCE(d.day = ANY (p.most_common_vals::text::date[]), false)
              AND NOT COALESCE(
                  d.day BETWEEN (p.histogram_bounds::text::date[])[1]
                      AND (p.histogram_bounds::text::date[])[
                          array_length(p.histogram_bounds::text::date[], 1)],
                  false)
            """,  # noqa: S608
            [sorted(set(days))],
        )
        stale = [row[0] for row in cursor.fetchall()]
        for name in stale:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
    return stale
