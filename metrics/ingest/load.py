"""The ingest of a feed: rows (a request) or a file (a command), in one transaction."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from pathlib import Path

from django.db import connection, transaction

from core.csv_import import ImportReport, loads_nothing, parsed_rows
from metrics.models import PendingRecompute
from metrics.recompute_queue import affected_until, schedule_recompute

from .copy_path import CopyFallback, import_feed_copy
from .csv_file import CsvFeedFile
from .feeds import APP_FEED, CONNECTOR_FEED, MAX_LISTED_ACCOUNTS, Feed
from .parser import RowParser
from .staging import NothingLoaded, Stage


def import_app_usage(*, rows: Iterable[tuple[int, dict]], skip_invalid: bool) -> ImportReport:
    """Load app-usage rows `(position, {account, date, app, minutes, active_users})`; see the module doc."""
    return import_feed(APP_FEED, rows=rows, skip_invalid=skip_invalid)


def import_connector_usage(*, rows: Iterable[tuple[int, dict]], skip_invalid: bool) -> ImportReport:
    """Load connector-usage rows `(position, {account, date, connector, records})`; see the module doc."""
    return import_feed(CONNECTOR_FEED, rows=rows, skip_invalid=skip_invalid)


def import_app_usage_csv(
    *, path: Path | str, skip_invalid: bool, wrap=None, wrap_chunks=None
) -> ImportReport:
    """Load an app-usage CSV file (what `import_usage` runs): `import_app_usage` on a fast reader.

    Same checks, messages and editor line numbers as reading the file with
    core.csv_import.read_csv_rows. Progress bars: `wrap` may wrap the row iterator (rows read
    in Python), `wrap_chunks` the iterator of the file's byte chunks sent to PostgreSQL's COPY.
    """
    return import_feed_csv(
        APP_FEED, path=path, skip_invalid=skip_invalid, wrap=wrap, wrap_chunks=wrap_chunks
    )


def import_connector_usage_csv(
    *, path: Path | str, skip_invalid: bool, wrap=None, wrap_chunks=None
) -> ImportReport:
    """Load a connector-usage CSV file (what `import_connector_usage` runs); see import_app_usage_csv."""
    return import_feed_csv(
        CONNECTOR_FEED, path=path, skip_invalid=skip_invalid, wrap=wrap, wrap_chunks=wrap_chunks
    )


def import_feed_csv(
    feed: Feed, *, path: Path | str, skip_invalid: bool, wrap=None, wrap_chunks=None
) -> ImportReport:
    source = CsvFeedFile(path, columns=feed.columns)  # ImportFileError before any work
    if connection.vendor == "postgresql" and source.plain():
        try:
            return import_feed_copy(
                feed, source=source, skip_invalid=skip_invalid, wrap_chunks=wrap_chunks
            )
        except CopyFallback:
            source = CsvFeedFile(path, columns=feed.columns)
    rows = source.rows()
    if wrap is not None:
        rows = wrap(rows)
    return import_feed(feed, rows=rows, skip_invalid=skip_invalid, csv_header=source.header)


def import_feed(
    feed: Feed,
    *,
    rows: Iterable[tuple[int, dict]] | Iterable[tuple[int, list[str]]],
    skip_invalid: bool,
    csv_header: list[str] | None = None,
) -> ImportReport:
    """The ingest: rows are (position, dict), or (line, CSV values) when `csv_header` is given."""
    started = time.monotonic()
    report = ImportReport()
    small = isinstance(rows, list) and len(rows) <= 50_000
    parser = RowParser(feed, only_rows=rows if small else None)
    if csv_header is not None:
        parser.use_header(csv_header)
        parse, as_dict = parser.parse_values, parser.csv_dict
    else:
        parse, as_dict = parser.parse, lambda row: row if isinstance(row, dict) else {}
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    touched: set[int] | None = set()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            stage = Stage(feed, cursor)
            stage.create()
            with stage.writer() as write:
                for parsed in parsed_rows(
                    rows, parse=parse, report=report, columns=feed.columns, as_dict=as_dict
                ):
                    if loads_nothing(report, skip_invalid=skip_invalid):
                        continue  # nothing will be loaded; keep validating to report every row
                    write(parsed)
                    day = parsed[1]
                    if first_day is None or day < first_day:
                        first_day = day
                    if last_day is None or day > last_day:
                        last_day = day
                    if touched is not None:
                        touched.add(parsed[0])
                        if len(touched) > MAX_LISTED_ACCOUNTS:
                            touched = None
            if loads_nothing(report, skip_invalid=skip_invalid):
                raise NothingLoaded
            if stage.rows:
                stage.resolve_new_codes(parser.new_codes, report)
                report.loaded, report.created = stage.upsert()
                report.updated = report.loaded - report.created
                schedule_recompute(
                    start=first_day,
                    end=affected_until(last_day),
                    account_ids=sorted(touched) if touched is not None else None,
                    reason=PendingRecompute.Reason.INGEST,
                )
            stage.drop()
    except NothingLoaded:
        report.registered = []
    report.seconds = time.monotonic() - started
    return report
