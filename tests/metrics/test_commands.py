"""The metrics commands: import_usage, import_connector_usage, recompute_metrics."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from metrics.models import AccountDailyStatus, AppUsage, ConnectorUsage
from tests import factories

pytestmark = pytest.mark.django_db


def test_import_usage_loads_and_prints_a_summary(accounts, write_csv, capsys):
    path = write_csv(
        "usage.csv",
        "account,date,app,minutes,active_users\nent-0,2024-01-01,chat,60,3\nent-1,2024-01-01,bi,5,1\n",
    )
    call_command("import_usage", str(path))
    out = capsys.readouterr().out
    assert "read 2" in out and "loaded 2" in out and "created 2" in out and "rejected 0" in out
    assert AppUsage.objects.count() == 2


def test_import_usage_names_the_editor_line_and_loads_nothing(accounts, write_csv, capsys):
    path = write_csv(
        "usage.csv",
        "account,date,app,minutes,active_users\n"
        "ent-0,2024-01-01,chat,60,3\n"
        "ent-0,2024-01-01,docs,sixty,3\n"
        "ghost,2024-01-01,chat,1,1\n",
    )
    with pytest.raises(CommandError, match="2 row"):
        call_command("import_usage", str(path))
    err = capsys.readouterr().err
    assert "line 3: minutes: sixty is not a whole number" in err
    assert "line 4: account: unknown account 'ghost'" in err
    assert not AppUsage.objects.exists()


def test_import_usage_skip_invalid_writes_rejects_beside_the_input(accounts, write_csv):
    path = write_csv(
        "usage.csv",
        "account,date,app,minutes,active_users\nent-0,2024-01-01,chat,60,3\nent-0,2024-01-01,docs,-1,3\n",
    )
    call_command("import_usage", str(path), "--skip-invalid")
    assert AppUsage.objects.count() == 1
    with (path.parent / "usage.csv.rejected.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [
        "line",
        "field",
        "reason",
        "account",
        "date",
        "app",
        "minutes",
        "active_users",
    ]
    assert rows[1][:2] == ["3", "minutes"] and "negative" in rows[1][2]
    assert rows[1][3:] == ["ent-0", "2024-01-01", "docs", "-1", "3"]


def test_import_usage_missing_column_names_the_header(accounts, write_csv):
    path = write_csv("usage.csv", "account,date,app,minutes\nent-0,2024-01-01,chat,60\n")
    with pytest.raises(CommandError, match="active_users"):
        call_command("import_usage", str(path))


def test_import_connector_usage(accounts, write_csv, capsys):
    path = write_csv(
        "conn.csv",
        "account,date,connector,records\nent-0,2024-01-01,yonyou_u8,1200\nent-0,2024-01-01,new_erp,5\n",
    )
    call_command("import_connector_usage", str(path))
    assert ConnectorUsage.objects.count() == 2
    assert "registered unknown code new_erp" in capsys.readouterr().err


def test_recompute_metrics_date_and_account(accounts):
    day = dt.date(2024, 5, 1)
    factories.app_usage(accounts[0], day, "chat", 30)
    call_command("recompute_metrics", "--date", "2024-05-01", "--account", "ent-0", verbosity=0)
    rows = AccountDailyStatus.objects.all()
    assert [(r.account_id, r.day, r.minutes) for r in rows] == [(accounts[0].pk, day, 30)]


def test_recompute_metrics_range(accounts):
    call_command("recompute_metrics", "--start", "2024-05-01", "--end", "2024-05-03", verbosity=0)
    assert AccountDailyStatus.objects.count() == 3 * len(accounts)


def test_recompute_metrics_default_covers_days_with_feed_data_up_to_yesterday(accounts, today):
    yesterday = today - dt.timedelta(days=1)
    factories.app_usage(accounts[1], yesterday - dt.timedelta(days=4), "chat", 30)
    factories.app_usage(accounts[1], yesterday - dt.timedelta(days=200), "chat", 30)  # too old
    call_command("recompute_metrics", verbosity=0)
    days = sorted(set(AccountDailyStatus.objects.values_list("day", flat=True)))
    assert days[0] == yesterday - dt.timedelta(days=4)
    assert days[-1] == yesterday
    assert len(days) == 5


def test_recompute_metrics_without_data_says_so(accounts, capsys):
    call_command("recompute_metrics", verbosity=0)
    assert "nothing to recompute" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2024-02-30"], "--date"),
        (["--date", "2024-01-01", "--start", "2024-01-01"], "not both"),
        (["--start", "2024-01-01"], "go together"),
        (["--start", "2024-01-03", "--end", "2024-01-01"], "before"),
        (["--date", "2024-01-01", "--account", "nobody"], "unknown account"),
    ],
)
def test_recompute_metrics_bad_arguments(accounts, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("recompute_metrics", *args, verbosity=0)


def test_import_usage_draws_a_progress_bar_on_stderr(accounts, write_csv, capsys):
    path = write_csv(
        "usage.csv",
        "account,date,app,minutes,active_users\nent-0,2024-01-01,chat,60,3\nent-1,2024-01-01,bi,5,1\n",
    )
    call_command("import_usage", str(path), verbosity=1)
    err = capsys.readouterr().err
    if connection.vendor == "postgresql":
        assert "file: 100%" in err  # the file's bytes on their way to COPY
    else:
        assert "rows: 2" in err  # rows read in Python, counted
    call_command("import_usage", str(path), verbosity=0)
    assert capsys.readouterr().err == ""


def test_import_usage_of_a_missing_file_says_so(db, tmp_path):
    with pytest.raises(CommandError, match="nowhere.csv"):
        call_command("import_usage", str(tmp_path / "nowhere.csv"))
