"""POST /api/v1/usage/ and /api/v1/connector-usage/: all rows or none, errors by index."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from metrics.models import AppUsage, ConnectorUsage
from tests import factories
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return timezone.localdate() - dt.timedelta(days=1)


@pytest.fixture
def accounts(retail):
    return (
        factories.AccountFactory(external_id="ent-1"),
        factories.AccountFactory(external_id="ent-r", vertical=retail),
    )


def usage(account="ent-1", day=None, app="chat", minutes=90, active_users=5):
    return {
        "account": account,
        "date": str(day),
        "app": app,
        "minutes": minutes,
        "active_users": active_users,
    }


def test_write_token_loads_app_usage_and_resending_replaces(coo, accounts, day):
    client = token_client(coo, write=True)
    response = client.post(
        "/api/v1/usage/", [usage(day=day), usage(day=day, app="bi", minutes=30)], format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "read": 2,
        "loaded": 2,
        "created": 2,
        "updated": 0,
        "registered": [],
    }
    response = client.post("/api/v1/usage/", [usage(day=day, minutes=120)], format="json")
    assert response.json()["updated"] == 1
    assert AppUsage.objects.count() == 2
    assert AppUsage.objects.get(app__code="chat").minutes == 120


def test_connector_usage_and_unknown_codes_are_registered(coo, accounts, day):
    client = token_client(coo, write=True)
    rows = [
        {"account": "ent-1", "date": str(day), "connector": "kingdee_k3", "records": "5400"},
        {"account": "ent-1", "date": str(day), "connector": "acme_erp", "records": 7},
    ]
    response = client.post("/api/v1/connector-usage/", rows, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["registered"] == ["acme_erp"]
    assert ConnectorUsage.objects.count() == 2


def test_a_rejected_row_loads_nothing_and_is_named_by_index(coo, accounts, day):
    rows = [
        usage(day=day),
        usage(day=day, minutes=-5),
        usage(day=day, minutes=1.5),
        "not an object",
        {"account": "ent-1", "date": str(day), "app": "chat", "minutes": 3},
        usage(day=day + dt.timedelta(days=5)),
        usage(account="ghost", day=day),
    ]
    response = token_client(coo, write=True).post("/api/v1/usage/", rows, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "minutes"),
        (2, "minutes"),
        (3, None),
        (4, "active_users"),
        (5, "date"),
        (6, "account"),
    ]
    assert all(e["reason"] for e in errors)
    assert AppUsage.objects.count() == 0


def test_other_verticals_accounts_are_unknown_and_nothing_is_loaded(csm, accounts, day):
    # A CSM of manufacturing with a write token: ent-r (retail) exists but is not theirs.
    client = token_client(csm, write=True)
    rows = [usage(day=day), usage(account="ent-r", day=day), usage(account="ghost", day=day)]
    response = client.post("/api/v1/usage/", rows, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == [
        {"index": 1, "field": "account", "reason": "unknown account 'ent-r'"},
        {"index": 2, "field": "account", "reason": "unknown account 'ghost'"},
    ]
    assert AppUsage.objects.count() == 0
    # Their own account loads.
    assert client.post("/api/v1/usage/", [usage(day=day)], format="json").status_code == 200


def test_more_than_10000_rows_is_a_400(coo, accounts, day):
    rows = [usage(day=day)] * 10_001
    response = token_client(coo, write=True).post("/api/v1/usage/", rows, format="json")
    assert response.status_code == 400
    assert "10000" in response.json()["errors"][0]["reason"]


@pytest.mark.parametrize("body", [{"account": "x"}, "text", 3, None])
def test_body_must_be_a_list(coo, body):
    response = token_client(coo, write=True).post("/api/v1/usage/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"


def test_malformed_json_is_a_400(coo):
    response = token_client(coo, write=True).post(
        "/api/v1/usage/", "[{", content_type="application/json"
    )
    assert response.status_code == 400


def test_huge_numbers_and_nul_characters_are_rejected_not_crashing(coo, accounts, day):
    rows = [
        usage(day=day, minutes=2**70),
        usage(account="ent\x001", day=day),
        usage(day=day, minutes="9" * 6000),
        usage(day=day, active_users="²"),
        usage(day=day, minutes="１２"),
    ]
    response = token_client(coo, write=True).post("/api/v1/usage/", rows, format="json")
    assert response.status_code == 400
    assert [e["index"] for e in response.json()["errors"]] == [0, 1, 2, 3, 4]


def test_session_ingest_needs_staff_with_add_permission(client, csm, accounts, day):
    client.force_login(csm)
    assert (
        client.post("/api/v1/usage/", [usage(day=day)], content_type="application/json").status_code
        == 403
    )
    csm.user_permissions.add(Permission.objects.get(codename="add_appusage"))
    csm = type(csm).objects.get(pk=csm.pk)
    client.force_login(csm)
    response = client.post("/api/v1/usage/", [usage(day=day)], content_type="application/json")
    assert response.status_code == 200, response.content
