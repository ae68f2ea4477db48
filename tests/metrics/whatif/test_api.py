"""`POST /api/v1/policy/what-if/`: COO only, 400s naming the input, the same answer as metrics.whatif."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from metrics import whatif
from metrics.models import AccountDailyStatus, MetricPolicy
from tests import factories
from verticals.api.tokens import issue_api_token

from .conftest import D

pytestmark = pytest.mark.django_db
URL = "/api/v1/policy/what-if/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def token_client(user, *, write: bool = False) -> APIClient:
    _token, key = issue_api_token(user=user, can_write=write)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def ask(client, policy, date=D.isoformat()):
    return client.post(URL, {"date": date, "policy": policy}, format="json")


def test_coo_read_only_token_gets_the_service_answer(data_set, coo):
    stored = sorted(AccountDailyStatus.objects.values_list())
    response = ask(token_client(coo), {"dag_min_minutes": 61})
    assert response.status_code == 200, response.content
    assert response.json() == whatif.what_if(day=D, proposed={"dag_min_minutes": 61})
    assert [c["external_id"] for c in response.json()["changed"]] == ["ent-a"]
    # The COO sees all verticals: every vertical's counts are present.
    assert response.json()["current"]["by_vertical"]["consumer_retail"]["deep_customers"] == 1
    assert sorted(AccountDailyStatus.objects.values_list()) == stored
    assert MetricPolicy.objects.count() == 1


def test_coo_session_and_superuser(data_set, coo, superuser):
    assert ask(session_client(coo), {}).status_code == 200
    assert ask(session_client(superuser), {"window_days": 20}).status_code == 200


def test_others_get_403(data_set, csm):
    lead = factories.person("lead", "manufacturing", username="lead_m")
    client_user = factories.person("api_client", None, username="feeder")
    for client in (
        session_client(csm),
        token_client(csm),
        token_client(csm, write=True),
        session_client(lead),
        token_client(client_user, write=True),
    ):
        response = ask(client, {"dag_min_minutes": 61})
        assert response.status_code == 403
        assert response.json() == {
            "errors": [{"field": None, "reason": "Only the COO may run a policy what-if."}]
        }


def test_anonymous_gets_401(data_set):
    assert ask(APIClient(), {}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"date": D.isoformat(), "policy": {"dag_minutes": 1}}, "policy.dag_minutes", "Unknown"),
        ({"date": D.isoformat(), "policy": {"window_days": 0}}, "policy.window_days", "range"),
        (
            {"date": D.isoformat(), "policy": {"deep_min_dag_rate": 2}},
            "policy.deep_min_dag_rate",
            "range",
        ),
        ({"date": "2025-02-30", "policy": {}}, "date", "format"),
        ({"date": "31/03/2025", "policy": {}}, "date", "format"),
        ({"date": "2999-01-01", "policy": {}}, "date", "after today"),
        ({"policy": {}}, "date", "required"),
        ({"date": D.isoformat(), "policy": [1]}, "policy", "dictionary"),
    ],
)
def test_bad_input_gets_400_naming_it(data_set, coo, body, field, words):
    response = token_client(coo).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert words in errors[0]["reason"]


def test_documented_in_the_schema(db):
    client = APIClient()
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/policy/what-if/"]["post"]
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
