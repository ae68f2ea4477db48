"""The COO reviews codes feeds registered: filter the unconfirmed, confirm them, or merge one into the right code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.utils import timezone

from metrics import models
from metrics.ingest import catalogue
from metrics.models import App, AppUsage, Connector, ConnectorUsage, PendingRecompute
from tests import factories

pytestmark = pytest.mark.django_db

D = dt.date(2025, 3, 3)


@pytest.fixture
def stray(accounts):
    code = App.objects.create(code="b_i", name="b_i", registered_by_feed=True, confirmed=False)
    factories.app_usage(accounts[0], D, "b_i", 30, 2)
    factories.app_usage(accounts[0], D + dt.timedelta(days=1), "b_i", 7, 1)
    factories.app_usage(accounts[0], D, "bi", 12, 3)
    return code


def test_unconfirmed_codes_are_listed_and_confirmed(client, superuser, stray):
    client.force_login(superuser)
    page = client.get("/admin/metrics/app/?confirmed__exact=0").content.decode()
    assert "b_i" in page and ">chat<" not in page
    response = client.post(
        "/admin/metrics/app/", {"action": "confirm", ACTION_CHECKBOX_NAME: [stray.pk]}
    )
    assert response.status_code == 302
    stray.refresh_from_db()
    assert stray.confirmed


def test_merge_into_moves_the_feed_rows_adds_same_keys_and_deletes_the_code(
    client, superuser, stray, accounts
):
    client.force_login(superuser)
    form = client.post(
        "/admin/metrics/app/", {"action": "merge_into", ACTION_CHECKBOX_NAME: [stray.pk]}
    )
    assert form.status_code == 200
    assert "Merge into" in form.content.decode()
    bi = App.objects.get(code="bi")
    response = client.post(
        "/admin/metrics/app/",
        {"action": "merge_into", ACTION_CHECKBOX_NAME: [stray.pk], "target": bi.pk},
    )
    assert response.status_code == 302
    assert not App.objects.filter(code="b_i").exists()
    rows = sorted(
        AppUsage.objects.filter(account=accounts[0]).values_list(
            "day", "app__code", "minutes", "active_users"
        )
    )
    assert rows == [(D, "bi", 42, 5), (D + dt.timedelta(days=1), "bi", 7, 1)]
    pending = PendingRecompute.objects.get()
    assert pending.start == D


def test_merge_caps_the_added_values_at_their_bound(accounts):
    source = Connector.objects.create(code="sap", name="sap", registered_by_feed=True)
    bound = models.FEED_NUMBER_BOUNDS["records"]
    factories.connector_usage(accounts[0], D, "sap", bound)
    factories.connector_usage(accounts[0], D, "sap_s4", bound)
    assert catalogue.merge_code(source=source, target=Connector.objects.get(code="sap_s4")) == 1
    assert list(ConnectorUsage.objects.values_list("connector__code", "records")) == [
        ("sap_s4", bound)
    ]


def test_merge_stamps_the_connector_rows_it_changes(accounts):
    """The rows a merge adds to or moves are stamped: a status counting them is not carried from."""
    source = Connector.objects.create(code="sap", name="sap", registered_by_feed=True)
    long_ago = timezone.now() - dt.timedelta(days=3)
    factories.connector_usage(accounts[0], D, "sap", 4)  # added into sap_s4's row of D
    factories.connector_usage(accounts[0], D, "sap_s4", 5)
    factories.connector_usage(accounts[1], D, "sap", 6)  # moved to sap_s4
    factories.connector_usage(accounts[1], D, "kingdee_k3", 1)  # not touched
    ConnectorUsage.objects.update(changed_at=long_ago)
    before = timezone.now()
    catalogue.merge_code(source=source, target=Connector.objects.get(code="sap_s4"))
    stamps = {
        (account, code): stamp
        for account, code, stamp in ConnectorUsage.objects.values_list(
            "account__external_id", "connector__code", "changed_at"
        )
    }
    assert stamps[(accounts[0].external_id, "sap_s4")] >= before
    assert stamps[(accounts[1].external_id, "sap_s4")] >= before
    assert stamps[(accounts[1].external_id, "kingdee_k3")] == long_ago


def test_a_connector_row_inserted_by_sql_is_stamped_by_the_database(accounts):
    """Any other writer (a script, the demo seed) gets the column's default: now."""
    before = timezone.now()
    kingdee = Connector.objects.get(code="kingdee_k3")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ConnectorUsage._meta.db_table} (account_id, day, connector_id, records) "
            "VALUES (%s, %s, %s, 3)",
            [accounts[0].pk, D, kingdee.pk],
        )
    assert ConnectorUsage.objects.get(account=accounts[0]).changed_at >= before - dt.timedelta(
        seconds=1
    )
