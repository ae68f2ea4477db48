"""The COO sees the 12-week trend's warm-up weeks as gaps, and a change between full weeks only.

Feeds that begin less than window_days before the trend starts make the first weeks' windows
short: their statuses read low for want of data. The chart must leave those days empty (null in
the Chart.js data, not 0) and the headline change must compare the full weeks it names.
"""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.models import AccountDailyStatus, AccountDayUsage, IntegrationLevel, MetricPolicy
from tests import factories
from tests.browser.conftest import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DAY = dt.date(2026, 6, 30)

DEEP_TREND = """() => {
    const chart = window.frontlineCharts["chart-deep-trend"];
    return {
        labels: chart.data.labels,
        series: Object.fromEntries(chart.data.datasets.map((ds) => [ds.label, ds.data])),
    };
}"""


def test_the_coo_sees_warm_up_weeks_as_gaps_and_a_change_between_full_weeks(page, live_server):
    policy = MetricPolicy.objects.latest()
    vertical = factories.vertical("manufacturing")
    factories.person("coo", None, username="coo_warm")
    accounts = factories.AccountFactory.create_batch(3, vertical=vertical)
    # Feeds begin 50 days before DAY, so only the trend's last weeks have a full window.
    first_feed = DAY - dt.timedelta(days=50)
    first_full = first_feed + dt.timedelta(days=policy.window_days - 1)
    AccountDayUsage.objects.create(
        account=accounts[0], day=first_feed, minutes=10, apps_used=1, analytics_minutes=0
    )
    deep_days = [DAY - dt.timedelta(weeks=k) for k in range(11, -1, -1)]
    assert deep_days[0] < first_full < DAY
    for day in deep_days:
        # A warm-up week reads 0 deep customers (short window); a full one reads all three.
        level = IntegrationLevel.DEEP if day >= first_full else IntegrationLevel.NONE
        for account in accounts:
            AccountDailyStatus.objects.create(
                account=account, day=day, policy=policy, deep_integration_level=level
            )
    full_weeks = sum(day >= first_full for day in deep_days)

    login(page, live_server, "coo_warm", "pw-frontline-1")
    page.goto(f"{live_server.url}/pipeline/?date={DAY.isoformat()}")
    page.wait_for_function("document.documentElement.dataset.chartsReady === '1'")
    trend = page.evaluate(DEEP_TREND)
    points = trend["series"]["Manufacturing"]
    assert len(points) == 12
    for day, value in zip(deep_days, points, strict=True):
        # null in the chart is a gap Chart.js leaves undrawn; 0 would plot a fall to nothing.
        assert value == (3 if day >= first_full else None), (day, points)

    change = page.locator(
        '.headline-card[data-vertical="manufacturing"] [data-number="deep_change"]'
    ).inner_text()
    # 3 then 3 over the full weeks, not "▲ +3 in 12 weeks" (the current total).
    assert change == f"= 0 in {full_weeks - 1} weeks", change
    assert "12 weeks" not in page.locator(".headline-card").first.inner_text()
    assert f"Days before {first_full.isoformat()} are left out" in page.content()
