"""The staging table valid rows stream into, and the upsert from it into the feed table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction
from django.db.utils import ProgrammingError

from core.csv_import import ImportReport

from .catalogue import register_code
from .feeds import Feed

_SQLITE_BATCH = 5_000


def psycopg_errors() -> type[Exception]:
    """psycopg's base error: `cursor.copy` is psycopg's own, not wrapped by Django."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return DatabaseError
    return psycopg.Error


class NothingLoaded(Exception):
    """Raised inside the import transaction to roll it back when a row was rejected."""


class Stage:
    """A temporary table the valid rows stream into; PostgreSQL through COPY, SQLite in batches."""

    def __init__(self, feed: Feed, cursor):
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
            catalog_id = register_code(feed, code, report)
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
        values = ", ".join((*feed.key_columns, *feed.value_fields, *feed.stamp_values()))
        keys = ", ".join(feed.key_columns)
        updates = ", ".join(f"{v} = excluded.{v}" for v in (*feed.value_fields, *feed.stamps))
        changed = ", ".join(f"t.{v}" for v in feed.value_fields)
        incoming = ", ".join(f"excluded.{v}" for v in feed.value_fields)
        # Re-sending identical values rewrites nothing (no new row versions to vacuum).
        return (
            f"INSERT INTO {feed.table} AS t ({', '.join((columns, *feed.stamps))}) "  # noqa: S608
            f"SELECT {values} FROM {source} WHERE 1 = 1 "
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates} "
            f"WHERE ({changed}) IS DISTINCT FROM ({incoming})"
        )

    def _upsert_postgres(self) -> tuple[int, int]:
        """One INSERT … ON CONFLICT, after counting the keys it will create.

        The feed tables are partitioned by month, where `RETURNING (xmax = 0)` cannot tell
        an insert from an update; `_upsert_counting` counts them, nearly free when the
        input's days hold no rows yet (a first load). The fast path assumes every key
        occurs once in the input; PostgreSQL refuses a statement that touches the same
        row twice (SQLSTATE 21000), and only then do we pay for the sort that keeps the
        last row of each key.
        """
        feed = self.feed
        keys = ", ".join(feed.key_columns)
        try:
            with transaction.atomic():
                return self.rows, self._upsert_counting(self.source, self.rows)
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
            return loaded, self._upsert_counting(f"{feed.stage_table}_last", loaded)
        finally:
            self.cursor.execute(f"DROP TABLE IF EXISTS {feed.stage_table}_last")

    def _upsert_counting(self, source: str, rows: int) -> int:
        """Upsert `source` into the feed; the keys it created (`rows` when its days held no rows).

        Counted as the rows of the input's days after the upsert minus before (an upsert
        never removes a row): two counts of those days' rows, which the day array prunes to
        their partitions and the BRIN index finds. A concurrent import of the same days
        would show in the count; the rows written are right either way.
        """
        feed = self.feed
        self.cursor.execute(f"SELECT array_agg(DISTINCT day) FROM {source}")  # noqa: S608
        days = self.cursor.fetchone()[0] or []
        count = f"SELECT count(*) FROM {feed.table} WHERE day = ANY(%s)"  # noqa: S608
        self.cursor.execute(f"SELECT EXISTS ({count.replace('count(*)', '1')})", [days])
        if not self.cursor.fetchone()[0]:
            self.cursor.execute(self._upsert_sql(source))
            return rows
        self.cursor.execute(count, [days])
        before = self.cursor.fetchone()[0]
        self.cursor.execute(self._upsert_sql(source))
        self.cursor.execute(count, [days])
        return self.cursor.fetchone()[0] - before

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
