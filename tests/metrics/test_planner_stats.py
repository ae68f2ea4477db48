"""The recompute queue refreshes the planner's statistics of a status partition that gained a day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from core.days import business_today
from metrics import planner_stats, recompute_queue
from metrics.models import AccountDailyStatus, App, AppUsage
from tests import factories

pytestmark = pytest.mark.django_db


def known_days(day: dt.date) -> list[dt.date]:
    """The days the statistics of `day`'s status partition know (most common values of `day`)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {AccountDailyStatus._meta.db_table} "  # noqa: S608
            "WHERE day = %s LIMIT 1",
            [day],
        )
        partition = cursor.fetchone()[0]
        cursor.execute(
            "SELECT most_common_vals::text::date[] FROM pg_stats "
            "WHERE tablename = %s AND attname = 'day'",
            [partition],
        )
        row = cursor.fetchone()
    return sorted(row[0] or []) if row else []


def feed(accounts, day: dt.date) -> None:
    app = App.objects.order_by("id").first()
    AppUsage.objects.bulk_create(
        AppUsage(account=account, day=day, app=app, minutes=60, active_users=2)
        for account in accounts
    )


def run_queue(day: dt.date, *, chunk_accounts: int = 1_000) -> list[int]:
    """Recompute `day` through the queue in chunks; the pending ids, in the order run."""
    recompute_queue.schedule_recompute(start=day, end=day)
    recompute_queue.split_pending_recomputes(chunk_accounts=chunk_accounts)
    ids = recompute_queue.pending_to_dispatch()
    for pending_id in ids:
        recompute_queue.run_pending_recompute(pending_id=pending_id)
    return ids


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's")
def test_a_new_day_written_by_the_queue_is_known_to_the_statistics_once():
    accounts = [factories.AccountFactory(external_id=f"ent-{n}") for n in range(5)]
    # Two days of one month, well inside the partitions kept (metrics/partitions.py).
    first = (business_today() - dt.timedelta(days=45)).replace(day=10)
    second = first + dt.timedelta(days=1)
    feed(accounts, first)
    feed(accounts, second)

    run_queue(first)
    assert first in known_days(first)
    assert second not in known_days(first)

    assert len(run_queue(second, chunk_accounts=3)) == 2
    assert {first, second} <= set(known_days(second))
    # Known now: asking again analyzes nothing.
    assert planner_stats.refresh_status_statistics([first, second]) == []


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite has no partitions")
def test_sqlite_has_nothing_to_refresh():
    assert planner_stats.refresh_status_statistics([business_today()]) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's")
def test_a_day_is_analyzed_when_its_last_chunk_is_done():
    accounts = [factories.AccountFactory(external_id=f"ent-{n}") for n in range(4)]
    day = (business_today() - dt.timedelta(days=45)).replace(day=12)
    feed(accounts, day)
    recompute_queue.schedule_recompute(start=day, end=day)
    recompute_queue.split_pending_recomputes(chunk_accounts=2)
    first_chunk, last_chunk = recompute_queue.pending_to_dispatch()

    recompute_queue.run_pending_recompute(pending_id=first_chunk)
    assert day not in known_days(day)  # half the day written: not yet
    recompute_queue.run_pending_recompute(pending_id=last_chunk)
    assert day in known_days(day)
