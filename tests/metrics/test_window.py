"""The incremental window (metrics.window) gives exactly the rows of the whole window.

Hypothesis draws feeds, a policy, a re-sent old day (recomputed as an ingest
does, or only that day, by hand, leaving later days stale), and maybe a new
policy version; the days are computed one run at a time as nights would, with
the window carried wherever metrics.window allows. Then every day is computed
again with the whole window: the stored rows must not change.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import compute, window
from metrics.models import (
    AccountDailyStatus,
    AccountDayUsage,
    App,
    AppUsage,
    Connector,
    ConnectorUsage,
    MetricPolicy,
)
from metrics.status_sql import STATUS_COLUMNS, AccountFilter
from metrics.window import plan_window
from tests import factories

pytestmark = pytest.mark.django_db

START = dt.date(2025, 6, 1)
DAYS = 9
N_ACCOUNTS = 4
APPS = ["chat", "docs", "mail", "bi", "reports"]

account_index = st.integers(min_value=0, max_value=N_ACCOUNTS - 1)
minutes = st.one_of(st.sampled_from([0, 20, 60, 61]), st.integers(0, 200))
feed = st.dictionaries(
    st.tuples(account_index, st.integers(0, DAYS - 1), st.sampled_from(APPS)), minutes, max_size=60
)
resent = st.dictionaries(st.tuples(account_index, st.sampled_from(APPS)), minutes, max_size=8)
CONNECTORS = 3
records = st.sampled_from([0, 0, 1, 5, 40])
connector_feed = st.dictionaries(
    st.tuples(account_index, st.integers(0, DAYS - 1), st.integers(0, CONNECTORS - 1)),
    records,
    max_size=40,
)
resent_connectors = st.dictionaries(
    st.tuples(account_index, st.integers(0, CONNECTORS - 1)), records, max_size=6
)
policies = st.fixed_dictionaries(
    {
        "window_days": st.integers(1, 5),
        "dag_min_minutes": st.sampled_from([0, 20, 60]),
        "dag_min_apps": st.integers(1, 3),
        "breadth_target_apps": st.integers(1, 5),
    }
)
LAST_COMPUTED = 5  # days 0..5 first, then the re-sent day, then days 6.. one night at a time


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


def stored(first: int) -> dict:
    return {
        (row["account_id"], row["day"]): row
        for row in AccountDailyStatus.objects.filter(day__gte=day(first)).values(*STATUS_COLUMNS)
    }


@pytest.fixture
def accounts(db):
    return [factories.AccountFactory(external_id=f"win-{n}") for n in range(N_ACCOUNTS)]


@pytest.fixture
def connectors(db):
    return [Connector.objects.create(code=f"win-conn-{n}", name=f"C{n}") for n in range(CONNECTORS)]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    app_feed=feed,
    policy_values=policies,
    resent_day=st.integers(0, LAST_COMPUTED),
    resent_rows=resent,
    by_hand=st.booleans(),
    new_policy=st.one_of(st.none(), policies),
    connector_rows=connector_feed,
    resent_connector_rows=resent_connectors,
)
def test_carried_window_equals_the_whole_window(
    accounts,
    connectors,
    app_feed,
    policy_values,
    resent_day,
    resent_rows,
    by_hand,
    new_policy,
    connector_rows,
    resent_connector_rows,
):
    for model in (AccountDailyStatus, AccountDayUsage, AppUsage, ConnectorUsage):
        model.objects.all().delete()
    apps = dict(App.objects.values_list("code", "id"))
    policy = MetricPolicy.objects.create(**policy_values)
    AppUsage.objects.bulk_create(
        AppUsage(account=accounts[a], day=day(d), app_id=apps[code], minutes=m, active_users=1)
        for (a, d, code), m in app_feed.items()
    )
    ConnectorUsage.objects.bulk_create(
        ConnectorUsage(account=accounts[a], day=day(d), connector=connectors[c], records=r)
        for (a, d, c), r in connector_rows.items()
    )
    for offset in range(LAST_COMPUTED + 1):
        compute.recompute(start=day(offset), end=day(offset))

    # A re-sent old day: its rows replaced for some accounts.
    # …and its connector rows re-sent: changed or new records, stamped as the ingest does.
    for (a, c), r in resent_connector_rows.items():
        ConnectorUsage.objects.update_or_create(
            account=accounts[a],
            day=day(resent_day),
            connector=connectors[c],
            defaults={"records": r, "changed_at": timezone.now()},
        )
    touched = sorted(
        {accounts[a].pk for a, _ in resent_rows}
        | {accounts[a].pk for a, _ in resent_connector_rows}
    )
    AppUsage.objects.filter(day=day(resent_day), account_id__in=touched).delete()
    AppUsage.objects.bulk_create(
        AppUsage(
            account=accounts[a], day=day(resent_day), app_id=apps[code], minutes=m, active_users=1
        )
        for (a, code), m in resent_rows.items()
    )
    if by_hand:
        # Only that day (recompute_metrics --date): later days stay stale until recomputed.
        compute.recompute(start=day(resent_day), end=day(resent_day))
    elif touched:
        # As an ingest does: every day whose window holds it, for the accounts it touched.
        compute.recompute(start=day(resent_day), end=day(LAST_COMPUTED), account_ids=touched)
    if new_policy is not None:
        MetricPolicy.objects.create(**new_policy)
    for offset in range(LAST_COMPUTED + 1, DAYS):
        compute.recompute(start=day(offset), end=day(offset))

    # The days computed with the window carried, then again with the whole window.
    first_compared = LAST_COMPUTED + 1 if by_hand else 0
    carried = stored(first_compared)
    if first_compared <= LAST_COMPUTED:
        compute.recompute(
            start=day(first_compared),
            end=day(LAST_COMPUTED),
            policy=policy,
            window=compute.WINDOW_WHOLE,
        )
    compute.recompute(
        start=day(LAST_COMPUTED + 1),
        end=day(DAYS - 1),
        policy=MetricPolicy.objects.current(),
        window=compute.WINDOW_WHOLE,
    )
    whole = stored(first_compared)
    assert carried.keys() == whole.keys()
    for key, row in whole.items():
        assert carried[key] == pytest.approx(row), key


def steady_feed(accounts) -> None:
    """70 minutes of chat a day for every account on days 0..2."""
    chat = App.objects.get(code="chat")
    AppUsage.objects.bulk_create(
        AppUsage(account=a, day=day(d), app=chat, minutes=70, active_users=1)
        for a in accounts
        for d in range(3)
    )


def plan_of(on: dt.date) -> window.WindowPlan:
    with connection.cursor() as cursor:
        return plan_window(
            cursor=cursor, day=on, policy=MetricPolicy.objects.current(), accounts=AccountFilter()
        )


def test_a_steady_night_carries_every_account(accounts):
    """Nothing changed since yesterday: no account's window is read whole."""
    steady_feed(accounts)
    compute.recompute(start=day(0), end=day(1))
    compute.rebuild_rollup(start=day(2), end=day(2))
    plan = plan_of(day(2))
    assert plan.whole is None and plan.carried == AccountFilter()


def test_a_re_sent_day_reads_the_changed_accounts_whole(accounts, monkeypatch):
    """A rollup row changed after yesterday's status: that account's window is read whole."""
    monkeypatch.setattr(window, "FULL_WINDOW_SHARE", 0.5)  # 1 of 4 accounts
    steady_feed(accounts)
    compute.recompute(start=day(0), end=day(1))
    AppUsage.objects.filter(account=accounts[1], day=day(0)).update(minutes=5)
    compute.rebuild_rollup(start=day(0), end=day(0), accounts=AccountFilter((accounts[1].pk,)))
    compute.rebuild_rollup(start=day(2), end=day(2))
    plan = plan_of(day(2))
    assert plan.whole == AccountFilter(account_ids=(accounts[1].pk,))
    assert plan.carried == AccountFilter(excluded=(accounts[1].pk,))


@pytest.mark.parametrize("back", [1, 3], ids=["newest day", "oldest day"])
def test_a_change_on_either_edge_of_yesterdays_window_reads_the_account_whole(
    accounts, monkeypatch, back
):
    """Yesterday's window is its days d - window_days .. d - 1, both ends included."""
    monkeypatch.setattr(window, "FULL_WINDOW_SHARE", 0.5)  # 1 of 4 accounts
    MetricPolicy.objects.create(window_days=3)
    chat = App.objects.get(code="chat")
    AppUsage.objects.bulk_create(
        AppUsage(account=a, day=day(d), app=chat, minutes=70, active_users=1)
        for a in accounts
        for d in range(5)
    )
    compute.recompute(start=day(0), end=day(3))
    changed = day(4 - back)
    AppUsage.objects.filter(account=accounts[1], day=changed).update(minutes=5)
    compute.rebuild_rollup(start=changed, end=changed, accounts=AccountFilter((accounts[1].pk,)))
    compute.rebuild_rollup(start=day(4), end=day(4))
    plan = plan_of(day(4))
    assert plan.whole == AccountFilter(account_ids=(accounts[1].pk,))
    assert plan.carried == AccountFilter(excluded=(accounts[1].pk,))


def test_a_re_sent_connector_day_reads_the_changed_accounts_whole(
    accounts, connectors, monkeypatch
):
    """A connector row of the window restamped after yesterday's status: that account is read whole."""
    monkeypatch.setattr(window, "FULL_WINDOW_SHARE", 0.5)  # 1 of 4 accounts
    steady_feed(accounts)
    ConnectorUsage.objects.bulk_create(
        ConnectorUsage(account=a, day=day(0), connector=connectors[0], records=3) for a in accounts
    )
    compute.recompute(start=day(0), end=day(1))
    # Records changed without touching the app feed (the rollup stays as it was).
    ConnectorUsage.objects.filter(account=accounts[2], day=day(0)).update(
        records=0, changed_at=timezone.now()
    )
    compute.rebuild_rollup(start=day(2), end=day(2))
    plan = plan_of(day(2))
    assert plan.whole == AccountFilter(account_ids=(accounts[2].pk,))
    assert plan.carried == AccountFilter(excluded=(accounts[2].pk,))
    compute.recompute(start=day(2), end=day(2))
    assert AccountDailyStatus.objects.get(account=accounts[2], day=day(2)).connectors == 0
    assert AccountDailyStatus.objects.get(account=accounts[1], day=day(2)).connectors == 1


def test_a_status_without_its_max_apps_day_carries_the_right_maximum(accounts):
    """Rows written before metrics 0017 have no max_apps_day: the next day reads the window again."""
    policy = MetricPolicy.objects.current()
    codes = ["chat", "docs", "mail", "bi"]
    apps = dict(App.objects.filter(code__in=codes).values_list("code", "id"))
    # Most apps on day 1 (all four), fewer after: the maximum stays that of day 1.
    used = {0: 2, 1: 4, 2: 1, 3: 3}
    AppUsage.objects.bulk_create(
        AppUsage(account=a, day=day(d), app_id=apps[code], minutes=20, active_users=1)
        for a in accounts
        for d, count in used.items()
        for code in codes[:count]
    )
    compute.recompute(start=day(0), end=day(2))
    assert AccountDailyStatus.objects.get(account=accounts[0], day=day(2)).max_apps_day == day(1)
    AccountDailyStatus.objects.filter(day=day(2)).update(max_apps_day=None)
    assert plan_of(day(3)).carried == AccountFilter()  # carried: the fallback is in the statement

    compute.recompute(start=day(3), end=day(3))
    carried = AccountDailyStatus.objects.get(account=accounts[0], day=day(3))
    assert (carried.max_apps_used, carried.max_apps_day) == (4, day(1))
    AccountDailyStatus.objects.filter(day=day(3)).delete()
    compute.recompute(start=day(3), end=day(3), policy=policy, window=compute.WINDOW_WHOLE)
    whole = AccountDailyStatus.objects.get(account=accounts[0], day=day(3))
    assert (whole.max_apps_used, whole.max_apps_day) == (4, day(1))
