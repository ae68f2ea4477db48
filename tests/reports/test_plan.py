"""The executive's visit planner: scoping, ranking on hand-made accounts, reasons, the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.days import business_today
from metrics.models import AccountDailyStatus, MetricPolicy
from reports import planner
from tests import factories
from visits.models import VisitType

pytestmark = pytest.mark.django_db

DAY = business_today() - dt.timedelta(days=1)
BEFORE = DAY - dt.timedelta(days=planner.TREND_DAYS)


def status(account, day=DAY, **values):
    defaults = dict(color="green", score=80, dag_rate=0.6, deep_integration_level=2)
    defaults.update(values)
    return AccountDailyStatus.objects.create(
        account=account, day=day, policy=MetricPolicy.objects.latest(), **defaults
    )


@pytest.fixture
def red_stale_large(db):
    """Red, DAG rate halved, 3 overdue requirements, renewal soon, 1M+ staff, visited 74 days ago."""
    account = factories.AccountFactory(
        external_id="red-large",
        name="Red Large",
        headcount=1_200_000,
        region="North China",
        renewal_date=DAY + dt.timedelta(days=30),
    )
    status(account, color="red", score=31, dag_rate=0.41)
    status(account, day=BEFORE, color="yellow", score=55, dag_rate=0.72)
    for _ in range(3):
        factories.RequirementFactory(
            account=account, raised_at=timezone.now() - dt.timedelta(days=5)
        )
    factories.VisitFactory(account=account, visited_on=DAY - dt.timedelta(days=74))
    return account


@pytest.fixture
def green_fresh_small(db, coo):
    account = factories.AccountFactory(
        external_id="green-small", name="Green Small", headcount=800, region="North China"
    )
    status(account, color="green", score=88, dag_rate=0.8, deep_integration_level=3)
    status(account, day=BEFORE, color="green", score=86, dag_rate=0.78)
    factories.VisitFactory(account=account, author=coo, visited_on=DAY - dt.timedelta(days=3))
    return account


def test_red_stale_large_ranks_above_green_fresh_small(coo, red_stale_large, green_fresh_small):
    entries = planner.visit_plan(user=coo, day=DAY)
    assert [e.account.external_id for e in entries] == ["red-large", "green-small"]
    top, bottom = entries
    assert top.score > bottom.score
    assert top.reasons[:3] == [
        "health red (score 31)",
        "health score 55 → 31 in 4 weeks",
        "DAG rate 0.72 → 0.41 in 4 weeks",
    ]
    assert "3 requirements overdue" in top.reasons
    assert "no visit in 74 days" in top.reasons
    assert "never visited by an executive" in top.reasons
    assert any(r.startswith("renewal in 30 days") for r in top.reasons)
    assert "1,000,000+ employees" in top.reasons
    assert (top.days_since_visit, top.days_since_executive_visit) == (74, None)
    assert top.color == "red"
    # The COO's own visit 3 days ago counts as an executive visit.
    assert (bottom.days_since_visit, bottom.days_since_executive_visit) == (3, 3)
    assert bottom.reasons == []


def test_score_follows_the_policy_weights(coo, red_stale_large):
    policy = MetricPolicy.objects.latest()
    entry = planner.visit_plan(user=coo, day=DAY, policy=policy)[0]
    assert entry.points["health"] == policy.plan_weight_red  # red: all of it
    assert entry.points["dag_drop"] == pytest.approx(
        policy.plan_weight_dag_drop * min(1, (0.72 - 0.41) / 0.72 / 0.5), abs=0.01
    )
    assert entry.points["overdue"] == policy.plan_weight_overdue  # 3 = overdue_requirements_zero
    assert entry.points["size"] == policy.plan_weight_size
    assert entry.points["executive_staleness"] == policy.plan_weight_executive_staleness
    assert entry.score == pytest.approx(sum(entry.points.values()), abs=0.1)

    zeroed = MetricPolicy.objects.create(plan_weight_red=0, plan_weight_size=0)
    again = planner.visit_plan(user=coo, day=DAY, policy=zeroed)[0]
    assert again.points["health"] == 0 and again.points["size"] == 0
    assert again.score == pytest.approx(
        entry.score - policy.plan_weight_red - policy.plan_weight_size, abs=0.1
    )


def test_near_deep_is_upside_with_its_reason(coo):
    account = factories.AccountFactory(external_id="near", headcount=800)
    status(account, analytics_days=3, dag_rate=0.7)
    entry = planner.visit_plan(user=coo, day=DAY)[0]
    assert entry.near_deep == {"criterion": "analytics_days", "have": 3.0, "need": 4.0}
    assert "one step from deep integration: analytics on 3 of 4 days" in entry.reasons
    assert entry.points["near_deep"] == MetricPolicy.objects.latest().plan_weight_near_deep


def test_executive_visit_by_type(coo, csm):
    account = factories.AccountFactory()
    factories.VisitFactory(
        account=account,
        author=csm,
        visit_type=VisitType.EXECUTIVE,
        visited_on=DAY - dt.timedelta(days=10),
    )
    factories.VisitFactory(account=account, author=csm, visited_on=DAY - dt.timedelta(days=2))
    # A visit after the plan's day does not count.
    factories.VisitFactory(account=account, author=csm, visited_on=DAY + dt.timedelta(days=1))
    entry = planner.visit_plan(user=coo, day=DAY)[0]
    assert (entry.days_since_visit, entry.days_since_executive_visit) == (2, 10)


def test_lead_sees_only_her_verticals(red_stale_large, green_fresh_small):
    lead = factories.person("lead", "consumer_retail", username="lead_r")
    retail = factories.AccountFactory(
        external_id="retail-1", vertical=factories.vertical("consumer_retail")
    )
    status(retail, color="red", score=20)
    entries = planner.visit_plan(user=lead, day=DAY)
    assert [e.account.external_id for e in entries] == ["retail-1"]
    assert planner.plan_regions(user=lead) == ["East China"]


def test_filters_by_region_and_vertical(coo, red_stale_large, green_fresh_small):
    factories.AccountFactory(external_id="east", region="East China")
    factories.AccountFactory(
        external_id="retail", region="North China", vertical=factories.vertical("consumer_retail")
    )
    by_region = planner.visit_plan(user=coo, day=DAY, region="East China")
    assert [e.account.external_id for e in by_region] == ["east"]
    by_vertical = planner.visit_plan(user=coo, day=DAY, vertical="consumer_retail")
    assert [e.account.external_id for e in by_vertical] == ["retail"]


def test_grouped_by_region_best_trip_first(coo, red_stale_large, green_fresh_small):
    factories.AccountFactory(external_id="east", region="East China", headcount=500)
    groups = planner.group_by_region(planner.visit_plan(user=coo, day=DAY))
    assert [g.region for g in groups] == ["North China", "East China"]
    assert [e.account.external_id for e in groups[0].entries] == ["red-large", "green-small"]


def test_queries_do_not_grow_with_accounts(coo, django_assert_max_num_queries):
    for i in range(12):
        account = factories.AccountFactory(region=f"Region {i % 3}")
        status(account, color="red", score=10, analytics_days=1)
        status(account, day=BEFORE, color="green", score=90, dag_rate=0.9)
        factories.VisitFactory(account=account, author=coo, visited_on=DAY - dt.timedelta(days=i))
        factories.RequirementFactory(
            account=account, raised_at=timezone.now() - dt.timedelta(days=3)
        )
        factories.cta(account, opened_on=DAY)
    coo = type(coo).objects.get(pk=coo.pk)  # no cached scoping
    # policy, scoping (1–2), accounts with their subqueries, status rows, near-deep rows, CTAs
    with django_assert_max_num_queries(7):
        entries = planner.visit_plan(user=coo, day=DAY)
    assert len(entries) == 12


# --- the page ------------------------------------------------------------------------------


def test_page_needs_login(client):
    response = client.get("/plan/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_page_lists_ranked_rows_with_links_and_the_weights(
    client, coo, red_stale_large, green_fresh_small, django_assert_max_num_queries
):
    client.force_login(coo)
    with django_assert_max_num_queries(14):
        response = client.get("/plan/", {"date": DAY.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Red Large") < html.index("Green Small")
    assert f"/admin/visits/visit/add/?account={red_stale_large.pk}" in html
    assert "DAG rate 0.72 → 0.41 in 4 weeks" in html
    assert "How the score is made" in html
    policy = MetricPolicy.objects.latest()
    assert f"version #{policy.pk}" in html


def test_page_scoped_and_filtered(client, red_stale_large, green_fresh_small):
    lead = factories.person("lead", "consumer_retail", username="lead_r")
    factories.AccountFactory(
        name="Retail East", region="East China", vertical=factories.vertical("consumer_retail")
    )
    client.force_login(lead)
    html = client.get("/plan/").content.decode()
    assert "Retail East" in html and "Red Large" not in html
    html = client.get("/plan/", {"region": "North China"}).content.decode()
    # A region she has no account in is not a choice: the filter is ignored, not a 500.
    assert "None of the accounts you may see is in North China." in html


def test_page_bad_date_is_an_error_not_a_500(client, coo):
    client.force_login(coo)
    response = client.get("/plan/", {"date": "2026-13-40"})
    assert response.status_code == 200
    assert "Enter a valid date" in response.content.decode()
