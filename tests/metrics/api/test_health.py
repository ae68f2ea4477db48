"""GET /api/v1/accounts/{external_id}/health/ and …/health/history/."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.api.conftest import DAY, make_status, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return factories.AccountFactory(external_id="ent-1")


def url(external_id="ent-1", suffix=""):
    return f"/api/v1/accounts/{external_id}/health/{suffix}"


def test_health_of_a_day_has_the_design_fields(csm, account):
    make_status(account, DAY, deep_integration_level=2, analytics_days=1, dag_rate=0.6)
    make_status(account, DAY + dt.timedelta(days=1))
    body = token_client(csm).get(url() + f"?date={DAY}").json()
    for name in (
        "is_dag",
        "minutes",
        "apps_used",
        "dag_days",
        "dag_rate",
        "connectors",
        "records",
        "analytics_days",
        "deep_integration_level",
        "score",
        "color",
        "components",
        "next_level",
    ):
        assert name in body
    assert body["date"] == DAY.isoformat() and body["external_id"] == "ent-1"
    assert body["next_level"] == {
        "level": 3,
        "missing": [{"criterion": "analytics_days", "have": 1, "need": 4}],
    }
    components = {c["component"]: c for c in body["components"]}
    assert set(components) == {"dag_rate", "integration", "breadth", "recency", "requirements"}
    assert components["dag_rate"]["points"] == 24.0 and components["dag_rate"]["max"] == 30
    assert components["dag_rate"]["effect"] == "raised"


def test_deep_customer_has_no_next_level(csm, account):
    make_status(account, DAY, deep_integration_level=3, dag_rate=0.7, analytics_days=6)
    assert token_client(csm).get(url()).json()["next_level"] is None


def test_date_defaults_to_the_latest_computed_day(csm, account):
    make_status(account, DAY - dt.timedelta(days=5), score=10, color="red")
    make_status(account, DAY, score=77)
    body = token_client(csm).get(url()).json()
    assert body["date"] == DAY.isoformat() and body["score"] == 77


def test_no_status_that_day_is_a_json_404_naming_the_date(csm, account):
    make_status(account, DAY)
    response = token_client(csm).get(url() + "?date=2026-01-01")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "date"
    assert token_client(csm).get(url("ent-9")).status_code == 404


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-13-01", "2026-02-30", "20261120", "2026-W01-1"]
)
def test_malformed_date_is_a_400_naming_the_parameter(csm, account, value):
    response = token_client(csm).get(url() + f"?date={value}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "date"


def test_health_of_another_verticals_account_is_a_404(other_csm, account):
    make_status(account, DAY)
    client = token_client(other_csm)
    assert client.get(url()).status_code == 404
    assert client.get(url(suffix="history/")).status_code == 404


def test_history_lists_the_computed_days_in_the_range(csm, account, django_assert_num_queries):
    for offset in range(10):
        make_status(account, DAY - dt.timedelta(days=offset), score=50 + offset)
    client = token_client(csm)
    client.get(url())
    start, end = DAY - dt.timedelta(days=3), DAY - dt.timedelta(days=1)
    with django_assert_num_queries(4):
        body = client.get(url(suffix="history/") + f"?start={start}&end={end}").json()
    assert body["start"] == start.isoformat() and body["end"] == end.isoformat()
    assert [d["date"] for d in body["results"]] == [
        (start + dt.timedelta(days=k)).isoformat() for k in range(3)
    ]
    assert [d["score"] for d in body["results"]] == [53, 52, 51]
    # Default: the 30 days ending on the latest computed day.
    body = client.get(url(suffix="history/")).json()
    assert body["end"] == DAY.isoformat() and len(body["results"]) == 10


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-11-20&end=2026-11-01", "start"),
        ("start=2024-01-01&end=2026-01-01", "end"),
        ("start=nope", "start"),
        ("end=2026-02-31", "end"),
    ],
)
def test_history_refuses_bad_ranges(csm, account, query, field):
    response = token_client(csm).get(url(suffix="history/") + f"?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_history_of_a_full_year_is_allowed(csm, account):
    response = token_client(csm).get(url(suffix="history/") + "?start=2025-11-21&end=2026-11-20")
    assert response.status_code == 200


def test_a_day_of_health_is_read_in_one_query_after_the_callers_scope(
    csm, coo, account, django_assert_num_queries
):
    make_status(account, DAY)
    scoped, company = token_client(csm), token_client(coo)
    for client in (scoped, company):
        client.get(url())  # the token's first use stamps last_used_at
    # The token with the caller's company role; the caller's verticals; the status with its account.
    with django_assert_num_queries(3):
        assert scoped.get(url()).json()["external_id"] == "ent-1"
    with django_assert_num_queries(2):
        assert company.get(url() + f"?date={DAY}").json()["date"] == DAY.isoformat()
    # Another vertical's account is not found, exactly like one that does not exist.
    other = factories.AccountFactory(
        external_id="ent-r", vertical=factories.vertical("consumer_retail")
    )
    make_status(other, DAY)
    assert scoped.get(url("ent-r")).json()["errors"][0]["field"] == "external_id"
    assert scoped.get(url("ent-r")).status_code == 404
