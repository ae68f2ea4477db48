"""make bench's split of a recompute: the time of its statements by table, and the day's read."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.db.models import Sum

from bench.common import StatementTimes
from bench.run import day_sums
from metrics import compute
from metrics.models import AccountDailyStatus, AccountDayUsage, App
from tests import factories

DAY = dt.date(2026, 11, 20)


@pytest.fixture
def feed():
    analytics = App.objects.filter(category="analytics").first()
    others = list(App.objects.exclude(category="analytics")[:4])
    for n, account in enumerate(factories.AccountFactory.create_batch(4)):
        for app in others[: n + 1]:  # the first account's one row has 0 minutes: not an app used
            factories.app_usage(account, DAY, app.code, 10 * n)
        if n % 2:
            factories.app_usage(account, DAY, analytics.code, 7)


@pytest.mark.django_db
def test_a_recompute_is_split_by_the_table_each_statement_writes(feed):
    started = time.perf_counter()
    with StatementTimes() as parts:
        compute.recompute(start=DAY, end=DAY)
    elapsed = time.perf_counter() - started
    rollup, status = AccountDayUsage._meta.db_table, AccountDailyStatus._meta.db_table
    assert parts.seconds[rollup] > 0
    assert parts.seconds[status] > 0
    assert parts.seconds[""] > 0  # the plan's and the locks' queries
    assert sum(parts.seconds.values()) <= elapsed


@pytest.mark.django_db
def test_the_day_read_sums_what_the_rollup_sums(feed):
    compute.recompute(start=DAY, end=DAY)
    rollup = AccountDayUsage.objects.filter(day=DAY).aggregate(
        minutes=Sum("minutes"), apps=Sum("apps_used"), analytics=Sum("analytics_minutes")
    )
    with connection.cursor() as cursor:
        accounts, minutes, apps, analytics = day_sums(cursor, day=DAY)
    assert accounts == AccountDayUsage.objects.filter(day=DAY).count() == 4
    assert (minutes, apps, analytics) == (rollup["minutes"], rollup["apps"], rollup["analytics"])
