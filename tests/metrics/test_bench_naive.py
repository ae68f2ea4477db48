"""bench.run's naive per-account loop writes the same status as the SQL engine."""

from __future__ import annotations

import datetime as dt

import pytest

from bench.run import naive_loop
from core.days import end_of_day
from metrics import compute
from metrics.models import AccountDailyStatus, App, Connector
from tests import factories

DAY = dt.date(2026, 11, 20)
FIELDS = [
    f.name
    for f in AccountDailyStatus._meta.concrete_fields
    if f.name not in ("id", "account", "day", "policy", "computed_at")
]


@pytest.mark.django_db
def test_naive_loop_agrees_with_the_engine():
    account = factories.AccountFactory()
    analytics = App.objects.filter(category="analytics").first()
    others = list(App.objects.exclude(category="analytics")[:3])
    connectors = list(Connector.objects.all()[:2])
    for back in range(20):
        day = DAY - dt.timedelta(days=back)
        for app in others:
            factories.app_usage(account, day, app.code, 30)
        if back % 3 == 0:
            factories.app_usage(account, day, analytics.code, 10)
        for connector in connectors:
            factories.connector_usage(account, day, connector.code, 800)
    factories.VisitFactory(account=account, visited_on=DAY - dt.timedelta(days=40))
    factories.RequirementFactory(account=account, raised_at=end_of_day(DAY - dt.timedelta(days=5)))

    # The engine reads the window from the rollup, which a recompute of each day builds.
    compute.recompute(start=DAY - dt.timedelta(days=29), end=DAY, account_ids=[account.pk])
    engine = AccountDailyStatus.objects.get(account=account, day=DAY)
    expected = {name: getattr(engine, name) for name in FIELDS}
    assert expected["deep_integration_level"] == 3 and expected["overdue_requirements"] == 1

    AccountDailyStatus.objects.all().delete()
    naive_loop(day=DAY, account_ids=[account.pk])
    row = AccountDailyStatus.objects.get(account=account, day=DAY)
    got = {name: getattr(row, name) for name in FIELDS}
    assert got.pop("color") == expected.pop("color")
    assert got == pytest.approx(expected)
