"""GET|POST /api/v1/visits/: scoped list, and logging a visit as the caller."""

from __future__ import annotations

import datetime as dt

import pytest

from core.days import business_today
from tests import factories
from tests.api.conftest import token_client
from visits.models import Visit

pytestmark = pytest.mark.django_db

URL = "/api/v1/visits/"


def test_list_is_scoped_newest_first_with_constant_queries(csm, retail, django_assert_num_queries):
    mine = factories.AccountFactory(external_id="mine")
    theirs = factories.AccountFactory(external_id="theirs", vertical=retail)
    today = business_today()
    client = token_client(csm)
    client.get(URL)
    factories.VisitFactory(account=mine, author=csm, visited_on=today - dt.timedelta(days=3))
    factories.VisitFactory(account=theirs, author=csm)
    with django_assert_num_queries(4) as small:
        body = client.get(URL).json()
    assert [v["account"] for v in body["results"]] == ["mine"]
    for n in range(15):
        visit = factories.VisitFactory(
            account=mine, author=csm, visited_on=today - dt.timedelta(days=n % 4)
        )
        visit.staff_attendees.add(csm)
    with django_assert_num_queries(4) as large:
        body = client.get(URL).json()
    assert len(body["results"]) == 16
    days = [v["visited_on"] for v in body["results"]]
    assert days == sorted(days, reverse=True)
    assert len(small.captured_queries) == len(large.captured_queries)


def test_list_filters(coo):
    a = factories.AccountFactory(external_id="a")
    b = factories.AccountFactory(external_id="b")
    today = business_today()
    factories.VisitFactory(
        account=a, author=coo, visited_on=today - dt.timedelta(days=10), visit_type="executive"
    )
    factories.VisitFactory(account=b, author=coo, visited_on=today)
    client = token_client(coo)
    assert [v["account"] for v in client.get(URL + "?account=a").json()["results"]] == ["a"]
    since = today - dt.timedelta(days=1)
    assert [v["account"] for v in client.get(f"{URL}?visited_from={since}").json()["results"]] == [
        "b"
    ]
    assert [v["account"] for v in client.get(URL + "?visit_type=executive").json()["results"]] == [
        "a"
    ]
    assert client.get(URL + "?visited_to=nope").status_code == 400
    assert client.get(URL + "?visited_to=11/24/2026").status_code == 400
    assert client.get(URL + "?visited_from=11/24/2026").status_code == 400


def test_write_token_logs_a_visit_authored_by_the_caller(csm):
    factories.AccountFactory(external_id="ent-1", name="One")
    response = token_client(csm, write=True).post(
        URL,
        {"account": "ent-1", "visit_type": "executive", "purpose": "MES", "sentiment": "positive"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["author"] == "csm_m" and body["account"] == "ent-1"
    assert body["visited_on"] == business_today().isoformat()
    visit = Visit.objects.get()
    assert visit.author == csm and visit.visit_type == "executive"


def test_cannot_log_a_visit_to_another_verticals_account(csm, retail):
    factories.AccountFactory(external_id="theirs", vertical=retail)
    response = token_client(csm, write=True).post(URL, {"account": "theirs"}, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "account" and "theirs" in error["reason"]
    unknown = token_client(csm, write=True).post(URL, {"account": "ghost"}, format="json")
    assert unknown.json()["errors"][0]["reason"] == error["reason"].replace("theirs", "ghost")
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "account"),
        ({"account": "ent-1", "visit_type": "party"}, "visit_type"),
        ({"account": "ent-1", "visited_on": "2999-01-01"}, "visited_on"),
        ({"account": "ent-1", "visited_on": "yesterday"}, "visited_on"),
        ({"account": "ent-1", "visited_on": "20261120"}, "visited_on"),
        ({"account": "ent-1", "purpose": "x" * 201}, "purpose"),
        ({"account": "ent\x00-1"}, "account"),
    ],
)
def test_invalid_visits_are_400_naming_the_field(csm, body, field):
    factories.AccountFactory(external_id="ent-1")
    response = token_client(csm, write=True).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_write_token_of_a_user_without_the_add_permission_is_refused(db):
    factories.AccountFactory(external_id="ent-1")
    bi = factories.person("api_client", None, username="bi")
    response = token_client(bi, write=True).post(URL, {"account": "ent-1"}, format="json")
    assert response.status_code == 403


def test_staff_attendees_are_people_of_the_callers_verticals(csm, other_csm):
    factories.AccountFactory(external_id="ent-1")
    sa = factories.person("sa", "manufacturing", username="sa_m")
    client = token_client(csm, write=True)
    response = client.post(URL, {"account": "ent-1", "staff_attendees": ["sa_m"]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["staff_attendees"] == ["sa_m"]
    assert list(Visit.objects.get().staff_attendees.all()) == [sa]
    refused = client.post(URL, {"account": "ent-1", "staff_attendees": ["csm_r"]}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "staff_attendees"


def test_a_csm_logs_a_visit_from_their_session(client, csm):
    factories.AccountFactory(external_id="ent-1")
    client.force_login(csm)
    response = client.post(URL, {"account": "ent-1"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Visit.objects.get().author == csm
