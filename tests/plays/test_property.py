"""Property test: on generated statuses, feeds, visits and requirements, every trigger's SQL
holds for exactly the accounts the plain-Python reference of docs/plays.md's table says."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from core.days import end_of_day
from metrics.compute import AccountFilter
from metrics.models import AccountDailyStatus, Connector, ConnectorUsage, MetricPolicy
from plays import conditions
from tests import factories
from visits.models import Requirement, Visit

from . import reference

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)
SPAN = 8  # days of data before DAY
N = 3
CONNECTORS = ["sap_s4", "kingdee_k3"]

offset = st.integers(0, SPAN)
account = st.integers(0, N - 1)
status_rows = st.dictionaries(
    st.tuples(account, offset),
    st.fixed_dictionaries(
        {
            "level": st.integers(0, 3),
            "color": st.sampled_from(["green", "yellow", "red"]),
            "dag_rate": st.sampled_from([0.0, 0.1, 0.3, 0.35, 0.375, 0.4, 0.5, 0.6, 0.8]),
            "analytics_days": st.integers(0, 6),
        }
    ),
    max_size=20,
)
connector_rows = st.dictionaries(
    st.tuples(account, offset, st.sampled_from(CONNECTORS)),
    st.sampled_from([0, 1, 50]),
    max_size=30,
)
accounts = st.lists(
    st.fixed_dictionaries(
        {
            "headcount": st.sampled_from([1_999, 2_000, 9_999, 10_000, 100_000]),
            "renewal_in": st.one_of(st.none(), st.integers(-2, 12)),
        }
    ),
    min_size=N,
    max_size=N,
)
visit_rows = st.lists(st.tuples(account, st.integers(-2, SPAN + 1)), max_size=4)
requirement_rows = st.lists(
    st.tuples(
        account,
        st.sampled_from(["low", "medium", "high", "critical"]),
        st.integers(-72, 24),  # raised, hours from the end of DAY
        st.one_of(st.none(), st.integers(0, 96)),  # first response, hours after raised
        st.one_of(st.none(), st.integers(0, 96)),  # resolved, hours after raised
        st.sampled_from(["open", "in_progress", "resolved", "declined"]),
    ),
    max_size=5,
)
parameters = st.fixed_dictionaries(
    {
        "lookback_days": st.integers(1, 4),
        "min_drop": st.sampled_from([0.1, 0.2, 0.25]),
        "active_days": st.integers(1, 4),
        "silent_days": st.integers(1, 3),
        "margin": st.sampled_from([0.1, 0.25, 0.5]),
        "days": st.integers(1, 9),
        "min_priority": st.sampled_from(["low", "medium", "high", "critical"]),
        "min_tier": st.sampled_from(["lt2k", "2k", "10k", "100k"]),
    }
)


@pytest.fixture
def world(db):
    return (
        [factories.AccountFactory(external_id=f"pp-{n}") for n in range(N)],
        factories.UserFactory(username="pp-author"),
    )


def _day(n: int) -> dt.date:
    return DAY - dt.timedelta(days=SPAN - n)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    statuses=status_rows,
    feed=connector_rows,
    people=accounts,
    visits=visit_rows,
    reqs=requirement_rows,
    params=parameters,
)
def test_conditions_match_the_reference(world, statuses, feed, people, visits, reqs, params):
    objs, author = world
    for model in (AccountDailyStatus, ConnectorUsage, Visit, Requirement):
        model.objects.all().delete()
    policy = MetricPolicy.objects.latest()
    connector_ids = dict(Connector.objects.values_list("code", "id"))
    ids = [a.id for a in objs]
    w = {"status": {}, "connector": {}, "visits": [], "requirements": [], "accounts": {}}
    for n, (a, values) in enumerate(zip(objs, people, strict=True)):
        renewal = (
            DAY + dt.timedelta(days=values["renewal_in"])
            if values["renewal_in"] is not None
            else None
        )
        Account.objects.filter(pk=a.pk).update(headcount=values["headcount"], renewal_date=renewal)
        w["accounts"][ids[n]] = {"headcount": values["headcount"], "renewal_date": renewal}
    AccountDailyStatus.objects.bulk_create(
        AccountDailyStatus(
            account_id=ids[a],
            day=_day(d),
            policy=policy,
            deep_integration_level=s["level"],
            color=s["color"],
            dag_rate=s["dag_rate"],
            analytics_days=s["analytics_days"],
        )
        for (a, d), s in statuses.items()
    )
    w["status"] = {(ids[a], _day(d)): s for (a, d), s in statuses.items()}
    ConnectorUsage.objects.bulk_create(
        ConnectorUsage(account_id=ids[a], day=_day(d), connector_id=connector_ids[c], records=r)
        for (a, d, c), r in feed.items()
    )
    w["connector"] = {(ids[a], _day(d), c): r for (a, d, c), r in feed.items()}
    for a, d in visits:
        Visit.objects.create(account_id=ids[a], author=author, visited_on=_day(d))
        w["visits"].append((ids[a], _day(d)))
    eod = end_of_day(DAY)
    for a, priority, raised_h, first_h, resolved_h, status in reqs:
        raised = eod + dt.timedelta(hours=raised_h)
        row = {
            "account": ids[a],
            "priority": priority,
            "status": status,
            "raised_at": raised,
            "first_response_at": raised + dt.timedelta(hours=first_h)
            if first_h is not None
            else None,
            "resolved_at": raised + dt.timedelta(hours=resolved_h)
            if resolved_h is not None
            else None,
        }
        Requirement.objects.create(
            title="r", **{k: v for k, v in row.items() if k != "account"}, account_id=ids[a]
        )
        w["requirements"].append(row)

    everyone = AccountFilter()

    def sql(trigger):
        return {
            h.account_id: h
            for h in conditions.held(trigger, day=DAY, params=params, accounts=everyone)
        }

    assert set(sql("level_dropped")) == reference.level_dropped(w, DAY, params)
    assert set(sql("turned_red")) == reference.turned_red(w, DAY, params)
    assert set(sql("dag_rate_fell")) == reference.dag_rate_fell(w, DAY, params)
    silent = sql("connector_silent")
    assert {
        a: sorted(c["code"] for c in h.numbers["connectors"]) for a, h in silent.items()
    } == reference.connector_silent(w, DAY, params)
    assert set(sql("near_deep")) == reference.near_deep(
        w,
        DAY,
        params,
        {
            "deep_min_dag_rate": policy.deep_min_dag_rate,
            "deep_min_analytics_days": policy.deep_min_analytics_days,
        },
    )
    assert set(sql("renewal_at_risk")) == reference.renewal_at_risk(w, DAY, params)
    overdue = sql("requirement_overdue")
    assert {a: h.numbers["count"] for a, h in overdue.items()} == reference.requirement_overdue(
        w, DAY, params, end_of_day=eod, sla_hours=policy.requirement_sla_hours
    )
    assert set(sql("no_recent_visit")) == reference.no_recent_visit(w, DAY, params)
