"""GET /api/v1/visit-plan/: ranked, scoped, with reasons; bad parameters are 400s naming them."""

from __future__ import annotations

import datetime as dt

import pytest

from core.days import business_today
from metrics.models import AccountDailyStatus, MetricPolicy
from tests import factories

pytestmark = pytest.mark.django_db

DAY = business_today() - dt.timedelta(days=1)
URL = "/api/v1/visit-plan/"


def status(account, **values):
    return AccountDailyStatus.objects.create(
        account=account, day=DAY, policy=MetricPolicy.objects.latest(), **values
    )


@pytest.fixture
def accounts(db):
    red = factories.AccountFactory(
        external_id="red", name="Red", headcount=200_000, region="North China"
    )
    status(red, color="red", score=20, deep_integration_level=1)
    green = factories.AccountFactory(external_id="green", name="Green", headcount=900)
    status(green, color="green", score=90, deep_integration_level=3)
    factories.VisitFactory(account=green, visited_on=DAY)
    retail = factories.AccountFactory(
        external_id="retail", vertical=factories.vertical("consumer_retail"), region="North China"
    )
    return red, green, retail


def test_ranked_list_with_the_contract_fields(client, coo, accounts):
    client.force_login(coo)
    response = client.get(URL, {"date": DAY.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert [row["external_id"] for row in body][0] == "red"
    assert body[-1]["external_id"] == "green"
    top = body[0]
    assert set(top) == {
        "external_id",
        "name",
        "local_name",
        "vertical",
        "region",
        "score",
        "reasons",
        "days_since_visit",
        "days_since_executive_visit",
        "color",
        "deep_integration_level",
    }
    assert top["color"] == "red" and top["deep_integration_level"] == 1
    assert top["vertical"] == "manufacturing" and top["region"] == "North China"
    assert "health red (score 20)" in top["reasons"] and "never visited" in top["reasons"]
    assert top["days_since_visit"] is None
    assert body[-1]["days_since_visit"] == 0


def test_scoped_to_the_callers_verticals_and_region(client, csm, accounts):
    client.force_login(csm)  # manufacturing only
    ids = [row["external_id"] for row in client.get(URL).json()]
    assert sorted(ids) == ["green", "red"]
    ids = [row["external_id"] for row in client.get(URL, {"region": "North China"}).json()]
    assert ids == ["red"]


def test_limit(client, coo, accounts):
    client.force_login(coo)
    assert len(client.get(URL, {"limit": "1"}).json()) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "2026-02-30"}, "date"),
        ({"date": "yesterday"}, "date"),
        ({"limit": "0"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"limit": "lots"}, "limit"),
        ({"vertical": "consumer_retail"}, "vertical"),  # not hers
    ],
)
def test_bad_parameters_are_named(client, csm, params, field):
    client.force_login(csm)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_anonymous_is_refused(client):
    assert client.get(URL).status_code in (401, 403)


def test_query_count_is_fixed(client, coo, accounts, django_assert_max_num_queries):
    for _ in range(10):
        status(factories.AccountFactory(), color="yellow", score=50)
    client.force_login(coo)
    with django_assert_max_num_queries(10):
        assert client.get(URL).status_code == 200


def test_a_future_day_is_refused_naming_the_parameter(client, coo):
    client.force_login(coo)
    response = client.get(URL, {"date": (business_today() + dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "date", "reason": "The day cannot be in the future."}
    ]


def test_without_a_day_the_plan_is_for_the_last_complete_day(client, coo, accounts):
    client.force_login(coo)
    assert client.get(URL).json() == client.get(URL, {"date": DAY.isoformat()}).json()
