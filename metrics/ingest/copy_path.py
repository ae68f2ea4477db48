"""The PostgreSQL COPY path: a plain feed file's bytes go to COPY untouched, checked set-based."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field

from django.db import DatabaseError, DataError, IntegrityError, connection, transaction

from accounts.models import Account
from core.csv_import import ImportReport, RowRejected, loads_nothing, row_error
from metrics.models import FEED_NUMBER_BOUNDS, PendingRecompute
from metrics.recompute_queue import affected_until, schedule_recompute

from .catalogue import check_new_code, register_code
from .csv_file import CsvFeedFile
from .feeds import MAX_LISTED_ACCOUNTS, Feed
from .parser import RowParser
from .staging import NothingLoaded, Stage, psycopg_errors


class CopyFallback(Exception):
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

    feed: Feed
    parser: RowParser

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
        columns = ", ".join((*feed.key_columns, *feed.value_fields, *feed.stamps))
        values = ", ".join(
            (
                *(
                    _bounded_cast_sql(f"r.{n}", name)
                    for n, name in zip(self.numbers, feed.value_fields, strict=True)
                ),
                *feed.stamp_values(),
            )
        )
        # The same statement shape as Stage's upsert ("WITH up AS (INSERT INTO <feed table>"):
        # what watches the database for the import's write finds either. No RETURNING: it costs.
        return (
            f"WITH up AS (INSERT INTO {feed.table} ({columns}) "  # noqa: S608
            f"SELECT a.id, d.day, k.id, {values} {self.joins('LEFT')}) SELECT 1"
        )


def import_feed_copy(
    feed: Feed, *, source: CsvFeedFile, skip_invalid: bool, wrap_chunks=None
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
    parser = RowParser(feed, only_rows=[])  # accounts are looked up in SQL, and for bad rows
    parser.use_header(source.header)
    source.handle.close()
    raw = _RawFile(feed, parser)
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
                raise CopyFallback from exc
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
                schedule_ingest(cursor, total=total, days=days.values(), accounts_sql=accounts)
            else:
                _load_checked(
                    raw=raw,
                    cursor=cursor,
                    total=total,
                    days=days,
                    report=report,
                    skip_invalid=skip_invalid,
                )
            for table in (raw.table, raw.days, raw.codes, raw.rescued):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            # As it was, for the rest of a caller's transaction (a rollback restores it too).
            cursor.execute("SELECT set_config('enable_nestloop', %s, true)", [nestloop])
    except NothingLoaded:
        report.registered = []
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
            found = parser.catalog[name] = register_code(feed, name, report)
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
    """The all-valid attempt (see import_feed_copy): True when every raw row was inserted."""
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


@dataclass
class _Rescue:
    """What re-reading the rows the SQL check refused found, besides the rejects."""

    rows: list[tuple] = field(default_factory=list)  # (seq, *parsed row): accepted after all
    blank: int = 0  # blank rows: read_csv_rows skips them, so they are neither read nor loaded


def _load_checked(
    *,
    raw: _RawFile,
    cursor,
    total: int,
    days: dict[str, dt.date],
    report: ImportReport,
    skip_invalid: bool,
) -> None:
    """The checked path of import_feed_copy: name the bad rows, then upsert the valid ones."""
    feed, parser = raw.feed, raw.parser
    rescue = _Rescue()
    bad_cursor = connection.chunked_cursor()  # server-side: a file of bad rows stays out of memory
    try:
        bad_cursor.execute(raw.invalid_rows())
        while batch := bad_cursor.fetchmany(2000):
            _reparse_bad_rows(batch, parser=parser, report=report, rescue=rescue)
    finally:
        bad_cursor.close()
    report.read -= rescue.blank
    if loads_nothing(report, skip_invalid=skip_invalid):
        raise NothingLoaded
    rescued = rescue.rows
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
    stage = Stage(feed, cursor)
    stage.source = raw.valid_rows(rescued=bool(rescued))
    stage.rows = total - len(report.rejected) - rescue.blank
    if stage.rows:
        report.loaded, report.created = stage.upsert()
        report.updated = report.loaded - report.created
        used = [*days.values(), *(row[2] for row in rescued)]
        if report.rejected:  # a date seen only on rejected rows is not loaded
            cursor.execute(f"SELECT DISTINCT day FROM {stage.source}")  # noqa: S608
            used = [row[0] for row in cursor.fetchall()]
        accounts = f"SELECT DISTINCT account_id FROM {stage.source}"  # noqa: S608
        schedule_ingest(cursor, total=total, days=used, accounts_sql=accounts)


def schedule_ingest(cursor, *, total: int, days: Iterable[dt.date], accounts_sql: str) -> None:
    """Record the recompute a load makes necessary: its days' windows; its accounts (`accounts_sql`) when few."""
    account_ids = None
    if total <= MAX_LISTED_ACCOUNTS:
        cursor.execute(accounts_sql)
        account_ids = sorted(r[0] for r in cursor.fetchall())
    used = sorted(set(days))
    schedule_recompute(
        start=used[0],
        end=affected_until(used[-1]),
        account_ids=account_ids,
        reason=PendingRecompute.Reason.INGEST,
    )


def _reparse_bad_rows(batch, *, parser: RowParser, report: ImportReport, rescue: _Rescue) -> None:
    """Name what is wrong with rows the SQL check refused, exactly as the Python path would.

    Rows the parser accepts after all go to `rescue.rows`.
    """
    feed = parser.feed
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
            rescue.blank += 1
            continue
        row = parser.csv_dict(texts)
        try:
            parsed = parser.parse(row)
        except RowRejected as exc:
            report.rejected.append(row_error(seq + 1, exc, row=row, columns=feed.columns))
            continue
        if parsed[2] < 0:  # a new code the SQL pass did not register (odd whitespace)
            code = next(c for c, p in parser.new_codes.items() if p == parsed[2])
            catalog_id = register_code(feed, code, report)
            parser.catalog[code] = catalog_id
            parsed = (parsed[0], parsed[1], catalog_id, *parsed[3:])
        rescue.rows.append((seq, *parsed))
