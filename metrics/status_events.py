"""The account events a recompute of the last complete day writes: level and colour changes.

Around the status upsert of that day, `changes_recorded` keeps each recomputed
account's level and colour as they stood (the day's row if there is one, else
the day before's) in a temporary table, and afterwards writes one
`account.level_changed` / `account.color_changed` event per account whose value
differs - two INSERT … SELECT statements in the recompute's own transaction
(events.services.record_events_sql). An account with no status before gets none.
Nothing at all is done when no active subscription receives these types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from accounts.event_rows import event_rows_sql
from core.days import last_complete_day
from core.json_sql import json_object_sql
from events.models import EventType
from events.selectors import anyone_listens
from events.services import record_events_sql

from .models import AccountDailyStatus
from .status_sql import AccountFilter, params_date, params_datetime

BEFORE = "metrics_status_before_recompute"

# event type -> the status column it watches
WATCHED = {
    EventType.ACCOUNT_LEVEL_CHANGED: "deep_integration_level",
    EventType.ACCOUNT_COLOR_CHANGED: "color",
}


def _snapshot_sql(accounts: AccountFilter) -> str:
    """Each account's level and colour before the upsert: the day's row, else the day before's."""
    status = AccountDailyStatus._meta.db_table
    return f"""
        CREATE TEMPORARY TABLE {BEFORE} AS
        SELECT p.account_id,
               COALESCE(c.deep_integration_level, p.deep_integration_level) AS deep_integration_level,
               COALESCE(c.color, p.color) AS color
        FROM {status} p
        LEFT JOIN {status} c ON c.account_id = p.account_id AND c.day = %(day)s
        WHERE p.day = %(previous)s AND {accounts.sql("p.account_id")}
        UNION ALL
        SELECT c.account_id, c.deep_integration_level, c.color
        FROM {status} c
        WHERE c.day = %(day)s AND {accounts.sql("c.account_id")}
          AND NOT EXISTS (SELECT 1 FROM {status} p
                          WHERE p.account_id = c.account_id AND p.day = %(previous)s)
    """  # noqa: S608 - table names from model meta, ids inlined through int()


def _changes_sql(column: str, accounts: AccountFilter) -> str:
    """EVENT_SELECT_COLUMNS of every recomputed account whose `column` changed."""
    status = AccountDailyStatus._meta.db_table
    return event_rows_sql(
        data=json_object_sql(f"'day', %s, 'before', b.{column}, 'after', s.{column}"),
        source=f"{status} s JOIN {BEFORE} b ON b.account_id = s.account_id",
        account_id="s.account_id",
        where=f"s.day = %s AND {accounts.sql('s.account_id')} AND s.{column} <> b.{column}",
        order_by="s.account_id",
    )


@contextmanager
def changes_recorded(*, day: dt.date, accounts: AccountFilter, cursor) -> Iterator[None]:
    """Wrap the status upsert of `day` (same transaction, same cursor) to record what it changed."""
    watched = {t: c for t, c in WATCHED.items() if anyone_listens(t)}
    if day != last_complete_day() or not watched:
        yield
        return
    cursor.execute(f"DROP TABLE IF EXISTS {BEFORE}")
    cursor.execute(
        _snapshot_sql(accounts),
        {"day": params_date(day), "previous": params_date(day - dt.timedelta(days=1))},
    )
    yield
    now = params_datetime(timezone.now())
    for event_type, column in watched.items():
        record_events_sql(
            event_type=event_type,
            select_sql=_changes_sql(column, accounts),
            params=[now, day.isoformat(), params_date(day)],
        )
    cursor.execute(f"DROP TABLE {BEFORE}")
