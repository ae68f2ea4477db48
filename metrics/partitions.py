"""Monthly partitions of the feeds, the day rollup and the daily status on PostgreSQL (pg_partman).

metrics/migrations/0012 made the four tables `PARTITION BY RANGE (day)` and
registered them with pg_partman (native, monthly). `maintain` is what beat runs
every day (`manage.py maintain_partitions`): it sets the two raw feeds'
retention to FEED_RETENTION_DAYS (the rollup and the status keep no retention:
they are the history) and asks pg_partman to create the coming months and drop
the feed partitions whose whole month is older than the horizon. SQLite keeps
plain tables; there is nothing to maintain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from .models import AccountDailyStatus, AccountDayUsage, AppUsage, ConnectorUsage

# Raw feeds: partitions older than FEED_RETENTION_DAYS are dropped.
FEED_MODELS = (AppUsage, ConnectorUsage)
# Kept for good: the daily status is the history once the raw rows are gone.
KEPT_MODELS = (AccountDayUsage, AccountDailyStatus)


def parent_name(model) -> str:
    return f"public.{model._meta.db_table}"


@dataclass
class MaintenanceReport:
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def partitions(cursor, model) -> set[str]:
    """Names of the partitions of `model`'s table (the default partition aside)."""
    cursor.execute(
        "SELECT partition_tablename FROM partman.show_partitions(%s)",
        [parent_name(model)],
    )
    return {row[0] for row in cursor.fetchall()}


def is_partitioned() -> bool:
    return connection.vendor == "postgresql"


def maintain(*, retention_days: int | None = None) -> MaintenanceReport:
    """Create the coming months' partitions; drop raw-feed partitions past the retention horizon."""
    report = MaintenanceReport()
    if not is_partitioned():
        return report
    days = settings.FEED_RETENTION_DAYS if retention_days is None else retention_days
    models = (*FEED_MODELS, *KEPT_MODELS)
    with transaction.atomic(), connection.cursor() as cursor:
        before = {model: partitions(cursor, model) for model in models}
        cursor.execute(
            "UPDATE partman.part_config SET retention = %s, retention_keep_table = false, "
            "retention_keep_index = false, infinite_time_partitions = true "
            "WHERE parent_table = ANY(%s)",
            [f"{int(days)} days", [parent_name(m) for m in FEED_MODELS]],
        )
        cursor.execute(
            "UPDATE partman.part_config SET retention = NULL, "
            "infinite_time_partitions = true WHERE parent_table = ANY(%s)",
            [[parent_name(m) for m in KEPT_MODELS]],
        )
        for model in models:
            cursor.execute(
                "SELECT partman.run_maintenance(p_parent_table := %s, p_jobmon := false)",
                [parent_name(model)],
            )
        for model in models:
            after = partitions(cursor, model)
            report.created += sorted(after - before[model])
            report.dropped += sorted(before[model] - after)
    return report
