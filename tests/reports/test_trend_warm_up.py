"""A trend day whose window is not full (feeds began less than window_days before it) is a gap."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.models import AccountDailyStatus, AccountDayUsage, IntegrationLevel, MetricPolicy
from reports import pipeline
from tests import factories

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 30)


def test_weeks_without_a_full_window_are_left_out_of_the_trend_and_its_change(client, coo):
    policy = MetricPolicy.objects.latest()
    vertical = factories.vertical("manufacturing")
    account = factories.AccountFactory(vertical=vertical)
    # Feeds start 50 days before DAY: only the weeks from first + window - 1 on are full.
    first_feed = DAY - dt.timedelta(days=50)
    AccountDayUsage.objects.create(
        account=account, day=first_feed, minutes=10, apps_used=1, analytics_minutes=0
    )
    deep_days = [DAY - dt.timedelta(weeks=k) for k in range(11, -1, -1)]
    for day in deep_days:
        # Warm-up weeks read as 0 deep customers; full ones as 1.
        full = day >= first_feed + dt.timedelta(days=policy.window_days - 1)
        AccountDailyStatus.objects.create(
            account=account,
            day=day,
            policy=policy,
            deep_integration_level=IntegrationLevel.DEEP if full else IntegrationLevel.NONE,
        )

    review = pipeline.pipeline_review(verticals=[vertical], day=DAY)
    [row] = review["verticals"]
    first_full = first_feed + dt.timedelta(days=policy.window_days - 1)
    assert review["first_full_day"] == first_full
    for day, value in zip(deep_days, row["deep_trend"], strict=True):
        assert value == (1 if day >= first_full else None), day
    assert row["deep_change"] == 0  # 1 then 1: no warm-up zero to rise from
    full_weeks = sum(day >= first_full for day in deep_days)
    assert row["deep_change_weeks"] == full_weeks - 1

    client.force_login(coo)
    html = client.get(f"/pipeline/?date={DAY}").content.decode()
    assert f"in {full_weeks - 1} weeks" in html
    assert "in 12 weeks" not in html
    assert f"Days before {first_full.isoformat()} are left out" in html
