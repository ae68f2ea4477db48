"""Feed files: dates before the retention horizon, numbers past their bound and stray codes are bad rows.

The same files go through the commands (`import_usage`, `import_connector_usage`):
on SQLite the Python reader, on PostgreSQL a plain file goes through COPY and the
set-based checks, which must refuse the same rows with the same line and reason.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from metrics import models
from metrics.ingest import feeds
from metrics.models import AccountDailyStatus, App, AppUsage, ConnectorUsage, PendingRecompute

pytestmark = pytest.mark.django_db

APP_HEADER = "account,date,app,minutes,active_users\n"
CONNECTOR_HEADER = "account,date,connector,records\n"


@pytest.fixture
def retention(settings):
    settings.FEED_RETENTION_DAYS = 400
    return feeds.retention_horizon()


def test_import_usage_names_the_lines_older_than_the_horizon(
    accounts, retention, write_csv, capsys
):
    path = write_csv(
        "usage.csv",
        APP_HEADER
        + f"ent-0,{retention},chat,60,2\n"
        + "ent-0,1970-01-01,chat,60,2\n"
        + f"ent-1,{retention - dt.timedelta(days=1)},docs,5,1\n",
    )
    with pytest.raises(CommandError, match="2 row"):
        call_command("import_usage", str(path))
    err = capsys.readouterr().err
    assert "line 3: date: 1970-01-01 is older than the feed keeps" in err
    assert f"line 4: date: {retention - dt.timedelta(days=1)} is older" in err
    assert f"the oldest date accepted is {retention}" in err
    assert not AppUsage.objects.exists() and not PendingRecompute.objects.exists()


def test_import_connector_usage_refuses_old_dates_and_too_many_records(
    accounts, retention, write_csv, capsys
):
    path = write_csv(
        "conn.csv",
        CONNECTOR_HEADER
        + "ent-0,1970-01-01,sap_s4,5\n"
        + f"ent-0,{retention},sap_s4,9223372036854775807\n"
        + f"ent-0,{retention},yonyou_u8,{10**11}\n",
    )
    with pytest.raises(CommandError, match="2 row"):
        call_command("import_connector_usage", str(path))
    err = capsys.readouterr().err
    assert "line 2: date: 1970-01-01 is older than the feed keeps" in err
    assert "line 3: records: 9223372036854775807 is too large: at most 100000000000" in err
    assert not ConnectorUsage.objects.exists()
    # --skip-invalid loads the row at the bound.
    call_command("import_connector_usage", str(path), "--skip-invalid")
    assert list(ConnectorUsage.objects.values_list("records", flat=True)) == [10**11]


def test_minutes_past_the_bound_are_refused_and_at_the_bound_recompute(
    accounts, today, write_csv, capsys, django_capture_on_commit_callbacks
):
    day = today - dt.timedelta(days=1)
    bound = models.FEED_NUMBER_BOUNDS["minutes"]
    path = write_csv(
        "usage.csv",
        APP_HEADER
        + f"ent-0,{day},chat,9223372036854775807,1\n"
        + f"ent-0,{day},docs,{bound + 1},1\n"
        + f"ent-0,{day},bi,1,{models.FEED_MAX_PEOPLE + 1}\n",
    )
    with pytest.raises(CommandError, match="3 row"):
        call_command("import_usage", str(path))
    err = capsys.readouterr().err
    assert "line 2: minutes: 9223372036854775807 is too large: at most 14400000000" in err
    assert f"line 3: minutes: {bound + 1} is too large" in err
    assert "line 4: active_users: 10000001 is too large: at most 10000000 people" in err
    apps = list(App.objects.values_list("code", flat=True))
    path = write_csv(
        "usage.csv",
        APP_HEADER
        + "".join(
            f"ent-0,{day - dt.timedelta(days=n)},{code},{bound},{models.FEED_MAX_PEOPLE}\n"
            for n in range(3)
            for code in apps
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_usage", str(path))
    assert not PendingRecompute.objects.exists()
    status = AccountDailyStatus.objects.get(account=accounts[0], day=day)
    assert status.minutes == bound * len(apps) and status.is_dag


def test_codes_are_normalised_and_at_most_five_are_registered_per_file(
    accounts, today, write_csv, capsys
):
    day = today - dt.timedelta(days=1)
    path = write_csv(
        "usage.csv",
        APP_HEADER
        + f"ent-0,{day},BI,10,1\n"
        + f"ent-0,{day},Docs,10,1\n"
        + "".join(f"ent-1,{day},new_{n},1,1\n" for n in range(7))
        + f"ent-2,{day},probe-reg-1,1,1\n",
    )
    with pytest.raises(CommandError, match="3 row"):
        call_command("import_usage", str(path))
    err = capsys.readouterr().err
    assert "line 9: app: unknown code 'new_5': one request or file may register at most 5" in err
    assert "line 10: app: unknown code 'new_6'" in err
    assert "line 11: app: 'probe-reg-1' is not a valid code" in err
    assert not App.objects.filter(code__startswith="new_").exists()
    call_command("import_usage", str(path), "--skip-invalid")
    stored = set(AppUsage.objects.values_list("app__code", flat=True))
    assert {"bi", "docs"} <= stored and "BI" not in stored
    registered = App.objects.filter(registered_by_feed=True)
    assert sorted(registered.values_list("code", flat=True)) == [f"new_{n}" for n in range(5)]
    assert not any(registered.values_list("confirmed", flat=True))
