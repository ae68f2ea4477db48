"""GET /api/v1/verticals/ and /api/v1/verticals/{code}/pipeline/."""

from __future__ import annotations

import datetime as dt

import pytest

from core.days import last_complete_day as default_day
from tests import factories
from tests.api.conftest import DAY, make_status, token_client

pytestmark = pytest.mark.django_db


def test_verticals_list_is_scoped_and_shows_staffing(coo, csm, django_assert_num_queries):
    for role in ("tech", "bd", "sa"):
        factories.person(role, "manufacturing")
    body = token_client(csm).get("/api/v1/verticals/").json()
    assert [v["code"] for v in body] == ["manufacturing"]
    assert body[0]["staffing"] == {"tech": 1, "bd": 1, "sa": 1, "csm": 1}
    assert body[0]["fully_staffed"] is True
    client = token_client(coo)
    client.get("/api/v1/verticals/")
    with django_assert_num_queries(2):
        body = client.get("/api/v1/verticals/").json()
    assert len(body) == 5
    retail = next(v for v in body if v["code"] == "consumer_retail")
    assert retail["fully_staffed"] is False


def test_pipeline_of_a_day(csm, retail):
    a = factories.AccountFactory(stage="adopting")
    b = factories.AccountFactory(stage="expanding")
    factories.AccountFactory(vertical=retail, stage="adopting")
    make_status(a, DAY, is_dag=True, deep_integration_level=3)
    make_status(b, DAY, is_dag=False, deep_integration_level=1)
    factories.VisitFactory(account=a, author=csm, visited_on=DAY - dt.timedelta(days=2))
    response = token_client(csm).get(f"/api/v1/verticals/manufacturing/pipeline/?date={DAY}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["vertical"] == "manufacturing" and body["date"] == DAY.isoformat()
    assert body["accounts"] == 2
    assert body["stages"]["adopting"] == 1 and body["stages"]["expanding"] == 1
    assert body["dag_accounts"] == 1 and body["deep_customers"] == 1
    assert body["visits_last_7_days"] == 1
    assert set(body) >= {
        "open_requirements",
        "overdue_requirements",
        "median_first_response_hours",
        "staffing",
        "fully_staffed",
    }


def test_pipeline_date_defaults_to_yesterday(csm):
    body = token_client(csm).get("/api/v1/verticals/manufacturing/pipeline/").json()
    assert body["date"] == default_day().isoformat()


def test_pipeline_of_another_vertical_is_a_404(csm):
    response = token_client(csm).get("/api/v1/verticals/consumer_retail/pipeline/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "code"
    assert token_client(csm).get("/api/v1/verticals/nope/pipeline/").status_code == 404


def test_pipeline_bad_date_is_a_400(csm):
    response = token_client(csm).get("/api/v1/verticals/manufacturing/pipeline/?date=2026-02-30")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "date"


def test_pipeline_of_a_future_day_is_refused(csm):
    tomorrow = default_day() + dt.timedelta(days=2)
    response = token_client(csm).get(f"/api/v1/verticals/manufacturing/pipeline/?date={tomorrow}")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "date", "reason": "The day cannot be in the future."}
    ]
