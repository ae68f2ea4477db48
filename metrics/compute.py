"""The set-based metrics engine: rebuild the per-day rollup and the daily status with a few SQL statements.

`recompute(start=, end=)` computes, for every account (or a chunk of them) and
every day in [start, end] (inclusive), docs/metrics.md's numbers: the day's minutes
and apps, the DAG flag, the `window_days` window ending that day (DAG days and
rate, connectors, records, analytics days), the deep-integration level and the
health score with its per-component points, exactly as `metrics.rules` defines
them in Python (the test suite checks the two against each other).

Two levels, because measured on 100,000 accounts it pays: the raw app feed (one row per
account, day and app) is first rolled up into `AccountDayUsage` (one row per
account and day) for the days recomputed; the window is then read from the
rollup, which is ~10x smaller. The rollup of a day is only rebuilt when that day
is recomputed, so whoever writes feed rows must recompute their days (the
ingest services do; `seed_demo` is followed by `recompute_metrics`).

Everything is plain SQL that SQLite and PostgreSQL both run; the few
differences (date difference, rounding down) are in `metrics.status_sql.Dialect`. Every write is
an `INSERT … ON CONFLICT DO UPDATE` keyed by the table's natural key, so a
recompute run twice, concurrently, or again after a crash half-way leaves the
same rows. Thresholds always come from the policy object, passed as parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

from django.db import connection, transaction
from django.utils import timezone

from accounts import list_cache
from accounts.models import Account
from core import locks

from . import signals, status_events
from .models import (
    AccountDailyStatus,
    AccountDayUsage,
    App,
    AppCategory,
    AppUsage,
    ConnectorUsage,
    MetricPolicy,
)
from .status_sql import (
    STATUS_COLUMNS,
    AccountFilter,
    Dialect,
    params_date,
    params_datetime,
    status_params,
    status_select_sql,
)
from .window import WindowPlan, plan_window

# How compute_status_day reads each account's window (metrics.window).
WINDOW_AUTO = "auto"
WINDOW_WHOLE = "whole"


def _rollup_sql(
    accounts: AccountFilter, *, analytics_app_ids: Sequence[int], upsert: bool = True
) -> str:
    """Per-(account, day) rollup of the app feed for the days [start, end].

    apps_used counts the rows with minutes > 0: the feed's key includes the app,
    so that is the number of distinct apps used (docs/metrics.md). The analytics
    apps' ids are inlined: testing a short list of ids costs less than a hash join of
    every row of the day to the app catalog."""
    rollup = AccountDayUsage._meta.db_table
    usage = AppUsage._meta.db_table
    # -1 is no app's id: "IN ()" is not SQL.
    analytics = ", ".join(str(int(i)) for i in analytics_app_ids) or "-1"
    conflict = """        ON CONFLICT (account_id, day) DO UPDATE SET
            minutes = excluded.minutes,
            apps_used = excluded.apps_used,
            analytics_minutes = excluded.analytics_minutes,
            changed_at = excluded.changed_at
        WHERE (t.minutes, t.apps_used, t.analytics_minutes)
              IS DISTINCT FROM (excluded.minutes, excluded.apps_used, excluded.analytics_minutes)
    """
    return f"""
        INSERT INTO {rollup} AS t (account_id, day, minutes, apps_used, analytics_minutes, changed_at)
        SELECT u.account_id, u.day,
               SUM(u.minutes),
               SUM(CASE WHEN u.minutes > 0 THEN 1 ELSE 0 END),
               SUM(CASE WHEN u.app_id IN ({analytics}) THEN u.minutes ELSE 0 END),
               %(changed_at)s
        FROM {usage} u
        WHERE u.day BETWEEN %(start)s AND %(end)s AND {accounts.sql("u.account_id")}
        GROUP BY u.account_id, u.day
        ORDER BY u.account_id, u.day  -- in key order, as the status (_status_sql)
    {conflict if upsert else ""}    """  # noqa: S608 - table names from model meta, ids inlined through int()


def _status_sql(
    accounts: AccountFilter,
    policy,
    dialect: Dialect,
    *,
    carried: bool,
    rewrite: bool,
    upsert: bool = True,
) -> str:
    """Write every account's status on one day (%(day)s): `status_select_sql` upserted into the table.

    `carried`: the window carried from the day before (metrics.window). A row whose
    values did not change is not rewritten (no dead tuples, no index churn) unless
    `rewrite`: then its `computed_at` is renewed too, so the next day may carry it.
    Without `upsert`, a plain INSERT: for a day none of whose rows exist yet.
    """
    status = AccountDailyStatus._meta.db_table
    columns = ", ".join(STATUS_COLUMNS)
    updates = ",\n            ".join(
        f"{c} = excluded.{c}" for c in (*STATUS_COLUMNS[2:], "computed_at")
    )
    unchanged = (
        "1 = 1"
        if rewrite
        else f"({', '.join(f't.{c}' for c in STATUS_COLUMNS[2:])})"
        f" IS DISTINCT FROM ({', '.join(f'excluded.{c}' for c in STATUS_COLUMNS[2:])})"
    )
    insert = f"""
        INSERT INTO {status} AS t ({columns}, computed_at)
        SELECT {columns}, %(computed_at)s FROM (
          {status_select_sql(accounts, policy, dialect, carried=carried)}
        ) s
    """  # noqa: S608 - table name from model meta
    # In key order: the primary key's pages are written one after the other, not at random.
    if not upsert:
        return f"{insert} ORDER BY s.account_id"
    # "WHERE 1 = 1": SQLite needs a WHERE before ON CONFLICT to parse an INSERT … SELECT upsert.
    return f"""
        {insert}
        WHERE 1 = 1
        ORDER BY s.account_id
        ON CONFLICT (account_id, day) DO UPDATE SET
            {updates}
        WHERE {unchanged}
    """  # noqa: S608 - table name from model meta


def rebuild_rollup(*, start: dt.date, end: dt.date, accounts: AccountFilter | None = None) -> int:
    """Rebuild AccountDayUsage for [start, end] from the app feed; rows written (changed rows are stamped)."""
    accounts = accounts or AccountFilter()
    with transaction.atomic(), connection.cursor() as cursor:
        Dialect(connection.vendor).tune_session(cursor)
        # As for the status: a plain INSERT when none of the days' rows exist (PostgreSQL).
        upsert = connection.vendor != "postgresql" or _any_rollup(cursor, start, end, accounts)
        analytics = App.objects.filter(category=AppCategory.ANALYTICS).values_list("id", flat=True)
        cursor.execute(
            _rollup_sql(accounts, analytics_app_ids=list(analytics), upsert=upsert),
            {
                "start": params_date(start),
                "end": params_date(end),
                "changed_at": params_datetime(timezone.now()),
            },
        )
        return max(cursor.rowcount, 0)


def compute_status_day(
    *, day: dt.date, policy, accounts: AccountFilter | None = None, window: str = WINDOW_AUTO
) -> int:
    """Write every (filtered) account's AccountDailyStatus for `day` from the current rollup; rows written.

    `window`: WINDOW_AUTO carries the window from the day before for the accounts whose
    status of that day is current (metrics.window) and reads it whole for the others;
    WINDOW_WHOLE reads it whole for every account. Both give the same rows.
    """
    accounts = accounts or AccountFilter()
    dialect = Dialect(connection.vendor)
    with transaction.atomic(), connection.cursor() as cursor:
        dialect.tune_session(cursor)
        params = {**status_params(day, policy), "computed_at": params_datetime(timezone.now())}
        if window == WINDOW_AUTO:
            plan = plan_window(cursor=cursor, day=day, policy=policy, accounts=accounts)
        else:
            plan = WindowPlan(carried=None, whole=accounts)
        # A day none of whose rows exist yet takes a plain INSERT (PostgreSQL, where the day's
        # advisory lock keeps every other recompute of it out): no conflict checks to pay.
        upsert = dialect.vendor != "postgresql" or _any_status(cursor, day, accounts)
        # The last complete day's level and colour changes go to the outbox in this transaction.
        with status_events.changes_recorded(day=day, accounts=accounts, cursor=cursor):
            written = 0
            if plan.carried is not None:
                cursor.execute(
                    _status_sql(
                        plan.carried, policy, dialect, carried=True, rewrite=False, upsert=upsert
                    ),
                    params,
                )
                written += max(cursor.rowcount, 0)
            if plan.whole is not None:
                # The accounts set apart from a carried chunk are rewritten, so tomorrow carries them.
                rewrite = plan.carried is not None
                cursor.execute(
                    _status_sql(
                        plan.whole, policy, dialect, carried=False, rewrite=rewrite, upsert=upsert
                    ),
                    params,
                )
                written += max(cursor.rowcount, 0)
        if written:
            list_cache.changed()  # the API's cached account pages show these statuses
        return written


def _any_rollup(cursor, start: dt.date, end: dt.date, accounts: AccountFilter) -> bool:
    """Whether any of `accounts` has a rollup row in [start, end]."""
    rollup = AccountDayUsage._meta.db_table
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {rollup} WHERE day BETWEEN %s AND %s "  # noqa: S608
        f"AND {accounts.sql('account_id')})",
        [params_date(start), params_date(end)],
    )
    return cursor.fetchone()[0]


def _any_status(cursor, day: dt.date, accounts: AccountFilter) -> bool:
    """Whether any of `accounts` has a stored status on `day`."""
    status = AccountDailyStatus._meta.db_table
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {status} WHERE day = %s AND {accounts.sql('account_id')})",  # noqa: S608
        [params_date(day)],
    )
    return cursor.fetchone()[0]


def days_in(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def recompute(
    *,
    start: dt.date,
    end: dt.date,
    account_ids: Sequence[int] | None = None,
    policy: MetricPolicy | None = None,
    account_id_range: tuple[int, int] | None = None,
    on_day=None,
    window: str = WINDOW_AUTO,
) -> int:
    """Rebuild the rollup for [start, end], then the daily status of each day in it.

    Returns the status rows written: inserted, or changed - a row whose values
    are already right is left alone, so a second run returns 0.

    `account_ids` limits the work to those accounts, `account_id_range` to an
    inclusive id range (a chunk of a fan-out); by default every account.
    `policy` defaults to the current version. Each day's status is written in its
    own transaction (one statement, or one per slice of ids: account_slices), so an
    interrupted run leaves whole days;
    running again gives the same rows. `on_day(day)` is called after each day
    (progress bars). `window` as compute_status_day. A long range runs in batches of at most
    LOCK_BATCH_DAYS days and LOCK_BATCH_LOCKS locks, each holding only its own days' locks,
    so no range can exhaust PostgreSQL's lock table (`max_locks_per_transaction`).
    """
    if end < start:
        raise ValueError("end is before start")
    policy = policy or MetricPolicy.objects.current()
    accounts = AccountFilter(
        account_ids=tuple(account_ids) if account_ids is not None else None,
        id_range=account_id_range,
    )
    written = 0
    buckets = _lock_buckets(accounts)
    slices = account_slices(accounts)
    batch_days = max(1, min(LOCK_BATCH_DAYS, LOCK_BATCH_LOCKS // max(len(buckets), 1)))
    batch_start = start
    while batch_start <= end:
        batch_end = min(end, batch_start + dt.timedelta(days=batch_days - 1))
        with _days_locked(batch_start, batch_end, buckets):
            # A batch's windows reach back into the days before it: rebuilt by the batch before.
            for part in slices:
                rebuild_rollup(start=batch_start, end=batch_end, accounts=part)
            for day in days_in(batch_start, batch_end):
                with transaction.atomic():  # a day is written whole, all its slices
                    for part in slices:
                        written += compute_status_day(
                            day=day, policy=policy, accounts=part, window=window
                        )
                _announce_after_commit(day, accounts)
                if on_day is not None:
                    on_day(day)
        batch_start = batch_end + dt.timedelta(days=1)
    return written


_BIGINT_MAX = 2**63 - 1


def account_slices(accounts: AccountFilter) -> list[AccountFilter]:
    """`accounts` cut into id ranges on multiples of SLICE_ACCOUNTS, when all accounts or a
    range of ids spans more than SLICE_ACCOUNTS of today's ids (PostgreSQL).

    The last slice keeps the original upper bound, so an account created meanwhile
    is in one slice as it was in the whole."""
    if connection.vendor != "postgresql" or accounts.account_ids is not None:
        return [accounts]
    low, high = accounts.id_range if accounts.id_range is not None else (0, _BIGINT_MAX)
    highest = min(_highest_account_id(), high)
    if highest - low < SLICE_ACCOUNTS:
        return [accounts]
    edges = range((low // SLICE_ACCOUNTS + 1) * SLICE_ACCOUNTS, highest + 1, SLICE_ACCOUNTS)
    if not edges:
        return [accounts]
    lows = [low, *edges]
    highs = [edge - 1 for edge in edges] + [high]
    return [replace(accounts, id_range=pair) for pair in zip(lows, highs, strict=True)]


def _announce_after_commit(day: dt.date, accounts: AccountFilter) -> None:
    """Send `day_recomputed` once the day's status is committed (receivers read it)."""
    transaction.on_commit(
        lambda: signals.day_recomputed.send(sender=AccountDailyStatus, day=day, accounts=accounts)
    )


# Days a recompute locks and computes at a time, and the most (day, bucket) locks a batch holds.
LOCK_BATCH_DAYS = 31
LOCK_BATCH_LOCKS = 512

# Accounts are locked in buckets of consecutive ids: chunks of different id ranges (their bounds
# on bucket edges, recompute_queue) take different locks and run side by side; any two
# recomputes that share an account share a lock.
LOCK_BUCKET_ACCOUNTS = 1024

# A recompute over a wider id range runs each statement on a slice of this many consecutive
# ids (whole lock buckets): its hash tables then fit the statement's work_mem
# (Dialect.tune_session) instead of spilling to disk, as one statement over a million did
# (docs/scaling.md). Narrower ranges and lists of ids are one slice: nothing changes for them.
SLICE_ACCOUNTS = 128 * LOCK_BUCKET_ACCOUNTS
# A lock key is (namespace, day ordinal * _BUCKETS_PER_DAY + bucket), within PostgreSQL's int4.
_BUCKETS_PER_DAY = 2048


# Advisory-lock namespace of "recomputing these accounts on this day" (core.locks holds every namespace).
_DAY_LOCK_NAMESPACE = locks.DAY_ACCOUNTS_RECOMPUTE


def _lock_buckets(accounts: AccountFilter) -> list[int]:
    """The account buckets `accounts` may touch, ascending (PostgreSQL; [] elsewhere).

    An open-ended range (the last chunk) stops one bucket past the highest account id
    of today, so it holds a handful of locks rather than every bucket up to the cap."""
    if connection.vendor != "postgresql":
        return []
    top = _BUCKETS_PER_DAY - 1

    def bucket(account_id: int) -> int:
        return min(max(int(account_id), 0) // LOCK_BUCKET_ACCOUNTS, top)

    if accounts.account_ids is not None:
        buckets = {bucket(i) for i in accounts.account_ids}
        if accounts.id_range is not None:
            low, high = accounts.id_range
            buckets = {b for b in buckets if bucket(low) <= b <= bucket(high)}
        return sorted(buckets)
    highest = _highest_account_id()
    low, high = accounts.id_range if accounts.id_range is not None else (0, highest)
    first = bucket(low)
    return list(range(first, max(first, min(bucket(high), bucket(highest) + 1)) + 1))


def _highest_account_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Account._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0]


@contextmanager
def _days_locked(start: dt.date, end: dt.date, buckets: list[int]) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock on each (day, account bucket) while recomputing them.

    Without it, a recompute whose rollup statement started before another
    import committed would write its older sums over that import's newer
    rollup (tests/faults/test_import_race.py). Two recomputes that share an
    account share that account's bucket, so they wait for each other; chunks of
    other accounts do not (docs/scaling.md). Locks are taken in ascending
    (day, bucket) order, so two recomputes never deadlock; SQLite serialises
    writers itself.
    """
    if connection.vendor != "postgresql":
        yield
        return
    keys = [
        day.toordinal() * _BUCKETS_PER_DAY + bucket
        for day in days_in(start, end)
        for bucket in buckets
    ]
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_DAY_LOCK_NAMESPACE, key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for key in keys:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_DAY_LOCK_NAMESPACE, key])


def days_with_feed_data(start: dt.date, end: dt.date) -> list[dt.date]:
    """Days in [start, end] that have any app or connector feed row."""
    days = set(
        AppUsage.objects.filter(day__range=(start, end)).values_list("day", flat=True).distinct()
    )
    days |= set(
        ConnectorUsage.objects.filter(day__range=(start, end))
        .values_list("day", flat=True)
        .distinct()
    )
    return sorted(days)
