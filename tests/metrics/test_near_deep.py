"""Near-deep accounts: level 2 and missing exactly one of level 3's criteria, under each row's policy."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from accounts.models import Account
from metrics.models import AccountDailyStatus, MetricPolicy
from metrics.selectors import near_deep_accounts
from tests import factories

DAY = dt.date(2026, 11, 20)

pytestmark = pytest.mark.django_db


def status(account, *, level=2, dag_rate=0.5, analytics_days=4, day=DAY, policy=None):
    return AccountDailyStatus.objects.create(
        account=account,
        day=day,
        policy=policy or MetricPolicy.objects.latest(),
        deep_integration_level=level,
        dag_rate=dag_rate,
        analytics_days=analytics_days,
        connectors=2,
        records=20_000,
    )


def near(**kwargs):
    return {
        row.account.external_id: row
        for row in near_deep_accounts(accounts_qs=Account.objects.all(), day=DAY, **kwargs)
    }


def test_boundaries_of_each_criterion():
    # Default policy: deep_min_dag_rate 0.5, deep_min_analytics_days 4.
    cases = {
        "dag-just-under": dict(dag_rate=0.49, analytics_days=4),  # misses dag only
        "analytics-just-under": dict(dag_rate=0.5, analytics_days=3),  # misses analytics only
        "both-missing": dict(dag_rate=0.49, analytics_days=3),  # two short: not near-deep
        "meets-both-at-level-2": dict(dag_rate=0.5, analytics_days=4),  # nothing missing
        "level-1-one-short": dict(level=1, dag_rate=0.49, analytics_days=4),
        "level-3": dict(level=3, dag_rate=0.9, analytics_days=9),
    }
    for external_id, values in cases.items():
        status(factories.AccountFactory(external_id=external_id), **values)

    found = near()
    assert set(found) == {"dag-just-under", "analytics-just-under"}
    dag = found["dag-just-under"]
    assert dag.missing_criterion == "dag_rate"
    assert dag.have == pytest.approx(0.49)
    assert dag.need == pytest.approx(0.5)
    assert dag.closeness == pytest.approx(0.98)
    analytics = found["analytics-just-under"]
    assert analytics.missing_criterion == "analytics_days"
    assert (analytics.have, analytics.need) == (3.0, 4.0)
    assert analytics.closeness == pytest.approx(0.75)


def test_ordered_closest_first():
    status(factories.AccountFactory(external_id="far"), dag_rate=0.1)
    status(factories.AccountFactory(external_id="close"), analytics_days=3)
    status(factories.AccountFactory(external_id="closest"), dag_rate=0.45)
    rows = list(near_deep_accounts(accounts_qs=Account.objects.all(), day=DAY))
    assert [r.account.external_id for r in rows] == ["closest", "close", "far"]


def test_uses_the_policy_stored_on_each_row():
    current = MetricPolicy.objects.latest()
    stricter = MetricPolicy.objects.create(deep_min_dag_rate=0.8, deep_min_analytics_days=4)
    # 0.6 meets the default 0.5 but misses the stricter policy's 0.8.
    status(factories.AccountFactory(external_id="old-policy"), dag_rate=0.6, policy=current)
    status(factories.AccountFactory(external_id="new-policy"), dag_rate=0.6, policy=stricter)
    found = near()
    assert set(found) == {"new-policy"}
    assert found["new-policy"].need == pytest.approx(0.8)


def test_scoped_to_the_accounts_given_and_the_day():
    mine = factories.AccountFactory(external_id="mine")
    theirs = factories.AccountFactory(
        external_id="theirs", vertical=factories.vertical("consumer_retail")
    )
    status(mine, dag_rate=0.4)
    status(theirs, dag_rate=0.4)
    status(mine, dag_rate=0.4, day=DAY - dt.timedelta(days=1))
    rows = near_deep_accounts(
        accounts_qs=Account.objects.filter(vertical__code="manufacturing"), day=DAY
    )
    assert [r.account.external_id for r in rows] == ["mine"]


def test_counts_by_vertical():
    retail = factories.vertical("consumer_retail")
    for i in range(3):
        status(factories.AccountFactory(), dag_rate=0.3 + i * 0.01)
    status(factories.AccountFactory(vertical=retail), analytics_days=1)
    status(factories.AccountFactory(vertical=retail), dag_rate=0.1, analytics_days=1)  # two short
    rows = near_deep_accounts(accounts_qs=Account.objects.all(), day=DAY)
    counts = Counter(r.account.vertical.code for r in rows)
    assert counts == {"manufacturing": 3, "consumer_retail": 1}


def test_one_query(django_assert_num_queries):
    for _ in range(4):
        status(factories.AccountFactory(), dag_rate=0.3)
    with django_assert_num_queries(1):
        rows = list(near_deep_accounts(accounts_qs=Account.objects.all(), day=DAY))
        names = [r.account.vertical.code for r in rows]
    assert len(names) == 4
