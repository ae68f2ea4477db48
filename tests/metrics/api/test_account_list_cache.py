"""The accounts list's page cache (accounts.list_cache): served from the cache, retired by writes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import list_cache
from accounts.models import Account
from accounts.services import import_accounts
from metrics import compute
from tests import factories
from tests.api.conftest import DAY, make_status, token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/accounts/"


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.API_LIST_CACHE_SECONDS = 300


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what writers leave for the commit (the tests' transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def names(client, url=URL) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def list_queries(client, url=URL) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum("accounts_account" in q["sql"] for q in queries.captured_queries)


def test_a_repeated_page_is_served_without_reading_the_accounts(coo):
    factories.AccountFactory(external_id="ent-1", name="Alpha")
    client = token_client(coo)
    first = client.get(f"{URL}?page_size=1").json()
    assert list_queries(client, f"{URL}?page_size=1") == 0
    assert client.get(f"{URL}?page_size=1").json() == first
    # Another query string is another page.
    assert list_queries(client, f"{URL}?page_size=2") == 1


def test_off_when_no_seconds_are_set(coo, settings):
    settings.API_LIST_CACHE_SECONDS = 0
    factories.AccountFactory(external_id="ent-1")
    client = token_client(coo)
    client.get(URL)
    assert list_queries(client) == 1


def test_callers_of_other_verticals_never_share_a_page(csm, other_csm, coo):
    factories.AccountFactory(
        external_id="ent-m", name="Made", vertical=factories.vertical("manufacturing")
    )
    factories.AccountFactory(
        external_id="ent-r", name="Sold", vertical=factories.vertical("consumer_retail")
    )
    assert names(token_client(csm)) == ["Made"]
    assert names(token_client(other_csm)) == ["Sold"]
    assert names(token_client(coo)) == ["Made", "Sold"]
    assert names(token_client(csm)) == ["Made"]


def test_an_edited_account_shows_at_once(coo, commits):
    account = factories.AccountFactory(external_id="ent-1", name="Alpha")
    client = token_client(coo)
    assert names(client) == ["Alpha"]
    with commits():
        account.name = "Alpha Group"
        account.save()
    assert names(client) == ["Alpha Group"]
    with commits():
        account.delete()
    assert names(client) == []


def test_nothing_is_retired_before_the_commit(coo, django_capture_on_commit_callbacks):
    account = factories.AccountFactory(external_id="ent-1", name="Alpha")
    client = token_client(coo)
    names(client)
    before = list_cache.current_version()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        Account.objects.filter(pk=account.pk).update(name="Renamed")
        list_cache.changed()
        assert list_cache.current_version() == before
    assert len(pending) == 1


def test_a_renamed_owner_shows_at_once(coo, commits):
    owner = factories.person("csm", "manufacturing", username="csm_old")
    factories.AccountFactory(external_id="ent-1", owner_csm=owner)
    client = token_client(coo)
    assert client.get(URL).json()["results"][0]["owner_csm"] == "csm_old"
    with commits():
        owner.username = "csm_new"
        owner.save()
    assert client.get(URL).json()["results"][0]["owner_csm"] == "csm_new"


def test_an_account_import_shows_at_once(coo, commits):
    factories.AccountFactory(external_id="ent-1", name="Alpha")
    client = token_client(coo)
    assert names(client) == ["Alpha"]
    row = {
        "external_id": "ent-2",
        "name": "Beta",
        "local_name": "",
        "vertical": "manufacturing",
        "headcount": "5000",
        "region": "",
        "stage": "",
        "csm": "",
    }
    with commits():
        report = import_accounts(rows=[(2, row)], skip_invalid=False)
    assert report.created == 1, report.rejected
    assert names(client) == ["Alpha", "Beta"]


def test_a_new_status_from_the_engine_shows_at_once(coo, commits):
    account = factories.AccountFactory(external_id="ent-1")
    client = token_client(coo)
    url = f"{URL}?date={DAY}"
    assert client.get(url).json()["results"][0]["health"] is None
    factories.app_usage(account, DAY, "chat", 120)
    with commits():
        assert compute.recompute(start=DAY, end=DAY) == 1
    health = client.get(url).json()["results"][0]["health"]
    assert health is not None and health["date"] == DAY.isoformat()


def test_a_changed_status_shows_at_once(coo, commits):
    account = factories.AccountFactory(external_id="ent-1")
    status = make_status(account, DAY, score=82, color="green")
    client = token_client(coo)
    url = f"{URL}?date={DAY}&color=green"
    assert len(names(client, url)) == 1
    # The engine rewrites the day (here by hand) and says so, as compute_status_day does.
    with commits():
        type(status).objects.filter(account=account, day=DAY).update(score=20, color="red")
        list_cache.changed()
    assert names(client, url) == []
    assert len(names(client, f"{URL}?date={DAY}&color=red")) == 1
