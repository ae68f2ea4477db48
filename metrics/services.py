"""Writes of the metrics app: ingesting the two daily usage feeds, scheduling and running recomputes.

Ingest (`import_app_usage`, `import_connector_usage` for lists of rows - the
REST API - and `import_app_usage_csv`, `import_connector_usage_csv` for files -
the commands) streams the rows: each row is validated in Python against
in-memory maps of the accounts and catalog (their size depends on the number of
accounts, never on the input), and the valid rows are streamed into a temporary
staging table - through COPY on PostgreSQL, in batches on SQLite - then written
with one `INSERT … SELECT … ON CONFLICT DO UPDATE`. Memory stays flat whatever
the size of the input. On PostgreSQL a file without quoted values goes further:
its bytes go to COPY untouched and the checks run set-based, with the Python
parser naming whatever they refuse (`_import_feed_copy`). Everything happens in
one transaction: when a row is rejected and the caller did not ask to skip
invalid rows, nothing is loaded.

After a load, the recompute it makes necessary is recorded as a
`PendingRecompute` row in the same transaction, and a Celery task sent on
commit runs it (in-process when no broker is configured). The periodic sweep
finds any pending row whose task was lost.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.models import Q
from django.db.utils import ProgrammingError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from core.csv_import import ImportFileError, ImportReport, RowError, RowRejected
from core.days import business_today, last_complete_day

from . import compute
from .models import (
    FEED_MAX_PEOPLE,
    FEED_NUMBER_BOUNDS,
    App,
    AppCategory,
    AppUsage,
    Connector,
    ConnectorUsage,
    MetricPolicy,
    PendingRecompute,
    SystemKind,
)

logger = logging.getLogger(__name__)

APP_USAGE_COLUMNS = ("account", "date", "app", "minutes", "active_users")
CONNECTOR_USAGE_COLUMNS = ("account", "date", "connector", "records")

# An ingest touching more accounts than this schedules "every account" for its
# days: the set-based recompute costs the same, and the pending row stays small.
MAX_LISTED_ACCOUNTS = 5_000
# Accounts per chunk when a recompute of every account is fanned out to workers.
CHUNK_ACCOUNTS = 20_000
# How long a worker may hold a pending recompute before another may take it over.
RECOMPUTE_LEASE = dt.timedelta(minutes=30)
# A failed recompute is tried again after RETRY_FIRST, doubling each time up to RETRY_MAX.
RETRY_FIRST = dt.timedelta(minutes=1)
RETRY_MAX = dt.timedelta(hours=6)
_SQLITE_BATCH = 5_000
# A code a feed may register: lower-case letters, digits and '_' (what a feed sends is
# lower-cased first, so `BI` is `bi`), at most CODE_MAX_LENGTH characters.
_CODE_RE = re.compile(r"^[a-z0-9_]+$")
CODE_MAX_LENGTH = 40
# A request or file may register at most this many unknown codes; rows naming more are refused
# (a typo or a probe should not grow the company catalogue by hundreds of codes).
MAX_NEW_CODES = 5
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BIGINT_MAX = 2**63 - 1


def feed_number_too_large(name: str, value) -> str:
    """The reason a feed number above its bound (FEED_NUMBER_BOUNDS) is refused; says the bound."""
    bound = FEED_NUMBER_BOUNDS[name]
    shown = str(value)
    if len(shown) > 40:
        shown = shown[:40] + "…"
    if name == "minutes":
        return _(
            "%(value)s is too large: at most %(max)d (1440 minutes a day × %(people)d people)"
        ) % {"value": shown, "max": bound, "people": FEED_MAX_PEOPLE}
    if name == "active_users":
        return _("%(value)s is too large: at most %(max)d people") % {
            "value": shown,
            "max": bound,
        }
    return _("%(value)s is too large: at most %(max)d a day") % {"value": shown, "max": bound}


def retention_horizon() -> dt.date:
    """The oldest feed date accepted: today (Asia/Shanghai) minus FEED_RETENTION_DAYS."""
    return business_today() - dt.timedelta(days=settings.FEED_RETENTION_DAYS)


@dataclass(frozen=True)
class _Feed:
    """What differs between the two feeds."""

    model: type
    catalog: type
    catalog_field: str  # CSV/JSON column naming the catalog code
    value_fields: tuple[str, ...]  # the integer columns, in order
    columns: tuple[str, ...]  # all CSV columns, in order
    register_defaults: dict = field(default_factory=dict)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def catalog_column(self) -> str:
        return f"{self.catalog_field}_id"

    @property
    def stage_table(self) -> str:
        return f"metrics_stage_{self.catalog_field}_usage"

    @property
    def stage_columns(self) -> tuple[str, ...]:
        return ("seq", "account_id", "day", self.catalog_column, *self.value_fields)

    @property
    def key_columns(self) -> tuple[str, ...]:
        return ("account_id", "day", self.catalog_column)


APP_FEED = _Feed(
    model=AppUsage,
    catalog=App,
    catalog_field="app",
    value_fields=("minutes", "active_users"),
    columns=APP_USAGE_COLUMNS,
    register_defaults={"category": AppCategory.OTHER},
)
CONNECTOR_FEED = _Feed(
    model=ConnectorUsage,
    catalog=Connector,
    catalog_field="connector",
    value_fields=("records",),
    columns=CONNECTOR_USAGE_COLUMNS,
    register_defaults={"system_kind": SystemKind.OTHER},
)


def import_app_usage(*, rows: Iterable[tuple[int, dict]], skip_invalid: bool) -> ImportReport:
    """Load app-usage rows `(position, {account, date, app, minutes, active_users})`; see the module doc."""
    return _import_feed(APP_FEED, rows=rows, skip_invalid=skip_invalid)


def import_connector_usage(*, rows: Iterable[tuple[int, dict]], skip_invalid: bool) -> ImportReport:
    """Load connector-usage rows `(position, {account, date, connector, records})`; see the module doc."""
    return _import_feed(CONNECTOR_FEED, rows=rows, skip_invalid=skip_invalid)


def import_app_usage_csv(
    *, path: Path | str, skip_invalid: bool, wrap=None, wrap_chunks=None
) -> ImportReport:
    """Load an app-usage CSV file (what `import_usage` runs): `import_app_usage` on a fast reader.

    Same checks, messages and editor line numbers as reading the file with
    core.csv_import.read_csv_rows. Progress bars: `wrap` may wrap the row iterator (rows read
    in Python), `wrap_chunks` the iterator of the file's byte chunks sent to PostgreSQL's COPY.
    """
    return _import_feed_csv(
        APP_FEED, path=path, skip_invalid=skip_invalid, wrap=wrap, wrap_chunks=wrap_chunks
    )


def import_connector_usage_csv(
    *, path: Path | str, skip_invalid: bool, wrap=None, wrap_chunks=None
) -> ImportReport:
    """Load a connector-usage CSV file (what `import_connector_usage` runs); see import_app_usage_csv."""
    return _import_feed_csv(
        CONNECTOR_FEED, path=path, skip_invalid=skip_invalid, wrap=wrap, wrap_chunks=wrap_chunks
    )


# --- Validation ---------------------------------------------------------------------------------


class _RowParser:
    """Validates one feed row against the accounts, catalog and calendar; returns the staged tuple.

    Unknown catalog codes get a negative placeholder id (the staging stream
    cannot be interrupted to insert them); they are registered after it.
    """

    def __init__(self, feed: _Feed, *, only_rows: list | None = None):
        self.feed = feed
        accounts = Account.objects.all()
        if only_rows is not None:
            # A request's list: look up just the accounts it names, not all of them.
            named = {
                str(row.get("account")).strip() for _, row in only_rows if isinstance(row, dict)
            }
            accounts = accounts.filter(external_id__in=named)
        self.accounts: dict[str, int] = dict(accounts.values_list("external_id", "id"))
        self.catalog: dict[str, int] = dict(feed.catalog.objects.values_list("code", "id"))
        self.new_codes: dict[str, int] = {}
        self.registered_elsewhere = 0  # new codes the COPY path registered itself
        self.today = business_today()
        self.horizon = retention_horizon()
        # Digit strings shorter than their bound's cannot exceed it (the fast path's test).
        self.short_digits = {
            name: len(str(FEED_NUMBER_BOUNDS[name])) - 1 for name in feed.value_fields
        }
        self.dates: dict[str, dt.date] = {}

    @staticmethod
    def _text(row: dict, name: str) -> str:
        value = row.get(name)
        if value is None:
            raise RowRejected(name, _("missing column"))
        if not isinstance(value, str):
            value = str(value)
        value = value.strip()
        if value == "":
            raise RowRejected(name, _("required, but empty"))
        return value

    def _day(self, row: dict) -> dt.date:
        text = self._text(row, "date")
        day = self.dates.get(text)
        if day is not None:
            return day
        if not _DATE_RE.match(text):
            raise RowRejected("date", _("%(value)r is not a date (YYYY-MM-DD)") % {"value": text})
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise RowRejected(
                "date", _("%(value)r is not a valid date") % {"value": text}
            ) from None
        if day > self.today:
            raise RowRejected(
                "date",
                _("%(value)s is in the future (today is %(today)s in Asia/Shanghai)")
                % {"value": text, "today": self.today.isoformat()},
            )
        if day < self.horizon:
            raise RowRejected(
                "date",
                _(
                    "%(value)s is older than the feed keeps: the oldest date accepted is "
                    "%(horizon)s (FEED_RETENTION_DAYS = %(days)d)"
                )
                % {
                    "value": text,
                    "horizon": self.horizon.isoformat(),
                    "days": settings.FEED_RETENTION_DAYS,
                },
            )
        self.dates[text] = day
        return day

    @staticmethod
    def _count(row: dict, name: str) -> int:
        """A feed number: a whole number from 0 to its FEED_NUMBER_BOUNDS bound."""
        value = row.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            if value is None:
                raise RowRejected(name, _("missing column"))
            text = value.strip() if isinstance(value, str) else repr(value)
            if text == "":
                raise RowRejected(name, _("required, but empty"))
            if text.isascii() and text.isdigit():
                if len(text) > 30:  # int() of thousands of digits is refused by Python itself
                    raise RowRejected(name, feed_number_too_large(name, text))
                number = int(text)
            elif text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
                raise RowRejected(
                    name, _("%(value)s is negative; must be 0 or more") % {"value": text}
                )
            else:
                raise RowRejected(name, _("%(value)s is not a whole number") % {"value": text})
        if number < 0:
            raise RowRejected(
                name, _("%(value)s is negative; must be 0 or more") % {"value": number}
            )
        if number > FEED_NUMBER_BOUNDS[name]:
            raise RowRejected(name, feed_number_too_large(name, number))
        return number

    def _catalog_id(self, row: dict) -> int:
        name = self.feed.catalog_field
        text = self._text(row, name)
        found = self.catalog.get(text)
        if found is not None:
            return found
        code = text.lower()
        found = self.catalog.get(code)
        if found is None:
            found = self.new_codes.get(code)
        if found is not None:
            return found
        check_new_code(name, code, registered=len(self.new_codes) + self.registered_elsewhere)
        placeholder = -(len(self.new_codes) + 1)
        self.new_codes[code] = placeholder
        return placeholder

    def use_header(self, header: list[str]) -> None:
        """Column positions of a CSV file's header, for `parse_values`."""
        self.header = header
        self.width = len(header)
        feed = self.feed
        self.at_account = header.index("account")
        self.at_date = header.index("date")
        self.at_code = header.index(feed.catalog_field)
        self.at_values = tuple(header.index(name) for name in feed.value_fields)

    def csv_dict(self, values: list[str]) -> dict:
        """The row as core.csv_import.read_csv_rows gives it: stripped, None when missing, extras kept."""
        row: dict = {
            name: (values[i].strip() if i < len(values) else None)
            for i, name in enumerate(self.header)
        }
        if len(values) > self.width:
            row["__extra__"] = ",".join(values[self.width :])
        return row

    def parse_values(self, values: list[str]) -> tuple:
        """Fast path for a CSV row whose values are all already known (the usual case).

        Dictionary lookups only, numbers passed through as digit strings; any
        other row goes through `parse` on its dict, which names what is wrong.
        """
        if len(values) == self.width:
            account_id = self.accounts.get(values[self.at_account])
            day = self.dates.get(values[self.at_date])
            code = values[self.at_code]
            catalog_id = self.catalog.get(code)
            if catalog_id is None:
                catalog_id = self.new_codes.get(code)
            if account_id is not None and day is not None and catalog_id is not None:
                numbers = [values[i] for i in self.at_values]
                for number, longest in zip(numbers, self.short_digits.values(), strict=True):
                    if not (number.isdigit() and number.isascii() and len(number) <= longest):
                        break
                else:
                    return (account_id, day, catalog_id, *numbers)
        return self.parse(self.csv_dict(values))

    def parse(self, row: dict) -> tuple:
        if not isinstance(row, dict):
            raise RowRejected("row", _("expected an object with the feed's fields"))
        if "__extra__" in row:
            raise RowRejected(
                "line",
                _("more values than the header has columns: %(extra)r")
                % {"extra": row["__extra__"]},
            )
        external_id = self._text(row, "account")
        account_id = self.accounts.get(external_id)
        if account_id is None:
            raise RowRejected("account", _("unknown account %(value)r") % {"value": external_id})
        day = self._day(row)
        catalog_id = self._catalog_id(row)
        values = tuple(self._count(row, name) for name in self.feed.value_fields)
        return (account_id, day, catalog_id, *values)


def check_new_code(field_name: str, code: str, *, registered: int) -> None:
    """Refuse (RowRejected) an unknown, lower-cased catalog code a feed may not register.

    `registered`: unknown codes this request or file registers already (at most MAX_NEW_CODES).
    """
    if len(code) > CODE_MAX_LENGTH or not _CODE_RE.match(code):
        raise RowRejected(
            field_name,
            _(
                "%(value)r is not a valid code (lower-case letters, digits and '_', "
                "at most %(max)d characters)"
            )
            % {"value": code[:80], "max": CODE_MAX_LENGTH},
        )
    if registered >= MAX_NEW_CODES:
        raise RowRejected(
            field_name,
            _(
                "unknown code %(value)r: one request or file may register at most %(max)d new "
                "codes; ask an administrator to add it to the catalogue"
            )
            % {"value": code, "max": MAX_NEW_CODES},
        )


# --- Staging ------------------------------------------------------------------------------------


class _Stage:
    """A temporary table the valid rows stream into; PostgreSQL through COPY, SQLite in batches."""

    def __init__(self, feed: _Feed, cursor):
        self.feed = feed
        self.cursor = cursor
        self.postgres = connection.vendor == "postgresql"
        self.rows = 0
        # What the upsert reads: the staging table, or (the COPY path) a query over the raw rows.
        self.source = feed.stage_table

    def create(self) -> None:
        feed = self.feed
        self.cursor.execute(f"DROP TABLE IF EXISTS {feed.stage_table}")
        values = ", ".join(f"{name} BIGINT" for name in feed.value_fields)
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE {feed.stage_table} "
            f"(seq BIGINT, account_id BIGINT, day DATE, {feed.catalog_column} BIGINT, {values})"
        )

    def drop(self) -> None:
        self.cursor.execute(f"DROP TABLE IF EXISTS {self.feed.stage_table}")

    @contextmanager
    def writer(self) -> Iterator:
        columns = ", ".join(self.feed.stage_columns)
        if self.postgres:
            # psycopg 3: rows stream to the server while Python parses the next ones.
            with self.cursor.copy(f"COPY {self.feed.stage_table} ({columns}) FROM STDIN") as copy:

                def write(row: tuple) -> None:
                    self.rows += 1
                    copy.write_row((self.rows, *row))

                yield write
            return
        batch: list[tuple] = []
        marks = ", ".join(["%s"] * len(self.feed.stage_columns))
        sql = f"INSERT INTO {self.feed.stage_table} ({columns}) VALUES ({marks})"  # noqa: S608

        def write(row: tuple) -> None:
            self.rows += 1
            batch.append((self.rows, row[0], row[1].isoformat(), *row[2:]))
            if len(batch) >= _SQLITE_BATCH:
                self.cursor.executemany(sql, batch)
                batch.clear()

        yield write
        if batch:
            self.cursor.executemany(sql, batch)

    def resolve_new_codes(self, new_codes: dict[str, int], report: ImportReport) -> None:
        """Register unknown catalog codes (category/kind `other`) and point their staged rows at them."""
        if not new_codes:
            return
        feed = self.feed
        for code, placeholder in new_codes.items():
            catalog_id = _register_code(feed, code, report)
            self.cursor.execute(
                f"UPDATE {feed.stage_table} SET {feed.catalog_column} = %s "  # noqa: S608
                f"WHERE {feed.catalog_column} = %s",
                [catalog_id, placeholder],
            )

    def upsert(self) -> tuple[int, int]:
        """Write the staged rows into the feed table (a later row of the same key wins); (loaded, created)."""
        if self.postgres:
            return self._upsert_postgres()
        return self._upsert_sqlite()

    def _upsert_sql(self, source: str) -> str:
        feed = self.feed
        columns = ", ".join((*feed.key_columns, *feed.value_fields))
        keys = ", ".join(feed.key_columns)
        updates = ", ".join(f"{v} = excluded.{v}" for v in feed.value_fields)
        changed = ", ".join(f"t.{v}" for v in feed.value_fields)
        incoming = ", ".join(f"excluded.{v}" for v in feed.value_fields)
        # Re-sending identical values rewrites nothing (no new row versions to vacuum).
        return (
            f"INSERT INTO {feed.table} AS t ({columns}) SELECT {columns} FROM {source} WHERE 1 = 1 "  # noqa: S608
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates} "
            f"WHERE ({changed}) IS DISTINCT FROM ({incoming})"
        )

    def _upsert_postgres(self) -> tuple[int, int]:
        """One INSERT … ON CONFLICT; `xmax = 0` on a returned row means it was inserted, not updated.

        The fast path assumes every key occurs once in the input; PostgreSQL
        refuses a statement that touches the same row twice (SQLSTATE 21000),
        and only then do we pay for the sort that keeps the last row of each key.
        """
        feed = self.feed
        keys = ", ".join(feed.key_columns)
        try:
            with transaction.atomic():
                self.cursor.execute(
                    f"WITH up AS ({self._upsert_sql(self.source)} RETURNING (xmax = 0) AS inserted) "  # noqa: S608
                    "SELECT count(*) FILTER (WHERE inserted) FROM up"
                )
                return self.rows, self.cursor.fetchone()[0]
        except ProgrammingError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != "21000":
                raise
        columns = ", ".join(feed.stage_columns)
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE {feed.stage_table}_last AS "  # noqa: S608
            f"SELECT DISTINCT ON ({keys}) {columns} FROM {self.source} ORDER BY {keys}, seq DESC"
        )
        try:
            self.cursor.execute(f"SELECT count(*) FROM {feed.stage_table}_last")  # noqa: S608
            loaded = self.cursor.fetchone()[0]
            self.cursor.execute(
                f"WITH up AS ({self._upsert_sql(feed.stage_table + '_last')} RETURNING (xmax = 0) AS inserted) "  # noqa: S608
                "SELECT count(*) FILTER (WHERE inserted) FROM up"
            )
            return loaded, self.cursor.fetchone()[0]
        finally:
            self.cursor.execute(f"DROP TABLE IF EXISTS {feed.stage_table}_last")

    def _upsert_sqlite(self) -> tuple[int, int]:
        feed = self.feed
        keys = ", ".join(feed.key_columns)
        stage = feed.stage_table
        match = " AND ".join(f"t.{k} = s.{k}" for k in feed.key_columns)
        self.cursor.execute(
            f"DELETE FROM {stage} WHERE seq NOT IN (SELECT MAX(seq) FROM {stage} GROUP BY {keys})"  # noqa: S608
        )
        self.cursor.execute(
            f"SELECT COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM {feed.table} t WHERE {match}) "  # noqa: S608
            f"THEN 0 ELSE 1 END) FROM {stage} s"
        )
        loaded, created = self.cursor.fetchone()
        self.cursor.execute(self._upsert_sql(stage))
        return loaded or 0, created or 0


def _register_code(feed: _Feed, code: str, report: ImportReport) -> int:
    """The catalog id of `code`, registering it (category/kind `other`) when unknown."""
    found = feed.catalog.objects.filter(code=code).values_list("id", flat=True).first()
    if found is not None:
        return found
    report.registered.append(code)
    return feed.catalog.objects.create(
        code=code, name=code, registered_by_feed=True, confirmed=False, **feed.register_defaults
    ).pk


# --- Reading a feed file ------------------------------------------------------------------------


class _CsvFeedFile:
    """A feed CSV read as (editor line, list of values), with core.csv_import.read_csv_rows' checks.

    Lists instead of dicts: building a dict per row costs more than the whole
    rest of the fast path on a million rows. Same file errors, header check,
    blank-line skipping and line numbers as read_csv_rows.
    """

    def __init__(self, path: Path | str, *, columns: Iterable[str]):
        self.path = Path(path)
        if not self.path.exists():
            raise ImportFileError(_("%(path)s: no such file") % {"path": self.path})
        self.handle = self.path.open(newline="", encoding="utf-8-sig")
        self.reader = csv.reader(self.handle)
        try:
            self.header = [h.strip() for h in next(self.reader)]
        except StopIteration:
            self.handle.close()
            raise ImportFileError(
                _("%(path)s: the file is empty; expected a header row") % {"path": self.path}
            ) from None
        except UnicodeDecodeError:
            self.handle.close()
            raise ImportFileError(_("%(path)s: not UTF-8 text") % {"path": self.path}) from None
        columns = list(columns)
        missing = [c for c in columns if c not in self.header]
        if missing:
            self.handle.close()
            raise ImportFileError(
                _("line 1: header lacks column(s) %(missing)s; expected %(expected)s")
                % {"missing": ", ".join(missing), "expected": ",".join(columns)}
            )

    def plain(self) -> bool:
        """No quoted values and distinct header names: a data row is exactly one line of the file.

        Only then does PostgreSQL's COPY see the same rows, in the same order,
        with the same line numbers (header + record index) as the csv module.
        """
        if len(set(self.header)) != len(self.header):
            return False
        with self.path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                if b'"' in chunk:
                    return False
        return True

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        reader = self.reader
        line = 1
        try:
            for values in reader:
                line = reader.line_num
                if not values or (not values[0].strip() and all(not v.strip() for v in values)):
                    continue  # a blank line (same rule as read_csv_rows), cheap test first
                yield line, values
        except UnicodeDecodeError:
            raise ImportFileError(_("line %(line)d: not UTF-8 text") % {"line": line + 1}) from None
        except csv.Error as exc:
            raise ImportFileError(
                _("line %(line)d: %(error)s") % {"line": reader.line_num, "error": exc}
            ) from None
        finally:
            self.handle.close()


# --- The import ---------------------------------------------------------------------------------


def psycopg_errors() -> type[Exception]:
    """psycopg's base error: `cursor.copy` is psycopg's own, not wrapped by Django."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return DatabaseError
    return psycopg.Error


class _NothingLoaded(Exception):
    """Raised inside the import transaction to roll it back when a row was rejected."""


def _import_feed_csv(
    feed: _Feed, *, path: Path | str, skip_invalid: bool, wrap=None, wrap_chunks=None
) -> ImportReport:
    source = _CsvFeedFile(path, columns=feed.columns)  # ImportFileError before any work
    if connection.vendor == "postgresql" and source.plain():
        try:
            return _import_feed_copy(
                feed, source=source, skip_invalid=skip_invalid, wrap_chunks=wrap_chunks
            )
        except _CopyFallback:
            source = _CsvFeedFile(path, columns=feed.columns)
    rows = source.rows()
    if wrap is not None:
        rows = wrap(rows)
    return _import_feed(feed, rows=rows, skip_invalid=skip_invalid, csv_header=source.header)


def _import_feed(
    feed: _Feed,
    *,
    rows: Iterable[tuple[int, dict]] | Iterable[tuple[int, list[str]]],
    skip_invalid: bool,
    csv_header: list[str] | None = None,
) -> ImportReport:
    """The ingest: rows are (position, dict), or (line, CSV values) when `csv_header` is given."""
    started = time.monotonic()
    report = ImportReport()
    small = isinstance(rows, list) and len(rows) <= 50_000
    parser = _RowParser(feed, only_rows=rows if small else None)
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
            stage = _Stage(feed, cursor)
            stage.create()
            with stage.writer() as write:
                for position, row in rows:
                    report.read += 1
                    try:
                        parsed = parse(row)
                    except RowRejected as exc:
                        values = as_dict(row)
                        raw = tuple(
                            "" if values.get(c) is None else values.get(c) for c in feed.columns
                        )
                        report.rejected.append(RowError(position, exc.field, exc.reason, raw))
                        continue
                    if report.rejected and not skip_invalid:
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
            if report.rejected and not skip_invalid:
                raise _NothingLoaded
            if stage.rows:
                stage.resolve_new_codes(parser.new_codes, report)
                report.loaded, report.created = stage.upsert()
                report.updated = report.loaded - report.created
                schedule_recompute(
                    start=first_day,
                    end=_affected_until(last_day),
                    account_ids=sorted(touched) if touched is not None else None,
                    reason=PendingRecompute.Reason.INGEST,
                )
            stage.drop()
    except _NothingLoaded:
        report.registered = []
    report.seconds = time.monotonic() - started
    return report


class _CopyFallback(Exception):
    """COPY refused the file (a blank line, a short row, bad UTF-8…): read it with the csv module."""


def _digits_sql(column: str) -> str:
    """TRUE when the value is 1-18 ASCII digits and nothing else, never NULL: then the cast cannot fail.

    Exactly the values the Python parser reads the same way without stripping
    them; anything else (spaces, signs, other digits) is re-read by the parser.
    ltrim() of the digits rather than a regular expression: a third of the cost
    on a million rows."""
    return (
        f"COALESCE(length({column}) BETWEEN 1 AND 18 AND ltrim({column}, '0123456789') = '', FALSE)"
    )


def _within_sql(column: str, name: str) -> str:
    """TRUE when the value is plain digits (`_digits_sql`) and at most its FEED_NUMBER_BOUNDS bound."""
    return (
        f"(CASE WHEN {_digits_sql(column)} THEN CAST({column} AS BIGINT) <= "
        f"{int(FEED_NUMBER_BOUNDS[name])} ELSE FALSE END)"
    )


def _bounded_cast_sql(column: str, name: str) -> str:
    """`_cast_or_fail_sql`, and NULL above the bound (one cast: LEAST caps it, NULLIF blanks the cap)."""
    over = int(FEED_NUMBER_BOUNDS[name]) + 1
    return f"NULLIF(LEAST({_cast_or_fail_sql(column)}, {over}), {over})"


def _cast_or_fail_sql(column: str) -> str:
    """The value as a BIGINT, or NULL / a cast error for anything the Python parser might read otherwise.

    For the all-valid attempt, where a NULL (refused by NOT NULL) or an error
    just sends the file down the checked path. Before PostgreSQL 16 the bigint
    input reads exactly: spaces, an optional sign, digits, spaces; a first
    character that is a digit rules out a sign and leading spaces, and trailing
    spaces are what the parser strips too. So the cast itself does the check,
    at a fraction of the cost of `_digits_sql`. PostgreSQL 16 also reads '1_000'
    and '0x1F': there, `_digits_sql` guards the cast.
    """
    if connection.pg_version < 160000:
        return f"CASE WHEN ascii({column}) BETWEEN 48 AND 57 THEN CAST({column} AS BIGINT) END"
    return f"CASE WHEN {_digits_sql(column)} THEN CAST({column} AS BIGINT) END"


@dataclass
class _RawFile:
    """The SQL over a feed file COPYed as text into `table`: column c<i> is the header's i-th column."""

    feed: _Feed
    parser: _RowParser

    def __post_init__(self) -> None:
        parser = self.parser
        self.table = f"metrics_raw_{self.feed.catalog_field}_usage"
        self.days = f"{self.table}_days"  # raw date text -> date, for the texts the parser accepts
        self.codes = f"{self.table}_codes"  # raw code text -> catalog id, likewise
        self.rescued = f"{self.table}_rescued"  # rows the SQL refused and the parser accepted
        self.columns = [f"c{i}" for i in range(parser.width)]
        self.account = f"c{parser.at_account}"
        self.date = f"c{parser.at_date}"
        self.code = f"c{parser.at_code}"
        self.numbers = [f"c{i}" for i in parser.at_values]

    def joins(self, kind: str) -> str:
        """The raw rows `r` with their account `a`, day `d` and catalog entry `k`, matched on the exact text."""
        account = Account._meta.db_table
        return (
            f"FROM {self.table} r "
            f"{kind} JOIN {account} a ON a.external_id = r.{self.account} "
            f"{kind} JOIN {self.days} d ON d.t = r.{self.date} "
            f"{kind} JOIN {self.codes} k ON k.t = r.{self.code}"
        )

    def numbers_valid(self) -> str:
        return " AND ".join(
            _within_sql(f"r.{n}", name)
            for n, name in zip(self.numbers, self.feed.value_fields, strict=True)
        )

    def valid_rows(self, *, rescued: bool) -> str:
        """The rows to load as a subquery with the staging columns (seq, account_id, day, <catalog>_id, values)."""
        feed = self.feed
        values = ", ".join(
            f"CAST(r.{n} AS BIGINT) AS {name}"
            for n, name in zip(self.numbers, feed.value_fields, strict=True)
        )
        sql = (
            f"SELECT r.seq, a.id AS account_id, d.day, k.id AS {feed.catalog_column}, {values} "
            f"{self.joins('')} WHERE {self.numbers_valid()}"
        )
        if rescued:
            sql += f" UNION ALL SELECT {', '.join(feed.stage_columns)} FROM {self.rescued}"  # noqa: S608
        return f"({sql}) AS src"

    def invalid_rows(self) -> str:
        """Every raw row `valid_rows` leaves out (line number, then its values), in file order."""
        values = ", ".join(f"r.{c}" for c in self.columns)
        return (
            f"SELECT r.seq, {values} {self.joins('LEFT')} "  # noqa: S608
            f"WHERE a.id IS NULL OR d.day IS NULL OR k.id IS NULL OR NOT ({self.numbers_valid()}) "
            "ORDER BY r.seq"
        )

    def insert_all(self) -> str:
        """Every raw row into the feed table as it is, or an error.

        For a first load of the file's days (no row of them in the table yet):
        a plain INSERT costs some 40% less than INSERT … ON CONFLICT. A row that
        does not check out gets a NULL (outer joins, `_cast_or_fail_sql`) or a
        cast error; a key twice (in the file, or from an import running at the
        same time) a unique violation. Either fails the whole statement.
        """
        feed = self.feed
        columns = ", ".join((*feed.key_columns, *feed.value_fields))
        values = ", ".join(
            _bounded_cast_sql(f"r.{n}", name)
            for n, name in zip(self.numbers, feed.value_fields, strict=True)
        )
        # The same statement shape as _Stage's upsert ("WITH up AS (INSERT INTO <feed table>"):
        # what watches the database for the import's write finds either. No RETURNING: it costs.
        return (
            f"WITH up AS (INSERT INTO {feed.table} ({columns}) "  # noqa: S608
            f"SELECT a.id, d.day, k.id, {values} {self.joins('LEFT')}) SELECT 1"
        )


def _import_feed_copy(
    feed: _Feed, *, source: _CsvFeedFile, skip_invalid: bool, wrap_chunks=None
) -> ImportReport:
    """PostgreSQL, a plain CSV file: the file's bytes go straight into COPY; validation is set-based.

    The raw rows land in a text table numbered in file order (line = number + 1).
    The few distinct dates and codes are checked in Python by the same parser
    as every other path, which maps each raw text it accepts to its value.

    When the table holds no row of the file's days (a first load, the usual
    case), every row goes in with one plain INSERT that fails on any row that
    does not check out - an unknown account, a date or code the parser refused,
    a number that is not plain digits, a key seen twice: one pass, no other
    check. If it fails, its savepoint is rolled back and the checked path runs.

    The checked path: the rows an exact-text join and a digits test refuse are
    re-read by the Python parser, which gives the exact message (or accepts the
    row: the parser, not the SQL, has the last word); the valid rows go into
    the feed with one upsert straight from the raw table (nothing materialised
    again), plus the rows the parser accepted.
    """
    started = time.monotonic()
    report = ImportReport()
    parser = _RowParser(feed, only_rows=[])  # accounts are looked up in SQL, and for bad rows
    parser.use_header(source.header)
    source.handle.close()
    raw = _RawFile(feed, parser)
    skipped = [0]  # blank rows, not counted as read
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for table in (raw.table, raw.days, raw.codes, raw.rescued):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            # seq: the row's number in the file (line = seq + 1). A sequence that hands out its
            # numbers from the backend's cache: a third of what a bigserial adds to the COPY.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {raw.table} "
                "(seq bigint GENERATED BY DEFAULT AS IDENTITY (CACHE 1000000), "
                f"{', '.join(c + ' text' for c in raw.columns)})"
            )
            try:
                with (
                    transaction.atomic(),
                    cursor.copy(
                        f"COPY {raw.table} ({', '.join(raw.columns)}) FROM STDIN WITH (FORMAT csv)"
                    ) as copy,
                    source.path.open("rb") as handle,
                ):
                    handle.readline()  # the header, already checked
                    chunks = iter(lambda: handle.read(1 << 20), b"")
                    for chunk in wrap_chunks(chunks) if wrap_chunks else chunks:
                        copy.write(chunk)
                total = cursor.rowcount
            except (DatabaseError, psycopg_errors()) as exc:
                raise _CopyFallback from exc
            report.read = total
            # Every statement below reads all the raw rows against a small table or two:
            # hash joins. The raw table has no statistics (ANALYZE costs a tenth of the
            # floor), and a misestimate must not turn into a million index lookups.
            cursor.execute("SHOW enable_nestloop")
            nestloop = cursor.fetchone()[0]
            cursor.execute("SET LOCAL enable_nestloop = off")
            days = _check_dates_and_codes(raw, cursor, report)
            if total and days and _insert_all(raw, cursor, days):
                report.loaded = report.created = total
                # Every row was loaded: its account known, its date one of `days`.
                accounts = (
                    f"SELECT DISTINCT a.id FROM {raw.table} r "  # noqa: S608
                    f"JOIN {Account._meta.db_table} a ON a.external_id = r.{raw.account}"
                )
                _schedule_ingest(cursor, total=total, days=days.values(), accounts_sql=accounts)
            else:
                _load_checked(raw, cursor, total, days, report, skipped, skip_invalid)
            for table in (raw.table, raw.days, raw.codes, raw.rescued):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            # As it was, for the rest of a caller's transaction (a rollback restores it too).
            cursor.execute("SELECT set_config('enable_nestloop', %s, true)", [nestloop])
    except _NothingLoaded:
        report.registered = []
        report.read -= skipped[0]
    report.seconds = time.monotonic() - started
    return report


def _check_dates_and_codes(raw: _RawFile, cursor, report: ImportReport) -> dict[str, dt.date]:
    """Check the file's distinct dates and codes with the parser; fill raw.days and raw.codes.

    Unknown codes that are valid get registered (category/kind `other`), as
    the other paths do. Returns {raw date text: date} of the accepted dates.
    """
    parser, feed = raw.parser, raw.feed
    # One pass for both: the distinct dates, then the distinct codes.
    cursor.execute(
        f"SELECT GROUPING({raw.date}), {raw.date}, {raw.code} FROM {raw.table} "  # noqa: S608
        f"GROUP BY GROUPING SETS (({raw.date}), ({raw.code}))"
    )
    days: dict[str, dt.date] = {}
    codes: dict[str, int] = {}
    found_texts = sorted(cursor.fetchall(), key=lambda r: (r[0], r[1] or "", r[2] or ""))
    for is_code, date_text, code_text in found_texts:  # sorted: the same new codes every time
        if not is_code:
            if date_text is not None:
                with suppress(RowRejected):
                    days[date_text] = parser._day({"date": date_text})
            continue
        text = (code_text or "").strip()  # as the parser reads it
        if not text:
            continue
        name = text.lower()
        found = parser.catalog.get(text, parser.catalog.get(name))
        if found is None:
            try:
                check_new_code(feed.catalog_field, name, registered=parser.registered_elsewhere)
            except RowRejected:
                continue  # its rows are refused by the parser, which names the reason
            found = parser.catalog[name] = _register_code(feed, name, report)
            parser.registered_elsewhere += 1
        codes[code_text] = found
    cursor.execute(f"CREATE TEMPORARY TABLE {raw.days} (t text PRIMARY KEY, day date)")
    if days:
        cursor.executemany(f"INSERT INTO {raw.days} VALUES (%s, %s)", list(days.items()))  # noqa: S608
    cursor.execute(f"CREATE TEMPORARY TABLE {raw.codes} (t text PRIMARY KEY, id bigint)")
    if codes:
        cursor.executemany(f"INSERT INTO {raw.codes} VALUES (%s, %s)", list(codes.items()))  # noqa: S608
    return days


def _insert_all(raw: _RawFile, cursor, days: dict[str, dt.date]) -> bool:
    """The all-valid attempt (see _import_feed_copy): True when every raw row was inserted."""
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {raw.feed.table} WHERE day = ANY(%s))",  # noqa: S608
        [sorted(set(days.values()))],
    )
    if cursor.fetchone()[0]:
        return False  # a re-load: the upsert of the checked path
    try:
        with transaction.atomic():
            cursor.execute(raw.insert_all())
    except (IntegrityError, DataError):
        return False
    return True


def _load_checked(
    raw: _RawFile,
    cursor,
    total: int,
    days: dict[str, dt.date],
    report: ImportReport,
    skipped: list[int],
    skip_invalid: bool,
) -> None:
    """The checked path of _import_feed_copy: name the bad rows, then upsert the valid ones."""
    feed, parser = raw.feed, raw.parser
    rescued: list[tuple] = []
    bad_cursor = connection.chunked_cursor()  # server-side: a file of bad rows stays out of memory
    try:
        bad_cursor.execute(raw.invalid_rows())
        while batch := bad_cursor.fetchmany(2000):
            _reparse_bad_rows(feed, parser, batch, report, rescued, skipped)
    finally:
        bad_cursor.close()
    if report.rejected and not skip_invalid:
        raise _NothingLoaded
    report.read -= skipped[0]
    if rescued:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {raw.rescued} (seq bigint, account_id bigint, day date, "
            f"{feed.catalog_column} bigint, {', '.join(v + ' bigint' for v in feed.value_fields)})"
        )
        with cursor.copy(
            f"COPY {raw.rescued} ({', '.join(feed.stage_columns)}) FROM STDIN"
        ) as copy:
            for row in rescued:
                copy.write_row(row)
    stage = _Stage(feed, cursor)
    stage.source = raw.valid_rows(rescued=bool(rescued))
    stage.rows = total - len(report.rejected) - skipped[0]
    if stage.rows:
        report.loaded, report.created = stage.upsert()
        report.updated = report.loaded - report.created
        used = [*days.values(), *(row[2] for row in rescued)]
        if report.rejected:  # a date seen only on rejected rows is not loaded
            cursor.execute(f"SELECT DISTINCT day FROM {stage.source}")  # noqa: S608
            used = [row[0] for row in cursor.fetchall()]
        accounts = f"SELECT DISTINCT account_id FROM {stage.source}"  # noqa: S608
        _schedule_ingest(cursor, total=total, days=used, accounts_sql=accounts)


def _schedule_ingest(cursor, *, total: int, days: Iterable[dt.date], accounts_sql: str) -> None:
    """Record the recompute a load makes necessary: its days' windows; its accounts (`accounts_sql`) when few."""
    account_ids = None
    if total <= MAX_LISTED_ACCOUNTS:
        cursor.execute(accounts_sql)
        account_ids = sorted(r[0] for r in cursor.fetchall())
    used = sorted(set(days))
    schedule_recompute(
        start=used[0],
        end=_affected_until(used[-1]),
        account_ids=account_ids,
        reason=PendingRecompute.Reason.INGEST,
    )


def _reparse_bad_rows(
    feed, parser: _RowParser, batch, report: ImportReport, rescued: list, skipped: list[int]
) -> None:
    """Name what is wrong with rows the SQL check refused, exactly as the Python path would.

    Rows the parser accepts after all go to `rescued` as (seq, *parsed row).
    """
    names = {
        (values[1 + parser.at_account] or "").strip() for values in batch
    } - parser.accounts.keys()
    if names:
        parser.accounts.update(
            Account.objects.filter(external_id__in=names).values_list("external_id", "id")
        )
    for seq, *values in batch:
        texts = ["" if v is None else v for v in values]
        if all(not t.strip() for t in texts):
            skipped[0] += 1  # a blank row: read_csv_rows skips it too
            continue
        row = parser.csv_dict(texts)
        try:
            parsed = parser.parse(row)
        except RowRejected as exc:
            raw = tuple(row.get(c) or "" for c in feed.columns)
            report.rejected.append(RowError(seq + 1, exc.field, exc.reason, raw))
            continue
        if parsed[2] < 0:  # a new code the SQL pass did not register (odd whitespace)
            code = next(c for c, p in parser.new_codes.items() if p == parsed[2])
            catalog_id = _register_code(feed, code, report)
            parser.catalog[code] = catalog_id
            parsed = (parsed[0], parsed[1], catalog_id, *parsed[3:])
        rescued.append((seq, *parsed))


def _affected_until(last_day: dt.date) -> dt.date:
    """Last day whose window contains `last_day`, not past yesterday (or `last_day` if later)."""
    policy = MetricPolicy.objects.current()
    yesterday = last_complete_day()
    return min(last_day + dt.timedelta(days=policy.window_days - 1), max(yesterday, last_day))


# --- Scheduling and running recomputes ----------------------------------------------------------


def schedule_recompute(
    *,
    start: dt.date,
    end: dt.date,
    account_ids: list[int] | None = None,
    reason: str = PendingRecompute.Reason.MANUAL,
) -> PendingRecompute:
    """Record a recompute owed (durably, in the caller's transaction) and send the sweep on commit."""
    pending = PendingRecompute.objects.create(
        start=start, end=end, account_ids=account_ids, reason=reason
    )
    transaction.on_commit(_send_sweep, robust=True)
    return pending


def _send_sweep() -> None:
    from .tasks import sweep_pending_recomputes

    sweep_pending_recomputes.delay()


def current_window(policy: MetricPolicy) -> tuple[dt.date, dt.date]:
    """The window of days a policy change recomputes: `window_days` days ending yesterday."""
    yesterday = last_complete_day()
    return yesterday - dt.timedelta(days=policy.window_days - 1), yesterday


def save_policy_version(*, policy: MetricPolicy, user=None) -> MetricPolicy:
    """Store `policy` as a new version (the history is append-only) and recompute the current window."""
    with transaction.atomic():
        policy.pk = None
        policy._state.adding = True
        if user is not None and getattr(user, "is_authenticated", False):
            policy.created_by = user
        policy.save()
        start, end = current_window(policy)
        schedule_recompute(start=start, end=end, reason=PendingRecompute.Reason.POLICY)
    return policy


def split_pending_recomputes(*, chunk_accounts: int = CHUNK_ACCOUNTS) -> int:
    """Replace each pending recompute larger than a chunk by one row per chunk of accounts; rows added.

    "Every account" becomes inclusive account-id ranges of `chunk_accounts`
    accounts each; long explicit lists become shorter lists. Locked rows
    (another sweep is splitting them) are skipped.
    """
    added = 0
    with transaction.atomic():
        candidates = list(
            PendingRecompute.objects.select_for_update(skip_locked=True).filter(
                Q(claimed_until__isnull=True)
                & (
                    Q(account_ids__isnull=True, account_id_from__isnull=True)
                    | Q(account_ids__isnull=False)
                )
            )
        )
        bounds: list[tuple[int, int]] | None = None
        for pending in candidates:
            if pending.account_ids is not None:
                ids = list(pending.account_ids)
                if len(ids) <= chunk_accounts:
                    continue
                parts = [
                    {"account_ids": ids[i : i + chunk_accounts]}
                    for i in range(0, len(ids), chunk_accounts)
                ]
            else:
                if bounds is None:
                    bounds = _account_id_chunks(chunk_accounts)
                if len(bounds) <= 1:
                    continue
                parts = [{"account_id_from": lo, "account_id_to": hi} for lo, hi in bounds]
            PendingRecompute.objects.bulk_create(
                PendingRecompute(
                    start=pending.start, end=pending.end, reason=pending.reason, **part
                )
                for part in parts
            )
            pending.delete()
            added += len(parts)
    return added


def _account_id_chunks(chunk_accounts: int) -> list[tuple[int, int]]:
    ids = list(Account.objects.order_by("id").values_list("id", flat=True))
    if not ids:
        return []
    chunks = []
    for i in range(0, len(ids), chunk_accounts):
        part = ids[i : i + chunk_accounts]
        chunks.append((part[0], part[-1]))
    # The last chunk is open-ended so accounts created meanwhile are not missed.
    chunks[-1] = (chunks[-1][0], _BIGINT_MAX)
    chunks[0] = (0, chunks[0][1])
    return chunks


def pending_to_dispatch() -> list[int]:
    """Ids of pending recomputes nobody holds, nobody was sent recently and not waiting to retry.

    Marks them sent now. A failed row waits for its `next_attempt_at` (backoff).
    """
    now = timezone.now()
    stale = now - RECOMPUTE_LEASE
    with transaction.atomic():
        query = PendingRecompute.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale),
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        )
        ids = list(query.values_list("id", flat=True)[:1000])
        PendingRecompute.objects.filter(id__in=ids).update(dispatched_at=now)
    return ids


def chunk_lock_key(pending: PendingRecompute) -> str:
    accounts = (
        ",".join(str(i) for i in pending.account_ids)
        if pending.account_ids is not None
        else f"{pending.account_id_from}-{pending.account_id_to}"
    )
    return f"metrics:recompute:{pending.start}:{pending.end}:{uuid.uuid5(uuid.NAMESPACE_OID, accounts)}"


class ChunkBusy(Exception):
    """Another worker is recomputing the same chunk right now."""


@contextmanager
def chunk_lock(key: str, *, timeout: int = int(RECOMPUTE_LEASE.total_seconds())):
    """A cache add-lock (atomic in Redis and locmem): one holder per chunk; expires with the lease."""
    token = uuid.uuid4().hex
    if not cache.add(key, token, timeout):
        raise ChunkBusy(key)
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)


def run_pending_recompute(*, pending_id: int) -> int | None:
    """Claim, run and delete one pending recompute; status rows written, or None if it is held or done.

    The claim is a lease on the row (an atomic UPDATE), so two workers never run
    the same pending row; the chunk lock keeps two different rows for the same
    chunk (two ingests of one day) from running at once. A recompute that
    fails (an error of the database or of ours) does not raise: the row keeps
    the error, its claim is released and the sweep tries it again after a
    backoff (`record_recompute_failure`), so one poisoned row never stops the
    others. If even recording the failure fails (the database is gone), that
    error propagates and the task's own retry takes over.
    """
    now = timezone.now()
    claimed = PendingRecompute.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), id=pending_id
    ).update(claimed_until=now + RECOMPUTE_LEASE)
    if not claimed:
        return None
    pending = PendingRecompute.objects.get(id=pending_id)
    PendingRecompute.objects.filter(id=pending_id).update(attempts=pending.attempts + 1)
    try:
        with chunk_lock(chunk_lock_key(pending)):
            id_range = (
                (pending.account_id_from, pending.account_id_to)
                if pending.account_id_from is not None
                else None
            )
            written = compute.recompute(
                start=pending.start,
                end=pending.end,
                account_ids=pending.account_ids,
                account_id_range=id_range,
            )
    except ChunkBusy:
        PendingRecompute.objects.filter(id=pending_id).update(claimed_until=None)
        raise
    except Exception as exc:
        logger.exception("recompute %s (%s) failed", pending_id, pending)
        record_recompute_failure(pending_id=pending_id, attempts=pending.attempts + 1, error=exc)
        return None
    except BaseException:
        PendingRecompute.objects.filter(id=pending_id).update(claimed_until=None)
        raise
    PendingRecompute.objects.filter(id=pending_id).delete()
    return written


def record_recompute_failure(*, pending_id: int, attempts: int, error: BaseException) -> None:
    """Keep a failed recompute's error on its row and schedule the next try (exponential backoff)."""
    now = timezone.now()
    delay = min(RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 16), RETRY_MAX)
    PendingRecompute.objects.filter(id=pending_id).update(
        claimed_until=None,
        dispatched_at=None,
        last_error=f"{type(error).__name__}: {error}"[:4000],
        failed_at=now,
        next_attempt_at=now + delay,
    )


def recompute_failures() -> int:
    """Pending recomputes whose last run failed (the admin index and /readyz show the count)."""
    return PendingRecompute.objects.exclude(last_error="").count()


# --- The catalogue ------------------------------------------------------------------------------


def confirm_codes(*, codes) -> int:
    """Mark catalog entries (a queryset of App or Connector) as reviewed; entries changed."""
    return codes.filter(confirmed=False).update(confirmed=True)


def merge_code(*, source, target) -> int:
    """Merge a stray catalog code into the right one (both App, or both Connector); feed rows moved.

    Inside one transaction: the source's feed rows move to the target; where the
    target already has a row of the same account and day, the values are added
    (capped at FEED_NUMBER_BOUNDS); the source is deleted and the days touched
    are recomputed.
    """
    feed = APP_FEED if isinstance(source, App) else CONNECTOR_FEED
    if type(source) is not type(target) or source.pk == target.pk:
        raise ValueError("merge a code into another code of the same catalog")
    table, code_column = feed.table, feed.catalog_column
    same_key = f"s.account_id = {table}.account_id AND s.day = {table}.day AND s.{code_column} = %s"
    # The sum of the two rows of a key, capped at the column's bound. Names from model meta.
    sums = ", ".join(
        f"{v} = (SELECT CASE WHEN {table}.{v} + s.{v} > {int(FEED_NUMBER_BOUNDS[v])} "  # noqa: S608
        f"THEN {int(FEED_NUMBER_BOUNDS[v])} ELSE {table}.{v} + s.{v} END "
        f"FROM {table} s WHERE {same_key})"
        for v in feed.value_fields
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(day), MAX(day), COUNT(*) FROM {table} WHERE {code_column} = %s",  # noqa: S608
            [source.pk],
        )
        first, last, moved = cursor.fetchone()
        if moved:
            cursor.execute(
                f"UPDATE {table} SET {sums} WHERE {code_column} = %s "  # noqa: S608
                f"AND EXISTS (SELECT 1 FROM {table} s WHERE {same_key})",
                [*([source.pk] * len(feed.value_fields)), target.pk, source.pk],
            )
            cursor.execute(
                f"DELETE FROM {table} WHERE {code_column} = %s "  # noqa: S608
                f"AND EXISTS (SELECT 1 FROM {table} s WHERE {same_key})",
                [source.pk, target.pk],
            )
            cursor.execute(
                f"UPDATE {table} SET {code_column} = %s WHERE {code_column} = %s",  # noqa: S608
                [target.pk, source.pk],
            )
        source.delete()
        if moved:
            if isinstance(first, str):  # SQLite hands dates back as text here
                first, last = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
            schedule_recompute(
                start=first, end=_affected_until(last), reason=PendingRecompute.Reason.MANUAL
            )
    return moved
