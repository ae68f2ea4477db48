"""Monthly partitions (PostgreSQL, pg_partman): maintain_partitions drops old raw-feed months, never the status."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from core.days import business_today
from metrics import compute, partitions
from metrics.models import AccountDailyStatus, AccountDayUsage, App, AppUsage
from tests import factories
from tests.api.conftest import token_client

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]


def partition_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"public.{name}"])
        return cursor.fetchone()[0]


def month_suffix(day: dt.date) -> str:
    return f"p{day.year}_{day.month:02d}"


def test_an_old_month_of_feed_is_dropped_while_its_daily_status_is_still_served(coo):
    today = business_today()
    # A day in a month wholly older than a 60-day retention (partitions reach back 400 days).
    old_day = (today - dt.timedelta(days=120)).replace(day=10)
    account = factories.AccountFactory(external_id="ent-old")
    apps = App.objects.order_by("id")[:3]
    AppUsage.objects.bulk_create(
        AppUsage(account=account, day=old_day, app=app, minutes=45, active_users=3) for app in apps
    )
    compute.recompute(start=old_day, end=old_day)
    feed_partition = f"{AppUsage._meta.db_table}_{month_suffix(old_day)}"
    assert partition_exists(feed_partition)

    out = StringIO()
    call_command("maintain_partitions", retention_days=60, stdout=out)

    assert f"dropped {feed_partition}" in out.getvalue()
    assert not partition_exists(feed_partition)
    assert not AppUsage.objects.filter(day=old_day).exists()
    # The rollup and the status keep their months.
    for model in (AccountDayUsage, AccountDailyStatus):
        assert partition_exists(f"{model._meta.db_table}_{month_suffix(old_day)}")
    response = token_client(coo).get(f"/api/v1/accounts/ent-old/health/?date={old_day}")
    assert response.status_code == 200
    body = response.json()
    assert body["minutes"] == 135
    assert body["apps_used"] == 3


def test_maintenance_creates_the_coming_months_and_keeps_recent_feed():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partition_tablename FROM partman.show_partitions(%s, 'DESC') LIMIT 1",
            [partitions.parent_name(AppUsage)],
        )
        newest = cursor.fetchone()[0]
        # Pretend the newest month was never made: maintenance makes it again.
        cursor.execute(f"DROP TABLE {newest}")
    report = partitions.maintain(retention_days=36500)
    assert newest in report.created
    assert partition_exists(newest)
    assert not [name for name in report.dropped if name.startswith(AppUsage._meta.db_table)]
