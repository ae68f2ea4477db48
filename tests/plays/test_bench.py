"""bench.plays_bench on a few hundred synthetic accounts: `make bench`'s run_plays rows run.

PostgreSQL only (the bench generates its data with generate_series), like `make bench`.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from bench import plays_bench
from bench.common import generate_connectors_visits_requirements, make_accounts
from bench.run import generate_window
from core import days
from metrics import compute, status_sql
from metrics.models import AccountDailyStatus, MetricPolicy
from plays.models import CTA

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the bench runs on PostgreSQL"),
]


def test_the_bench_times_run_plays_beside_a_recompute_it_leaves_alone(
    django_capture_on_commit_callbacks,
):
    accounts = 300
    policy = MetricPolicy.objects.current()
    day = days.last_complete_day()
    first = status_sql.window_start(day, policy)
    ids = make_accounts(accounts)
    generate_window(first=first, last=day, ids=ids, apps=4)
    generate_connectors_visits_requirements(first=first, last=day, ids=ids)
    compute.rebuild_rollup(start=first, end=day)

    # The recompute of the last complete day would evaluate the plays (eagerly, no broker):
    # detached, it writes the status and opens nothing.
    with plays_bench.plays_detached():
        written = compute.recompute(start=day, end=day)
    assert written == accounts
    assert not CTA.objects.exists()

    notes: list[str] = []
    rows = plays_bench.table_rows(day=day, accounts=accounts, t_recompute=1.0, notes=notes)
    assert [row[0] for row in rows] == [
        "run_plays 1 day, 300 accounts (opening the CTAs)",
        "run_plays again (every CTA already open: refreshed)",
    ]
    assert all(row[2].endswith("x recompute") and row[3] == "<= 0.5x recompute" for row in rows)
    assert plays_bench.lookback_days(day) == [
        day - dt.timedelta(days=28),
        day - dt.timedelta(days=7),
    ]
    assert AccountDailyStatus.objects.filter(day=day - dt.timedelta(days=7)).count() == accounts
    opened = CTA.objects.filter(status="open").count()
    assert opened > 0
    assert f"opened {opened:,} CTAs" in notes[0]
    # Attached again after the bench: a recompute of the day evaluates the plays.
    CTA.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        compute.recompute(start=day, end=day)
    assert CTA.objects.filter(status="open").count() == opened
