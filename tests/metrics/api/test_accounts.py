"""GET /api/v1/accounts/ and /api/v1/accounts/{external_id}/: health inline, filters, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.days import business_today
from tests import factories
from tests.api.conftest import DAY, make_status, token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/accounts/"


def external_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["external_id"] for row in response.json()["results"]]


def test_list_shows_latest_health_inline(csm):
    account = factories.AccountFactory(external_id="ent-1", name="Alpha", headcount=35_000)
    make_status(account, DAY - dt.timedelta(days=1), score=30, color="red")
    make_status(account, DAY, score=82, color="green", dag_rate=0.4, deep_integration_level=2)
    factories.AccountFactory(external_id="ent-2", name="Beta")
    body = token_client(csm).get(URL).json()
    assert body["next"] is None and body["previous"] is None
    first, second = body["results"]
    assert first["external_id"] == "ent-1"
    assert first["vertical"] == "manufacturing"
    assert first["size_tier"] == "10k"
    assert first["health"] == {
        "date": DAY.isoformat(),
        "score": 82,
        "color": "green",
        "is_dag": True,
        "dag_rate": 0.4,
        "deep_integration_level": 2,
    }
    assert second["external_id"] == "ent-2" and second["health"] is None


def test_health_day_is_the_latest_computed_up_to_yesterday_or_the_date_asked(coo):
    account = factories.AccountFactory(external_id="ent-1")
    make_status(account, DAY, score=82, color="green")
    make_status(account, DAY - dt.timedelta(days=1), score=30, color="red")
    # Rows an ingest computed for today (a few accounts only) do not move the list's day.
    make_status(account, business_today(), score=10, color="red")
    client = token_client(coo)
    assert client.get(URL).json()["results"][0]["health"]["date"] == DAY.isoformat()
    assert external_ids(client.get(f"{URL}?color=red")) == []
    earlier = client.get(f"{URL}?date={DAY - dt.timedelta(days=1)}&color=red").json()
    assert earlier["results"][0]["health"]["score"] == 30
    none = client.get(f"{URL}?date=2020-01-01").json()
    assert none["results"][0]["health"] is None
    assert client.get(f"{URL}?date=2020-02-30").json()["errors"][0]["field"] == "date"


def test_a_token_of_one_vertical_never_sees_another_verticals_accounts(csm, other_csm, retail):
    factories.AccountFactory(external_id="mine")
    factories.AccountFactory(external_id="theirs", vertical=retail)
    assert external_ids(token_client(csm).get(URL)) == ["mine"]
    assert external_ids(token_client(other_csm).get(URL)) == ["theirs"]
    assert token_client(csm).get(f"{URL}theirs/").status_code == 404
    assert token_client(csm).get(f"{URL}mine/").status_code == 200


def test_coo_and_api_client_see_every_vertical(coo, retail):
    factories.AccountFactory(external_id="a")
    factories.AccountFactory(external_id="b", vertical=retail)
    api_client = factories.person("api_client", None, username="bi")
    assert sorted(external_ids(token_client(coo).get(URL))) == ["a", "b"]
    assert sorted(external_ids(token_client(api_client).get(URL))) == ["a", "b"]


def test_user_without_memberships_sees_nothing(db):
    factories.AccountFactory(external_id="a")
    nobody = factories.UserFactory(username="nobody")
    assert external_ids(token_client(nobody).get(URL)) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("stage=at_risk", ["risky"]),
        ("size_tier=1m", ["giant"]),
        ("size_tier=lt2k", ["small"]),
        ("color=red", ["risky"]),
        ("color=green", ["giant"]),
        ("color=yellow", ["small"]),
        ("deep_integration_level=3", ["giant"]),
        ("dag_rate_min=0.5", ["giant"]),
        ("dag_rate_max=0.2", ["risky"]),
        ("dag_rate_min=0.1&dag_rate_max=0.6", ["giant", "small", "risky"]),
        ("csm=csm_m", ["small"]),
        ("vertical=consumer_retail", ["retail"]),
        ("vertical=manufacturing&stage=adopting", ["giant", "small"]),
        ("search=GIANT", ["giant"]),
        ("search=企业", ["giant", "small", "risky", "retail"]),
    ],
)
def test_filters(coo, csm, retail, query, expected):
    giant = factories.AccountFactory(external_id="giant", name="A giant", headcount=1_200_000)
    small = factories.AccountFactory(
        external_id="small", name="B small", headcount=800, owner_csm=csm
    )
    risky = factories.AccountFactory(external_id="risky", name="C risky", stage="at_risk")
    factories.AccountFactory(external_id="retail", name="D retail", vertical=retail)
    make_status(giant, score=90, color="green", dag_rate=0.6, deep_integration_level=3)
    make_status(risky, score=20, color="red", dag_rate=0.1, deep_integration_level=0)
    make_status(small, score=55, color="yellow", dag_rate=0.3)
    # Statuses of other days do not count: filters look at the health day (the latest, DAY).
    make_status(giant, DAY - dt.timedelta(days=3), color="red", dag_rate=0.0)
    make_status(small, DAY - dt.timedelta(days=2), color="green", deep_integration_level=3)
    assert external_ids(token_client(coo).get(f"{URL}?ordering=name&{query}")) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("stage=nope", "stage"),
        ("size_tier=huge", "size_tier"),
        ("color=blue", "color"),
        ("deep_integration_level=7", "deep_integration_level"),
        ("dag_rate_min=abc", "dag_rate_min"),
        ("ordering=secret", "ordering"),
        ("page_size=0", "page_size"),
        ("page_size=x", "page_size"),
        ("cursor=garbage", "cursor"),
    ],
)
def test_bad_parameters_answer_400_naming_them(coo, query, field):
    response = token_client(coo).get(f"{URL}?{query}")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors and errors[0]["field"] == field and errors[0]["reason"]


@pytest.mark.parametrize("ordering", ["name", "-name", "score", "-score", "headcount", "dag_rate"])
def test_cursor_pages_walk_every_account_once_in_order(coo, ordering):
    for n in range(7):
        account = factories.AccountFactory(
            external_id=f"e{n}", name=f"Name {n % 3}", headcount=None if n == 2 else 1000 * (n % 2)
        )
        if n != 4:
            make_status(account, score=10 * (n % 2), dag_rate=0.1 * (n % 3))
    client = token_client(coo)
    seen, url = [], f"{URL}?page_size=3&ordering={ordering}"
    pages = 0
    while url:
        body = client.get(url).json()
        seen += [row["external_id"] for row in body["results"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    assert sorted(seen) == [f"e{n}" for n in range(7)]
    full = external_ids(client.get(f"{URL}?page_size=50&ordering={ordering}"))
    assert seen == full
    # And back: the previous link of the last page returns the page before it.
    last = client.get(f"{URL}?page_size=3&ordering={ordering}").json()
    second = client.get(last["next"]).json()
    back = client.get(second["previous"]).json()
    assert [r["external_id"] for r in back["results"]] == full[:3]


def test_list_query_count_is_constant(coo, django_assert_num_queries):
    client = token_client(coo)
    client.get(URL)  # the token's first use stamps last_used_at

    def fill(n):
        for _ in range(n):
            account = factories.AccountFactory(owner_csm=coo)
            make_status(account)

    fill(2)
    with django_assert_num_queries(3) as small:
        assert len(client.get(URL).json()["results"]) == 2
    fill(18)
    with django_assert_num_queries(3) as large:
        assert len(client.get(URL + "?color=green&ordering=-score").json()["results"]) == 20
    assert len(small.captured_queries) == len(large.captured_queries)


def test_detail(csm):
    account = factories.AccountFactory(external_id="ent-9", name="Nine")
    make_status(account, score=41, color="yellow")
    body = token_client(csm).get(f"{URL}ent-9/").json()
    assert body["name"] == "Nine" and body["health"]["color"] == "yellow"
    assert "created_at" in body


def test_unknown_account_is_a_json_404(csm):
    response = token_client(csm).get(f"{URL}nope/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "external_id"


def test_nul_in_path_is_a_404_not_a_crash(csm):
    assert token_client(csm).get(f"{URL}a%00b/").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"{URL}?stage=adopting&stage=prospect",
        "/api/v1/accounts/x/health/?date=2026-01-01&date=nope",
        "/api/v1/visits/?account=a&account=b",
    ],
)
def test_a_parameter_given_twice_is_a_400(coo, url):
    response = token_client(coo).get(url)
    assert response.status_code == 400
    assert response.json()["errors"][0]["reason"].startswith("Given more than once")


@pytest.mark.parametrize("query", ["stage=", "color=", "deep_integration_level=", "ordering="])
def test_an_empty_value_is_a_400_not_an_unfiltered_list(coo, query):
    response = token_client(coo).get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == query.rstrip("=")


@pytest.mark.parametrize(
    ("ordering", "values"),
    [
        ("score", [2**70, "x"]),
        ("dag_rate", [float("inf"), "x"]),
        ("score", ["a", "x"]),
        ("name", ["a\x00", "x"]),
        ("name", ["a"]),
    ],
)
def test_tampered_cursors_are_400(coo, ordering, values):
    import base64
    import json

    raw = json.dumps({"o": ordering, "v": values, "r": 0}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = token_client(coo).get(f"{URL}?ordering={ordering}&cursor={cursor}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


def test_health_filters_and_orderings_read_the_one_joined_status_row(coo):
    """One join on (account, day) serves the columns, the filters and the sort key."""
    red = factories.AccountFactory(external_id="ent-red")
    make_status(red, score=20, color="red", deep_integration_level=1, dag_rate=0.1)
    make_status(factories.AccountFactory(external_id="ent-green"), score=90, color="green")
    client = token_client(coo)
    url = (
        f"{URL}?vertical=manufacturing&color=red&deep_integration_level=1&dag_rate_max=0.5"
        "&ordering=-score"
    )
    client.get(url)  # the token's first use stamps last_used_at
    with CaptureQueriesContext(connection) as queries:
        assert external_ids(client.get(url)) == ["ent-red"]
    listing = queries.captured_queries[-1]["sql"]
    assert listing.count("metrics_accountdailystatus") == 1, listing
    assert external_ids(client.get(f"{URL}?vertical=no_such_vertical")) == []
