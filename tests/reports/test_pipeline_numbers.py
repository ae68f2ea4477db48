"""The pipeline numbers (reports.pipeline) against a small, known set of stored metrics."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Stage
from metrics.models import MetricPolicy
from reports import pipeline
from tests import factories
from tests.reports.data import at, status_row
from verticals.models import Vertical
from visits.models import RequirementStatus

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


@pytest.fixture
def known(manufacturing, retail):
    """Three manufacturing accounts and one retail account with known status, visits, requirements."""
    a = factories.AccountFactory(name="A", vertical=manufacturing, stage=Stage.ADOPTING)
    b = factories.AccountFactory(name="B", vertical=manufacturing, stage=Stage.EXPANDING)
    c = factories.AccountFactory(name="C", vertical=manufacturing, stage=Stage.AT_RISK)
    d = factories.AccountFactory(name="D", vertical=retail, stage=Stage.PROSPECT)
    status_row(a, DAY, is_dag=True, deep_integration_level=3)
    status_row(b, DAY, is_dag=True, deep_integration_level=2)
    status_row(c, DAY, is_dag=False, deep_integration_level=0)
    status_row(d, DAY, is_dag=True, deep_integration_level=3)
    # Other days must not leak into the day's numbers.
    status_row(c, DAY - dt.timedelta(days=1), is_dag=True, deep_integration_level=3)
    status_row(a, DAY + dt.timedelta(days=1), is_dag=True, deep_integration_level=3)

    for role in ("tech", "bd", "sa", "csm"):
        factories.person(role, "manufacturing", username=f"{role}_m1")
    factories.person("csm", "manufacturing", username="csm_m2")
    factories.person("lead", "manufacturing", username="lead_m")  # a lead is not a working role
    factories.person("csm", "consumer_retail", username="csm_r1")

    author = factories.UserFactory(username="author")
    factories.VisitFactory(account=a, author=author, visited_on=DAY)
    factories.VisitFactory(account=a, author=author, visited_on=DAY - dt.timedelta(days=6))
    factories.VisitFactory(account=b, author=author, visited_on=DAY - dt.timedelta(days=7))
    factories.VisitFactory(account=b, author=author, visited_on=DAY + dt.timedelta(days=1))
    factories.VisitFactory(account=d, author=author, visited_on=DAY)

    req = factories.RequirementFactory
    # Open, unanswered, raised 2.5 days before the end of the day: overdue under a 24 h SLA.
    req(account=a, raised_at=at(DAY - dt.timedelta(days=2)))
    # Open, unanswered, raised 2 hours before the end of the day: not overdue yet.
    req(account=b, raised_at=at(DAY, 22))
    # In progress, answered after 10 h: open, not overdue, in the median.
    req(
        account=b,
        status=RequirementStatus.IN_PROGRESS,
        raised_at=at(DAY - dt.timedelta(days=5), 8),
        first_response_at=at(DAY - dt.timedelta(days=5), 18),
    )
    # Resolved, answered after 4 h: not open, in the median.
    req(
        account=a,
        status=RequirementStatus.RESOLVED,
        raised_at=at(DAY - dt.timedelta(days=10), 9),
        first_response_at=at(DAY - dt.timedelta(days=10), 13),
        resolved_at=at(DAY - dt.timedelta(days=9)),
    )
    # Raised 100 days before: outside the 90-day median window (and resolved).
    req(
        account=a,
        status=RequirementStatus.RESOLVED,
        raised_at=at(DAY - dt.timedelta(days=100), 9),
        first_response_at=at(DAY - dt.timedelta(days=100), 10),
    )
    # Raised after the day: not counted on the day.
    req(account=a, raised_at=at(DAY + dt.timedelta(days=1)))
    # Retail: answered after 30 h.
    req(
        account=d,
        status=RequirementStatus.RESOLVED,
        raised_at=at(DAY - dt.timedelta(days=3), 6),
        first_response_at=at(DAY - dt.timedelta(days=2), 12),
    )
    return {"a": a, "b": b, "c": c, "d": d}


def test_vertical_pipeline_has_exactly_the_contract_keys_and_the_stored_numbers(
    known, manufacturing
):
    numbers = pipeline.vertical_pipeline(vertical=manufacturing, day=DAY)
    assert numbers == {
        "stages": {
            "prospect": 0,
            "onboarding": 0,
            "adopting": 1,
            "expanding": 1,
            "at_risk": 1,
            "churned": 0,
        },
        "accounts": 3,
        "dag_accounts": 2,
        "deep_customers": 1,
        "visits_last_7_days": 2,
        "open_requirements": 3,
        "overdue_requirements": 1,
        "median_first_response_hours": 7.0,
        "staffing": {"tech": 1, "bd": 1, "sa": 1, "csm": 2},
        "fully_staffed": True,
    }


def test_overview_answers_all_five_verticals_in_a_bounded_number_of_queries(
    known, django_assert_max_num_queries
):
    verticals = list(Vertical.objects.all())
    with django_assert_max_num_queries(8):
        overview = pipeline.pipeline_overview(verticals=verticals, day=DAY)
    assert list(overview) == [v.code for v in verticals]
    retail = overview["consumer_retail"]
    assert retail["accounts"] == 1
    assert retail["deep_customers"] == 1
    assert retail["visits_last_7_days"] == 1
    assert retail["median_first_response_hours"] == 30.0
    assert retail["staffing"] == {"tech": 0, "bd": 0, "sa": 0, "csm": 1}
    assert retail["fully_staffed"] is False
    empty = overview["agri_food"]
    assert empty["accounts"] == 0
    assert empty["median_first_response_hours"] is None


def test_overdue_follows_the_policy_sla(known, manufacturing):
    policy = MetricPolicy.objects.latest()
    policy.pk = None
    policy.requirement_sla_hours = 72
    policy.save()
    assert pipeline.vertical_pipeline(vertical=manufacturing, day=DAY)["overdue_requirements"] == 0


def test_the_day_before_has_its_own_numbers(known, manufacturing):
    numbers = pipeline.vertical_pipeline(vertical=manufacturing, day=DAY - dt.timedelta(days=1))
    assert numbers["dag_accounts"] == 1
    assert numbers["deep_customers"] == 1
    # The requirement raised late on DAY is not open yet the day before.
    assert numbers["open_requirements"] == 2


def test_trends_leave_gaps_where_nothing_is_stored(known, manufacturing):
    trend = pipeline.trends(verticals=[manufacturing], day=DAY)
    days = trend["deep_days"]
    assert len(days) == 12
    assert days[-1] == DAY
    assert days[-2] == DAY - dt.timedelta(days=7)
    assert trend["deep"][manufacturing.pk][-1] == 1
    assert trend["deep"][manufacturing.pk][:-1] == [None] * 11
    assert len(trend["dag_days"]) == 30
    assert trend["dag_days"][-1] == DAY
    assert trend["dag"][manufacturing.pk][-2:] == [1, 2]
    assert trend["dag"][manufacturing.pk][:-2] == [None] * 28


def test_turned_red_names_the_component_that_pulled_it_down(manufacturing):
    steady = factories.AccountFactory(name="Steady red", vertical=manufacturing)
    fallen = factories.AccountFactory(name="Fallen", vertical=manufacturing)
    before = DAY - dt.timedelta(days=pipeline.TURNED_RED_LOOKBACK_DAYS)
    status_row(steady, before, points_dag_rate=0, points_integration=0)
    status_row(steady, DAY, points_dag_rate=0, points_integration=0)
    status_row(fallen, before)  # 70 points: green
    status_row(  # 35 points: red; recency earned nothing of its 15, DAG rate lost most
        fallen,
        DAY,
        points_dag_rate=5.0,
        points_integration=15.0,
        points_recency=0.0,
        points_requirements=5.0,
    )
    result = pipeline.turned_red(verticals=[manufacturing], day=DAY)[manufacturing.pk]
    assert result["count"] == 1
    [entry] = result["accounts"]
    assert entry["account"] == fallen
    assert entry["status"].color == "red"
    assert entry["culprit"]["component"] == "recency"
    # From the default 70 points: DAG rate lost 15, recency 10, integration 5, requirements 5.
    assert entry["fell_most"]["component"] == "dag_rate"
    assert entry["fell_most"]["lost"] == 15.0


def test_visits_per_person_count_authors_and_attendees_once(manufacturing):
    csm = factories.person("csm", "manufacturing", username="csm_v")
    sa = factories.person("sa", "manufacturing", username="sa_v")
    coo = factories.person("coo", None, username="coo_v")
    account = factories.AccountFactory(vertical=manufacturing)
    for back in range(3):
        visit = factories.VisitFactory(
            account=account, author=csm, visited_on=DAY - dt.timedelta(days=back)
        )
        visit.staff_attendees.add(csm, sa)
    factories.VisitFactory(account=account, author=coo, visited_on=DAY)
    factories.VisitFactory(account=account, author=sa, visited_on=DAY - dt.timedelta(days=8))
    by_vertical, company = pipeline.visits_by_person(verticals=[manufacturing], day=DAY)
    counts = {row["user"].username: row["visits"] for row in by_vertical[manufacturing.pk]}
    assert counts == {"csm_v": 3, "sa_v": 3}
    assert [(row["user"].username, row["visits"], row["aim"]) for row in company] == [
        ("coo_v", 1, "below")
    ]


def test_turned_red_counts_every_account_but_lists_the_lowest(manufacturing):
    before = DAY - dt.timedelta(days=pipeline.TURNED_RED_LOOKBACK_DAYS)
    for name, score in (("Low", 10), ("Mid", 20), ("High", 30)):
        account = factories.AccountFactory(name=name, vertical=manufacturing)
        status_row(account, before)
        status_row(account, DAY, score=score, color="red")
    result = pipeline.turned_red(verticals=[manufacturing], day=DAY, limit=2)[manufacturing.pk]
    assert result["count"] == 3
    assert [entry["account"].name for entry in result["accounts"]] == ["Low", "Mid"]


def test_trends_are_cached_for_the_configured_time(
    manufacturing, settings, django_assert_num_queries
):
    from django.core.cache import cache

    settings.FRONTLINE_PIPELINE_CACHE_SECONDS = 60
    cache.clear()
    account = factories.AccountFactory(vertical=manufacturing)
    status_row(account, DAY, is_dag=True)
    try:
        with django_assert_num_queries(3):  # the policy, the counts, the first feed day
            first = pipeline.trends(verticals=[manufacturing], day=DAY)["dag"]
        status_row(factories.AccountFactory(vertical=manufacturing), DAY, is_dag=True)
        with django_assert_num_queries(1):  # the policy only: the rest comes from the cache
            second = pipeline.trends(verticals=[manufacturing], day=DAY)["dag"]
        assert second == first
        assert first[manufacturing.pk][-1] == 1
        # A new policy version starts a new cache key.
        policy = MetricPolicy.objects.latest()
        policy.pk = None
        policy.save()
        third = pipeline.trends(verticals=[manufacturing], day=DAY)["dag"]
        assert third[manufacturing.pk][-1] == 2
    finally:
        cache.clear()
