"""Feed files on PostgreSQL (COPY, set-based checks, the all-valid INSERT) say and load what the shared reader does.

Each case runs the same files through read_csv_rows + import_*_usage (the
reference) and through import_*_usage_csv, each from an empty feed, and
compares rejects, counts, registered codes, scheduled recomputes and the rows
stored. On SQLite both go through Python; on PostgreSQL a file without quotes
goes through COPY, and a clean first load through one plain INSERT.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.management import load_command_class
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.csv_import import read_csv_rows
from metrics import ingest
from metrics.ingest import feeds
from metrics.models import App, AppUsage, Connector, ConnectorUsage, PendingRecompute

pytestmark = pytest.mark.django_db

APP_HEADER = "account,date,app,minutes,active_users\n"
CONNECTOR_HEADER = "account,date,connector,records\n"


def _feed(kind: str):
    if kind == "app":
        return (
            feeds.APP_USAGE_COLUMNS,
            ingest.import_app_usage,
            ingest.import_app_usage_csv,
            AppUsage,
            App,
            ("account__external_id", "day", "app__code", "minutes", "active_users"),
        )
    return (
        feeds.CONNECTOR_USAGE_COLUMNS,
        ingest.import_connector_usage,
        ingest.import_connector_usage_csv,
        ConnectorUsage,
        Connector,
        ("account__external_id", "day", "connector__code", "records"),
    )


def _runs(paths, *, kind="app", skip_invalid=True):
    """{"shared": outcome, "file": outcome} of importing `paths` in turn, each run from an empty feed.

    An outcome: per import (rejects, counts, registered, scheduled recompute),
    then the stored rows. `statements` holds the SQL of the file run.
    """
    columns, import_rows, import_file, model, catalog, fields = _feed(kind)
    outcomes, statements = {}, []
    for run in ("shared", "file"):
        imports = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                if run == "shared":
                    rows = read_csv_rows(path, columns=columns)
                    report = import_rows(rows=rows, skip_invalid=skip_invalid)
                else:
                    report = import_file(path=path, skip_invalid=skip_invalid)
            if run == "file":
                statements.append([q["sql"] for q in queries.captured_queries])
            imports.append(
                (
                    [(e.line, e.field, e.reason, e.raw) for e in report.rejected],
                    (report.read, report.loaded, report.created, report.updated),
                    sorted(report.registered),
                    list(PendingRecompute.objects.values_list("start", "end", "account_ids")),
                )
            )
            PendingRecompute.objects.all().delete()
        outcomes[run] = (imports, sorted(model.objects.values_list(*fields)))
        model.objects.all().delete()
        catalog.objects.filter(registered_by_feed=True).delete()
    return outcomes, statements


def _all_valid_insert(statements) -> bool:
    """The import wrote with the all-valid INSERT alone (no ON CONFLICT upsert ran)."""
    return not any("ON CONFLICT" in sql for sql in statements) and any(
        sql.startswith("WITH up AS (INSERT INTO") for sql in statements
    )


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's"
)


def test_feed_day_index_is_brin_on_postgresql_and_a_btree_on_sqlite():
    with connection.cursor() as cursor:
        for table, index in (
            ("metrics_appusage", "app_usage_day"),
            ("metrics_connectorusage", "connector_usage_day"),
        ):
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT am.amname, pg_get_indexdef(i.oid) FROM pg_class i "
                    "JOIN pg_am am ON am.oid = i.relam WHERE i.relname = %s",
                    [index],
                )
                method, definition = cursor.fetchone()
                assert method == "brin", definition
                # ON ONLY: partitioned. The account too: a chunk's rows of a day (migration 0015).
                assert f"public.{table} USING brin (day, account_id)" in definition
                assert "autosummarize='on'" in definition
            else:
                cursor.execute(
                    "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND name = %s",
                    [index],
                )
                assert cursor.fetchone() == (table, f'CREATE INDEX "{index}" ON "{table}" ("day")')


def _clean_file(write_csv, name, *, day="2024-01-01", minutes=(60, 7, 3), header=APP_HEADER):
    lines = [
        f"ent-{n},{day},{app},{minutes[n]},{n + 1}\n" for n in range(3) for app in ("chat", "docs")
    ]
    return write_csv(name, header + "".join(lines))


def test_a_clean_first_load_is_one_insert(accounts, write_csv):
    path = _clean_file(write_csv, "clean.csv")
    outcomes, statements = _runs([path])
    assert outcomes["shared"] == outcomes["file"]
    (imports, stored) = outcomes["file"]
    assert imports[0][1] == (6, 6, 6, 0)
    assert imports[0][3] == [
        (
            dt.date(2024, 1, 1),
            dt.date(2024, 1, 30),
            sorted(a.pk for a in accounts),
        )
    ]
    assert ("ent-1", dt.date(2024, 1, 1), "docs", 7, 2) in stored
    if connection.vendor == "postgresql":
        assert _all_valid_insert(statements[0])


def test_reload_and_partial_reload_count_created_and_updated(accounts, write_csv):
    first = _clean_file(write_csv, "first.csv")
    same = _clean_file(write_csv, "same.csv")
    changed = write_csv(
        "changed.csv",
        APP_HEADER
        + "ent-0,2024-01-01,chat,61,1\n"  # changed
        + "ent-1,2024-01-01,chat,7,2\n"  # unchanged
        + "ent-2,2024-01-02,chat,5,1\n",  # a new day
    )
    outcomes, statements = _runs([first, same, changed])
    assert outcomes["shared"] == outcomes["file"]
    imports, stored = outcomes["file"]
    assert [i[1] for i in imports] == [(6, 6, 6, 0), (6, 6, 0, 6), (3, 3, 1, 2)]
    assert ("ent-0", dt.date(2024, 1, 1), "chat", 61, 1) in stored
    assert len(stored) == 7
    if connection.vendor == "postgresql":
        assert [_all_valid_insert(s) for s in statements] == [True, False, False]


@pytest.mark.parametrize(
    "value",
    [
        "+5",
        "-0",
        "-7",
        "007",
        " 7",
        "7 ",
        "\t7\t",
        "1_000",
        "0x1F",
        "1e3",
        "5 5",
        "٣",
        "9223372036854775807",
        "9223372036854775808",
        "99999999999999999999999",
    ],
)
@pytest.mark.parametrize("skip_invalid", [True, False])
def test_numbers_are_read_as_the_parser_reads_them(accounts, write_csv, value, skip_invalid):
    path = write_csv(
        "numbers.csv",
        APP_HEADER + "ent-0,2024-01-01,chat,60,3\n" + f"ent-1,2024-01-01,chat,{value},2\n",
    )
    outcomes, _ = _runs([path], skip_invalid=skip_invalid)
    assert outcomes["shared"] == outcomes["file"]


def test_values_with_spaces_load_as_the_parser_reads_them(accounts, write_csv):
    path = write_csv(
        "spaces.csv",
        APP_HEADER
        + "ent-0, 2024-01-01 ,\tchat,60,3\n"
        + " ent-1 ,2024-01-01,docs ,7,1\n"
        + "ent-2,2024-01-01,new_app ,5,1\n",
    )
    outcomes, _ = _runs([path], skip_invalid=False)
    assert outcomes["shared"] == outcomes["file"]
    imports, stored = outcomes["file"]
    assert imports[0][:3] == ([], (3, 3, 3, 0), ["new_app"])
    assert ("ent-1", dt.date(2024, 1, 1), "docs", 7, 1) in stored


def test_a_key_twice_in_a_clean_file_keeps_the_last(accounts, write_csv):
    path = write_csv(
        "twice.csv",
        APP_HEADER
        + "ent-0,2024-01-01,chat,10,1\n"
        + "ent-1,2024-01-01,chat,20,1\n"
        + "ent-0,2024-01-01,chat,30,1\n",
    )
    outcomes, _ = _runs([path])
    assert outcomes["shared"] == outcomes["file"]
    imports, stored = outcomes["file"]
    assert imports[0][1] == (3, 2, 2, 0)
    assert ("ent-0", dt.date(2024, 1, 1), "chat", 30, 1) in stored


@pytest.mark.parametrize("rescued_last", [True, False])
def test_a_row_the_parser_rescues_keeps_its_place_in_the_file(accounts, write_csv, rescued_last):
    """A row the SQL refused and the parser accepted (a tab before the account) and a clean row, same key: the later wins."""
    clean, rescued = "ent-1,2024-01-01,chat,9,1\n", "\tent-1,2024-01-01,chat,5,1\n"
    pair = clean + rescued if rescued_last else rescued + clean
    path = write_csv("order.csv", APP_HEADER + "ent-0,2024-01-01,chat,1,1\n" + pair)
    outcomes, _ = _runs([path])
    assert outcomes["shared"] == outcomes["file"]
    _, stored = outcomes["file"]
    assert ("ent-1", dt.date(2024, 1, 1), "chat", 5 if rescued_last else 9, 1) in stored


def test_connector_files_first_load_reload_and_bad_rows(accounts, write_csv):
    first = write_csv(
        "c1.csv",
        CONNECTOR_HEADER + "ent-0,2024-01-01,yonyou_u8,1200\n" + "ent-1,2024-01-01,new_erp,5\n",
    )
    again = write_csv(
        "c2.csv",
        CONNECTOR_HEADER
        + "ent-0,2024-01-01,yonyou_u8,1300\n"
        + "ghost,2024-01-01,yonyou_u8,1\n"
        + "ent-2,2024-01-02,new_erp,+4\n",
    )
    outcomes, statements = _runs([first, again], kind="connector")
    assert outcomes["shared"] == outcomes["file"]
    imports, stored = outcomes["file"]
    assert [i[1] for i in imports] == [(2, 2, 2, 0), (3, 1, 0, 1)]
    assert [(line, field) for line, field, _, _ in imports[1][0]] == [
        (3, "account"),
        (4, "records"),
    ]
    assert ("ent-0", dt.date(2024, 1, 1), "yonyou_u8", 1300) in stored
    if connection.vendor == "postgresql":
        assert [_all_valid_insert(s) for s in statements] == [True, False]


@postgresql_only
def test_an_unloadable_row_rolls_the_insert_back_before_the_checked_path(accounts, write_csv):
    """The all-valid INSERT fails on the unknown account; its savepoint leaves nothing behind."""
    path = write_csv(
        "ghost.csv", APP_HEADER + "ent-0,2024-01-01,chat,60,3\n" + "ghost,2024-01-01,chat,1,1\n"
    )
    with CaptureQueriesContext(connection) as queries:
        report = ingest.import_app_usage_csv(path=path, skip_invalid=True)
    statements = [q["sql"] for q in queries.captured_queries]
    assert any(s.startswith("ROLLBACK TO SAVEPOINT") for s in statements)
    assert [(e.line, e.field) for e in report.rejected] == [(3, "account")]
    assert (report.read, report.loaded, report.created, report.updated) == (2, 1, 1, 0)
    assert list(AppUsage.objects.values_list("account__external_id", "minutes")) == [("ent-0", 60)]


@postgresql_only
@pytest.mark.parametrize("clean", [True, False])
def test_the_planner_setting_is_restored_for_the_rest_of_the_transaction(
    accounts, write_csv, clean
):
    """The import turns nested loops off for its statements only (the test runs in a transaction)."""
    path = (
        _clean_file(write_csv, "clean.csv")
        if clean
        else write_csv("ghost.csv", APP_HEADER + "ghost,2024-01-01,chat,1,1\n")
    )
    ingest.import_app_usage_csv(path=path, skip_invalid=False)
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_nestloop")
        assert cursor.fetchone()[0] == "on"


def test_import_commands_skip_the_system_checks(accounts, write_csv):
    """Checks load every URL and view (~0.4 s of each daily run); the imports do not need them."""
    usage = _clean_file(write_csv, "usage.csv")
    connectors = write_csv("c.csv", CONNECTOR_HEADER + "ent-0,2024-01-01,yonyou_u8,1\n")
    options = {"verbosity": 0, "force_color": False, "no_color": False, "skip_invalid": False}
    with mock.patch("django.core.checks.run_checks", side_effect=AssertionError("checks ran")):
        # What the command line runs (call_command skips the checks itself).
        for name, path in (("import_usage", usage), ("import_connector_usage", connectors)):
            load_command_class("metrics", name).execute(
                file=str(path), skip_checks=False, **options
            )
        recompute = load_command_class("metrics", "recompute_metrics")
        with pytest.raises(AssertionError, match="checks ran"):
            recompute.execute(skip_checks=False, **options)
    assert AppUsage.objects.count() == 6
    assert ConnectorUsage.objects.count() == 1
