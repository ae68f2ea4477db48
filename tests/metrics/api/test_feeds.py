"""POST /api/v1/usage/ and /api/v1/connector-usage/: all rows or none, errors by index."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission

from core.days import business_today
from metrics.models import AppUsage, ConnectorUsage, PendingRecompute
from tests import factories
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return business_today() - dt.timedelta(days=1)


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


# --- Dates before the retention horizon, numbers past their bound, stray codes (issue 15) ------


@pytest.mark.parametrize("path", ["/api/v1/usage/", "/api/v1/connector-usage/"])
def test_dates_before_the_retention_horizon_are_refused_and_nothing_is_scheduled(
    coo, accounts, day, settings, path
):
    settings.FEED_RETENTION_DAYS = 400
    if path == "/api/v1/usage/":
        rows = [usage(day="1970-01-01", app="chat") for _ in range(20)]
    else:
        rows = [
            {"account": "ent-1", "date": "1970-01-01", "connector": "sap_s4", "records": 5}
            for _ in range(20)
        ]
    response = token_client(coo, write=True).post(path, rows, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [e["index"] for e in errors] == list(range(20))
    assert {e["field"] for e in errors} == {"date"}
    horizon = (business_today() - dt.timedelta(days=400)).isoformat()
    assert "older than the feed keeps" in errors[0]["reason"]
    assert "FEED_RETENTION_DAYS = 400" in errors[0]["reason"]
    # Asia/Shanghai's today may be a day ahead of the server's.
    assert horizon[:7] in errors[0]["reason"]
    assert not AppUsage.objects.exists() and not ConnectorUsage.objects.exists()
    assert not PendingRecompute.objects.exists()


def test_the_retention_horizon_itself_is_accepted(coo, accounts, settings):
    from metrics.ingest.feeds import retention_horizon

    settings.FEED_RETENTION_DAYS = 400
    oldest = retention_horizon()
    client = token_client(coo, write=True)
    response = client.post("/api/v1/usage/", [usage(day=oldest)], format="json")
    assert response.status_code == 200, response.content
    response = client.post(
        "/api/v1/usage/", [usage(day=oldest - dt.timedelta(days=1))], format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "date"


@pytest.mark.parametrize(
    ("row", "field", "bound"),
    [
        (usage(minutes=9223372036854775807), "minutes", "14400000000"),
        (usage(minutes="9223372036854775807"), "minutes", "14400000000"),
        (usage(minutes=2**70), "minutes", "14400000000"),
        (usage(active_users=10_000_001), "active_users", "10000000"),
    ],
)
def test_numbers_past_their_bound_are_refused_naming_the_bound(
    coo, accounts, day, row, field, bound
):
    row = {**row, "date": str(day)}
    response = token_client(coo, write=True).post(
        "/api/v1/usage/", [usage(day=day), row], format="json"
    )
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (1, field)
    assert "too large" in error["reason"] and bound in error["reason"]
    assert not AppUsage.objects.exists()


def test_records_past_their_bound_are_refused(coo, accounts, day):
    row = {"account": "ent-1", "date": str(day), "connector": "sap_s4", "records": 10**11 + 1}
    response = token_client(coo, write=True).post("/api/v1/connector-usage/", [row], format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (0, "records")
    assert "100000000000" in error["reason"]


def test_values_at_the_bounds_load_and_recompute(
    coo, accounts, day, django_capture_on_commit_callbacks
):
    from metrics.models import FEED_NUMBER_BOUNDS, AccountDailyStatus, App

    apps = list(App.objects.values_list("code", flat=True))
    rows = [
        usage(
            day=day - dt.timedelta(days=n),
            app=code,
            minutes=FEED_NUMBER_BOUNDS["minutes"],
            active_users=FEED_NUMBER_BOUNDS["active_users"],
        )
        for n in range(30)
        for code in apps
    ]
    client = token_client(coo, write=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/usage/", rows, format="json")
    assert response.status_code == 200, response.content
    connector_rows = [
        {
            "account": "ent-1",
            "date": str(day - dt.timedelta(days=n)),
            "connector": code,
            "records": FEED_NUMBER_BOUNDS["records"],
        }
        for n in range(30)
        for code in ("sap_s4", "yonyou_u8", "salesforce")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/connector-usage/", connector_rows, format="json")
    assert response.status_code == 200, response.content
    assert not PendingRecompute.objects.exists()  # ran in-process, none failed
    status = AccountDailyStatus.objects.get(account__external_id="ent-1", day=day)
    assert status.minutes == FEED_NUMBER_BOUNDS["minutes"] * len(apps)
    assert status.records == FEED_NUMBER_BOUNDS["records"] * 90


def test_codes_are_lower_cased_so_BI_is_bi(coo, accounts, day):  # noqa: N802
    from metrics.models import App

    before = App.objects.count()
    response = token_client(coo, write=True).post(
        "/api/v1/usage/", [usage(day=day, app="BI"), usage(day=day, app=" Chat ")], format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["registered"] == []
    assert App.objects.count() == before
    assert set(AppUsage.objects.values_list("app__code", flat=True)) == {"bi", "chat"}


@pytest.mark.parametrize("code", ["probe-reg-1", "acme erp", "é_app", "x" * 41])
def test_codes_outside_the_allowed_characters_or_length_are_refused(coo, accounts, day, code):
    response = token_client(coo, write=True).post(
        "/api/v1/usage/", [usage(day=day, app=code)], format="json"
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "app"
    assert "lower-case letters, digits and '_'" in error["reason"] and "40" in error["reason"]


def test_a_request_registers_at_most_five_new_codes_unconfirmed(coo, accounts, day):
    from metrics.models import App

    rows = [usage(day=day, app=f"probe_{n}") for n in range(8)]
    client = token_client(coo, write=True)
    response = client.post("/api/v1/usage/", rows, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(5, "app"), (6, "app"), (7, "app")]
    assert "at most 5 new codes" in errors[0]["reason"]
    assert not App.objects.filter(code__startswith="probe_").exists()
    response = client.post("/api/v1/usage/", rows[:5] + [rows[0]], format="json")
    assert response.status_code == 200, response.content
    assert response.json()["registered"] == [f"probe_{n}" for n in range(5)]
    new = App.objects.filter(code__startswith="probe_")
    assert new.count() == 5
    assert not any(new.values_list("confirmed", flat=True))
    assert all(App.objects.filter(code__in=["chat", "bi"]).values_list("confirmed", flat=True))
