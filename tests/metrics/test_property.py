"""Property test: random feeds, visits, requirements and policies; the SQL engine equals the plain-Python reference."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.days import end_of_day
from metrics import compute
from metrics.models import (
    AccountDailyStatus,
    AccountDayUsage,
    App,
    AppUsage,
    Connector,
    ConnectorUsage,
    MetricPolicy,
)
from tests import factories
from visits.models import Requirement, Visit

from . import reference

pytestmark = pytest.mark.django_db

START = dt.date(2025, 6, 1)
DAYS = 6
N_ACCOUNTS = 3
APPS = ["chat", "docs", "mail", "bi", "reports"]
CONNECTORS = ["sap_s4", "kingdee_k3", "salesforce"]

day_offsets = st.integers(min_value=0, max_value=DAYS - 1)
account_index = st.integers(min_value=0, max_value=N_ACCOUNTS - 1)
minutes = st.one_of(st.sampled_from([0, 1, 19, 20, 21, 59, 60, 61]), st.integers(0, 200))

app_rows = st.dictionaries(
    st.tuples(account_index, day_offsets, st.sampled_from(APPS)), minutes, max_size=40
)
connector_rows = st.dictionaries(
    st.tuples(account_index, day_offsets, st.sampled_from(CONNECTORS)),
    st.sampled_from([0, 1, 10, 40, 99, 100]),
    max_size=12,
)
visits = st.lists(st.tuples(account_index, st.integers(-10, DAYS)), max_size=4)
hours = st.integers(min_value=-48, max_value=24 * (DAYS + 1))
requirements = st.lists(
    st.tuples(
        account_index,
        hours,
        st.one_of(st.none(), st.integers(0, 72)),
        st.one_of(st.none(), st.integers(0, 72)),
        st.sampled_from(["open", "in_progress", "resolved", "declined"]),
    ),
    max_size=5,
)
policies = st.fixed_dictionaries(
    {
        "window_days": st.integers(1, 5),
        "dag_min_minutes": st.sampled_from([0, 20, 60, 61]),
        "dag_min_apps": st.integers(1, 4),
        "integrated_min_connectors": st.integers(1, 3),
        "integrated_min_records": st.sampled_from([0, 10, 100, 150]),
        "deep_min_dag_rate": st.sampled_from([0.0, 0.2, 1 / 3, 0.5, 1.0]),
        "deep_min_analytics_days": st.integers(0, 3),
        "weight_dag_rate": st.integers(0, 40),
        "weight_integration": st.integers(0, 40),
        "weight_breadth": st.integers(0, 30),
        "breadth_target_apps": st.integers(1, 5),
        "visit_fresh_days": st.integers(0, 3),
        "visit_stale_days": st.integers(4, 9),
        "overdue_requirements_zero": st.integers(1, 3),
        "yellow_min_score": st.integers(0, 50),
        "green_min_score": st.integers(50, 100),
        "requirement_sla_hours": st.sampled_from([1, 24, 30]),
    }
)


@pytest.fixture
def world(db):
    accounts = [factories.AccountFactory(external_id=f"prop-{n}") for n in range(N_ACCOUNTS)]
    author = factories.UserFactory(username="prop-author")
    categories = dict(App.objects.values_list("code", "category"))
    return accounts, author, categories


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    app_feed=app_rows,
    connector_feed=connector_rows,
    visit_rows=visits,
    requirement_rows=requirements,
    policy_values=policies,
)
def test_sql_engine_matches_the_reference(
    world, app_feed, connector_feed, visit_rows, requirement_rows, policy_values
):
    accounts, author, categories = world
    for model in (
        AccountDailyStatus,
        AccountDayUsage,
        AppUsage,
        ConnectorUsage,
        Requirement,
        Visit,
    ):
        model.objects.all().delete()
    apps = dict(App.objects.values_list("code", "id"))
    connectors = dict(Connector.objects.values_list("code", "id"))
    policy = MetricPolicy.objects.create(**policy_values)
    day = lambda offset: START + dt.timedelta(days=offset)  # noqa: E731

    AppUsage.objects.bulk_create(
        AppUsage(account=accounts[a], day=day(d), app_id=apps[code], minutes=m, active_users=1)
        for (a, d, code), m in app_feed.items()
    )
    ConnectorUsage.objects.bulk_create(
        ConnectorUsage(account=accounts[a], day=day(d), connector_id=connectors[code], records=r)
        for (a, d, code), r in connector_feed.items()
    )
    for a, d in visit_rows:
        Visit.objects.create(account=accounts[a], author=author, visited_on=day(d))
    ref_requirements = []
    for a, hour, responded, resolved, status in requirement_rows:
        raised = end_of_day(START - dt.timedelta(days=1)) + dt.timedelta(hours=hour)
        first = raised + dt.timedelta(hours=responded) if responded is not None else None
        done = raised + dt.timedelta(hours=resolved) if resolved is not None else None
        Requirement.objects.create(
            account=accounts[a],
            title="r",
            raised_at=raised,
            first_response_at=first,
            resolved_at=done,
            status=status,
        )
        ref_requirements.append(
            reference.RequirementRow(accounts[a].pk, raised, first, done, status)
        )

    compute.recompute(start=START, end=day(DAYS - 1), policy=policy)

    ref_apps = [
        reference.AppRow(accounts[a].pk, day(d), code, categories[code], m)
        for (a, d, code), m in app_feed.items()
    ]
    ref_connectors = [
        reference.ConnectorRow(accounts[a].pk, day(d), code, r)
        for (a, d, code), r in connector_feed.items()
    ]
    ref_visits = [(accounts[a].pk, day(d)) for a, d in visit_rows]
    stored = {
        (row.account_id, row.day): row
        for row in AccountDailyStatus.objects.filter(day__range=(START, day(DAYS - 1)))
    }
    assert len(stored) == N_ACCOUNTS * DAYS
    for account in accounts:
        for offset in range(DAYS):
            expected = reference.status(
                account_id=account.pk,
                day=day(offset),
                policy=policy,
                app_rows=ref_apps,
                connector_rows=ref_connectors,
                visits=ref_visits,
                requirements=ref_requirements,
            )
            row = stored[(account.pk, day(offset))]
            got = {name: getattr(row, name) for name in expected}
            assert got == pytest.approx(expected), (account.pk, day(offset))
            assert row.policy_id == policy.pk
