"""Ingest of the two usage feeds: validation named by line/field/reason, all-or-nothing, idempotent upsert."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics import ingest
from metrics.ingest import feeds
from metrics.models import App, AppUsage, Connector, ConnectorUsage, PendingRecompute

pytestmark = pytest.mark.django_db


def app_rows(*rows):
    """REST-style rows: 0-based index and a dict."""
    keys = ("account", "date", "app", "minutes", "active_users")
    return list(enumerate(dict(zip(keys, r, strict=True)) for r in rows))


def test_loads_rows_and_reports_created(accounts, today):
    day = (today - dt.timedelta(days=1)).isoformat()
    report = ingest.import_app_usage(
        rows=app_rows(("ent-0", day, "chat", 90, 5), ("ent-0", day, "bi", "30", "2")),
        skip_invalid=False,
    )
    assert report.rejected == []
    assert (report.read, report.loaded, report.created, report.updated) == (2, 2, 2, 0)
    row = AppUsage.objects.get(account=accounts[0], app__code="chat")
    assert (row.day, row.minutes, row.active_users) == (today - dt.timedelta(days=1), 90, 5)


def test_resending_a_key_replaces_its_values(accounts, today):
    day = today.isoformat()
    ingest.import_app_usage(rows=app_rows(("ent-1", day, "docs", 10, 1)), skip_invalid=False)
    report = ingest.import_app_usage(
        rows=app_rows(("ent-1", day, "docs", 25, 3), ("ent-1", day, "chat", 5, 1)),
        skip_invalid=False,
    )
    assert (report.loaded, report.created, report.updated) == (2, 1, 1)
    assert AppUsage.objects.count() == 2
    assert AppUsage.objects.get(app__code="docs").minutes == 25


def test_same_values_resent_count_as_updated(accounts, today):
    rows = app_rows(("ent-1", today.isoformat(), "docs", 10, 1))
    ingest.import_app_usage(rows=rows, skip_invalid=False)
    report = ingest.import_app_usage(rows=rows, skip_invalid=False)
    assert (report.loaded, report.created, report.updated) == (1, 0, 1)


def test_a_key_twice_in_one_input_keeps_the_last(accounts, today):
    day = today.isoformat()
    report = ingest.import_app_usage(
        rows=app_rows(("ent-2", day, "chat", 10, 1), ("ent-2", day, "chat", 70, 4)),
        skip_invalid=False,
    )
    assert (report.read, report.loaded, report.created) == (2, 1, 1)
    assert AppUsage.objects.get().minutes == 70


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        (("nobody", "2024-01-02", "chat", 1, 1), "account", "unknown account 'nobody'"),
        (("ent-0", "2024-13-01", "chat", 1, 1), "date", "'2024-13-01' is not a valid date"),
        (("ent-0", "02/01/2024", "chat", 1, 1), "date", "not a date (YYYY-MM-DD)"),
        (("ent-0", "2024-01-02", "chat", -5, 1), "minutes", "-5 is negative"),
        (("ent-0", "2024-01-02", "chat", "1.5", 1), "minutes", "1.5 is not a whole number"),
        (("ent-0", "2024-01-02", "chat", 1.5, 1), "minutes", "1.5 is not a whole number"),
        (("ent-0", "2024-01-02", "chat", True, 1), "minutes", "True is not a whole number"),
        (("ent-0", "2024-01-02", "chat", "", 1), "minutes", "required, but empty"),
        (("ent-0", "2024-01-02", "chat", 1, None), "active_users", "missing column"),
        (("ent-0", "2024-01-02", "bad code!", 1, 1), "app", "not a valid code"),
    ],
)
def test_bad_rows_are_named_with_field_and_reason_and_nothing_loads(accounts, row, field, reason):
    good = ("ent-0", "2024-01-01", "chat", 60, 2)
    report = ingest.import_app_usage(rows=app_rows(good, row), skip_invalid=False)
    assert len(report.rejected) == 1
    error = report.rejected[0]
    assert (error.line, error.field) == (1, field)
    assert reason in error.reason
    assert report.loaded == 0
    assert not AppUsage.objects.exists()
    assert not PendingRecompute.objects.exists()


def test_future_date_rejected_and_today_allowed(accounts, today):
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    report = ingest.import_app_usage(
        rows=app_rows(
            ("ent-0", today.isoformat(), "chat", 1, 1), ("ent-0", tomorrow, "chat", 1, 1)
        ),
        skip_invalid=True,
    )
    assert [(e.line, e.field) for e in report.rejected] == [(1, "date")]
    assert "in the future" in report.rejected[0].reason
    assert report.loaded == 1


def test_skip_invalid_loads_the_valid_rows(accounts):
    report = ingest.import_app_usage(
        rows=app_rows(
            ("ent-0", "2024-01-01", "chat", 60, 2), ("ghost", "2024-01-01", "chat", 1, 1)
        ),
        skip_invalid=True,
    )
    assert report.loaded == 1
    assert [e.line for e in report.rejected] == [1]
    assert report.rejected[0].raw == ("ghost", "2024-01-01", "chat", 1, 1)


def test_unknown_app_code_is_registered_as_other(accounts):
    report = ingest.import_app_usage(
        rows=app_rows(
            ("ent-0", "2024-01-01", "okr_tool", 15, 2), ("ent-1", "2024-01-01", "okr_tool", 5, 1)
        ),
        skip_invalid=False,
    )
    assert report.registered == ["okr_tool"]
    app = App.objects.get(code="okr_tool")
    assert (app.category, app.registered_by_feed) == ("other", True)
    assert AppUsage.objects.filter(app=app).count() == 2


def test_unknown_code_not_registered_when_nothing_loads(accounts):
    report = ingest.import_app_usage(
        rows=app_rows(
            ("ent-0", "2024-01-01", "okr_tool", 15, 2), ("ghost", "2024-01-01", "chat", 1, 1)
        ),
        skip_invalid=False,
    )
    assert report.registered == []
    assert not App.objects.filter(code="okr_tool").exists()


def test_connector_feed_and_unknown_connector(accounts):
    rows = list(
        enumerate(
            [
                {
                    "account": "ent-0",
                    "date": "2024-01-01",
                    "connector": "kingdee_k3",
                    "records": "1200",
                },
                {"account": "ent-0", "date": "2024-01-01", "connector": "odoo", "records": 3},
                {"account": "ent-0", "date": "2024-01-01", "connector": "sap_s4", "records": "-1"},
            ]
        )
    )
    report = ingest.import_connector_usage(rows=rows, skip_invalid=True)
    assert [(e.line, e.field) for e in report.rejected] == [(2, "records")]
    assert report.registered == ["odoo"]
    assert Connector.objects.get(code="odoo").system_kind == "other"
    assert ConnectorUsage.objects.get(connector__code="kingdee_k3").records == 1200


def test_ingest_schedules_the_affected_accounts_and_days(accounts, today):
    day = today - dt.timedelta(days=40)
    ingest.import_app_usage(
        rows=app_rows(("ent-2", day.isoformat(), "chat", 10, 1)), skip_invalid=False
    )
    pending = PendingRecompute.objects.get()
    assert pending.reason == "ingest"
    assert pending.account_ids == [accounts[2].pk]
    # The windows (30 days by default) that contain the day.
    assert (pending.start, pending.end) == (day, day + dt.timedelta(days=29))


TRICKY_CSV = (
    "\ufeffaccount, date ,app,minutes,active_users\n"
    "ent-0,2024-01-01,chat,60,3\n"
    "\n"
    " ent-1 ,2024-01-01, docs ,  7 ,1\n"
    ",,,,\n"
    'ent-2,2024-01-01,"ok\nr",5,1\n'
    "ent-2,2024-01-02,bi,5\n"
    "ent-2,2024-01-02,bi,5,1,surplus\n"
    "ent-2,2024-01-03,bi,٣,1\n"
    "ent-0,2024-01-01,chat,61,3\n"
    "ent-1,2024-1-01,chat,1,1\n"
    "ent-1,2024-01-04,new_app,+5,1\n"
    "ent-1,2024-01-04,new_app,5,1\n"
)


def _outcome(report):
    loaded = sorted(
        AppUsage.objects.values_list(
            "account__external_id", "day", "app__code", "minutes", "active_users"
        )
    )
    registered = sorted(App.objects.filter(registered_by_feed=True).values_list("code", flat=True))
    return (
        [(e.line, e.field, e.reason, e.raw) for e in report.rejected],
        loaded,
        registered,
        (report.read, report.loaded, report.created, report.updated),
    )


def _both_ways(path, *, skip_invalid=True):
    """(shared csv reader + import_app_usage, import_app_usage_csv), each from an empty feed."""
    from core.csv_import import read_csv_rows

    outcomes = []
    for run in ("shared", "file"):
        if run == "shared":
            rows = read_csv_rows(path, columns=feeds.APP_USAGE_COLUMNS)
            report = ingest.import_app_usage(rows=rows, skip_invalid=skip_invalid)
        else:
            report = ingest.import_app_usage_csv(path=path, skip_invalid=skip_invalid)
        outcomes.append(_outcome(report))
        AppUsage.objects.all().delete()
        App.objects.filter(registered_by_feed=True).delete()
    return outcomes


def test_csv_fast_reader_matches_the_shared_csv_reader(accounts, write_csv):
    """import_app_usage_csv (lists, fast path) says and loads exactly what import_app_usage on read_csv_rows does."""
    path = write_csv("tricky.csv", TRICKY_CSV)
    shared, fast = _both_ways(path)
    assert shared == fast
    rejected, loaded, registered, counts = shared
    assert [(line, field) for line, field, _, _ in rejected] == [
        (7, "app"),  # a quoted value spanning lines 6-7: the shared reader names its last line
        (8, "active_users"),
        (9, "line"),
        (10, "minutes"),
        (12, "date"),
        (13, "minutes"),
    ]
    assert ("ent-1", dt.date(2024, 1, 1), "docs", 7, 1) in loaded
    assert ("ent-0", dt.date(2024, 1, 1), "chat", 61, 3) in loaded  # the later row of a key wins
    assert registered == ["new_app"]
    assert counts == (10, 3, 3, 0)


# No quotes: on PostgreSQL the file goes through COPY and set-based checks.
PLAIN_CSV = (
    "app,account,date,minutes,active_users,comment\n"
    "chat,ent-0,2024-01-01,60,3,a\n"
    " docs , ent-1 ,2024-01-01,  7 ,1,\n"
    ",,,,,\n"
    "chat,ghost,2024-01-01,5,1,x\n"
    "bi,ent-2,2024-01-31,sixty,1,\n"
    "bi,ent-2,2024-02-30,5,1,\n"
    "bi,ent-2,2999-01-01,5,1,\n"
    "bad code,ent-2,2024-01-02,5,1,\n"
    "bi,ent-2,2024-01-02,-4,1,\n"
    "bi,ent-2,2024-01-02,5,,\n"
    "chat,ent-0,2024-01-01,61,4,later wins\n"
    "okr,ent-1,2024-01-03,9,2,\n"
    "okr,ent-1,2024-01-04,\t9\t,2,\n"
    "bi,ent-2,2024-01-05,٣,1,\n"
)


@pytest.mark.parametrize("blank_line", [False, True], ids=["plain", "with-a-blank-line"])
@pytest.mark.parametrize("skip_invalid", [True, False])
def test_csv_file_path_matches_the_shared_csv_reader(accounts, write_csv, blank_line, skip_invalid):
    """Same rejects (line, field, reason), same rows, same counts, through COPY or not."""
    text = PLAIN_CSV + ("\nbi,ent-2,2024-01-06,5,1,\n" if blank_line else "")
    path = write_csv("plain.csv", text)
    shared, file = _both_ways(path, skip_invalid=skip_invalid)
    assert shared == file
    rejected, loaded, registered, counts = shared
    assert [(line, field) for line, field, _, _ in rejected] == [
        (5, "account"),
        (6, "minutes"),
        (7, "date"),
        (8, "date"),
        (9, "app"),
        (10, "minutes"),
        (11, "active_users"),
        (15, "minutes"),
    ]
    if skip_invalid:
        assert ("ent-1", dt.date(2024, 1, 1), "docs", 7, 1) in loaded
        assert ("ent-0", dt.date(2024, 1, 1), "chat", 61, 4) in loaded
        assert ("ent-1", dt.date(2024, 1, 4), "okr", 9, 2) in loaded  # tabs stripped, as csv does
        assert registered == ["okr"]
        assert counts[0] == 13 + blank_line  # the ",,,,," row is skipped, like a blank line
        assert counts[1] == len(loaded) == 4 + blank_line
    else:
        assert loaded == [] and registered == [] and counts[1:] == (0, 0, 0)


def test_a_rest_item_that_is_not_an_object_is_rejected(accounts):
    report = ingest.import_app_usage(
        rows=[(0, ["ent-0", "2024-01-01"]), (1, None)], skip_invalid=False
    )
    assert [(e.line, e.field) for e in report.rejected] == [(0, "row"), (1, "row")]


@pytest.mark.parametrize("path", ["rows", "csv"])
def test_connector_rows_are_stamped_when_written_or_changed(accounts, today, write_csv, path):
    """changed_at: set on insert, kept when the same records come again, renewed when they change
    (metrics.window reads a stored status's connectors whole after a change)."""
    day = today.isoformat()

    def load(records: int) -> None:
        if path == "rows":
            keys = ("account", "date", "connector", "records")
            rows = list(
                enumerate([dict(zip(keys, ("ent-0", day, "kingdee_k3", records), strict=True))])
            )
            ingest.import_connector_usage(rows=rows, skip_invalid=False)
        else:
            csv = write_csv(
                f"c{records}.csv",
                f"account,date,connector,records\nent-0,{day},kingdee_k3,{records}\n",
            )
            ingest.import_connector_usage_csv(path=csv, skip_invalid=False)

    def stamp():
        return ConnectorUsage.objects.get(account=accounts[0]).changed_at

    load(5)
    first = stamp()
    assert first is not None
    load(5)
    assert stamp() == first
    load(7)
    assert stamp() > first
