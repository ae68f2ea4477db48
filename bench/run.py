"""The benchmark of the metrics engine (issue: "Benchmark: make bench"), on PostgreSQL only.

Side by side in one run, on synthetic data generated in SQL (generate_series):

- ingest of a 1,000,000-row app-usage file (accounts x apps x 1 day) through
  the real `import_usage` command, in a subprocess (wall time and peak RSS),
  first load and re-load, against
  (a) a bare COPY of the same file into an unindexed table (the physical limit),
  (b) the hand-written floor: COPY into a staging table + one
      INSERT … SELECT … ON CONFLICT DO UPDATE into a table keyed only by the feed's key;
- recompute of one day for every account with a full window of raw feed behind
  it (and the day leaving it) and yesterday's status current (`metrics.compute.recompute`: the window carried
  from yesterday, metrics/window.py), and the same with every window read whole, against a bare `GROUP BY account` aggregate
  over the same window's raw rows, and against a naive per-account ORM loop
  timed on a sample and extrapolated; the recompute's time split between its rollup
  and status statements, and the two things no recompute of this design can skip:
  its writes (its rows inserted again from copies) and its read of the day's raw rows;
- `run_plays` for that day beside the recompute, as a ratio to it
  (bench/plays_bench.py).

Prints a table and writes docs/benchmarks.md. scripts/bench.sh creates the
database this runs in; never point it at a database you care about.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection, transaction

from accounts.models import Account
from bench import plays_bench
from bench.common import (
    StatementTimes,
    Timer,
    execute,
    generate_connectors_visits_requirements,
    log,
    make_accounts,
)
from core.days import end_of_day, last_complete_day
from metrics import compute, status_sql
from metrics.models import (
    AccountDailyStatus,
    AccountDayUsage,
    App,
    AppCategory,
    AppUsage,
    ConnectorUsage,
    MetricPolicy,
    PendingRecompute,
)
from tests.metrics import reference
from visits.models import Requirement, Visit

ROOT = Path(__file__).resolve().parent.parent


# --- Data ---------------------------------------------------------------------------------------


def minutes_sql(account: str, day_number: str, app_rank: str) -> str:
    """Deterministic, varied minutes: some apps unused on some days, so DAG and levels vary."""
    return (
        f"CASE WHEN ({account} + {app_rank} + {day_number}) %% 7 < ({account} %% 5) THEN 0 "
        f"ELSE (CAST({account} AS bigint) * 7919 + CAST({day_number} AS bigint) * 104729"
        f" + {app_rank} * 31) %% 97 END"
    )


def write_feed_csv(path: Path, *, day: dt.date, apps: int) -> int:
    """The app-usage CSV for `day`: every account x `apps` apps, streamed out of PostgreSQL by COPY."""
    sql = f"""
        COPY (
          SELECT a.external_id, %(day)s::date, p.code,
                 {minutes_sql("a.id", "%(day_number)s", "p.rank")},
                 1 + (a.id * 13 + p.rank) %% 400
          FROM {Account._meta.db_table} a
          CROSS JOIN (SELECT code, row_number() OVER (ORDER BY id) AS rank
                      FROM {App._meta.db_table} ORDER BY id LIMIT %(apps)s) p
          ORDER BY a.id, p.rank
        ) TO STDOUT WITH (FORMAT csv)
    """  # noqa: S608
    with path.open("wb") as handle, connection.cursor() as cursor:
        handle.write(b"account,date,app,minutes,active_users\n")
        with cursor.cursor.copy(
            sql, {"day": day, "day_number": day.toordinal(), "apps": apps}
        ) as copy:
            for chunk in copy:
                handle.write(chunk)
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def generate_window(*, first: dt.date, last: dt.date, ids: tuple[int, int], apps: int) -> int:
    """Raw app feed for [first, last] (every account x `apps` apps a day), in day order, keys rebuilt after."""
    table = AppUsage._meta.db_table
    pk = execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'", [table]
    )[0]
    # The day index is rebuilt as the migrations made it (BRIN on PostgreSQL, metrics 0007, 0015),
    # on every partition: the parent's definition reads "ON ONLY", which would leave it invalid
    # and the partitions without it.
    day_index = execute("SELECT pg_get_indexdef('app_usage_day'::regclass)")[0]
    day_index = day_index.replace(" ON ONLY ", " ON ", 1)
    execute(f"ALTER TABLE {table} DROP CONSTRAINT {pk}")
    execute("DROP INDEX IF EXISTS app_usage_day")
    # One statement a day, as the daily ingest writes them: the rows lie in day order on
    # disk (one statement for the whole window let the planner interleave the days).
    for day in compute.days_in(first, last):
        execute(
            f"""
            INSERT INTO {table} (account_id, day, app_id, minutes, active_users)
            SELECT a, d::date, p.id, {minutes_sql("a", "(%(epoch)s + (d::date - %(first)s::date))", "p.rank")}, 1
            FROM (SELECT %(day)s::date AS d) AS days
            CROSS JOIN generate_series(%(low)s::bigint, %(high)s::bigint) a
            CROSS JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rank
                        FROM {App._meta.db_table} ORDER BY id LIMIT %(apps)s) p
            """,  # noqa: S608
            {
                "day": day,
                "first": first,
                "epoch": first.toordinal(),
                "low": ids[0],
                "high": ids[1],
                "apps": apps,
            },
        )
    execute(f"ALTER TABLE {table} ADD CONSTRAINT {pk} PRIMARY KEY (account_id, day, app_id)")
    execute(day_index)
    return execute(f"SELECT count(*) FROM {table}")[0]  # noqa: S608


# --- Ingest measurements ------------------------------------------------------------------------


def copy_file(cursor, sql: str, path: Path) -> None:
    with cursor.copy(sql) as copy, path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            copy.write(chunk)


def bare_copy(path: Path) -> float:
    execute(
        "CREATE TABLE bench_bare_copy (account text, day date, app text, minutes bigint, active_users bigint)"
    )
    with Timer() as timer, transaction.atomic(), connection.cursor() as cursor:
        copy_file(cursor, "COPY bench_bare_copy FROM STDIN WITH (FORMAT csv, HEADER)", path)
    execute("DROP TABLE bench_bare_copy")
    return timer.seconds


def floor_upsert(path: Path) -> tuple[float, float]:
    """COPY into a staging table + one INSERT … SELECT … ON CONFLICT into a table with only the key."""
    execute(
        "CREATE TABLE bench_floor (account_id bigint, day date, app_id bigint, minutes bigint, "
        "active_users bigint, PRIMARY KEY (account_id, day, app_id))"
    )
    times = []
    for _ in range(2):
        with Timer() as timer, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_stage (account text, day date, app text, minutes bigint, "
                "active_users bigint) ON COMMIT DROP"
            )
            copy_file(cursor, "COPY bench_stage FROM STDIN WITH (FORMAT csv, HEADER)", path)
            cursor.execute(
                f"""
                INSERT INTO bench_floor (account_id, day, app_id, minutes, active_users)
                SELECT a.id, s.day, p.id, s.minutes, s.active_users
                FROM bench_stage s
                JOIN {Account._meta.db_table} a ON a.external_id = s.account
                JOIN {App._meta.db_table} p ON p.code = s.app
                ON CONFLICT (account_id, day, app_id) DO UPDATE
                  SET minutes = excluded.minutes, active_users = excluded.active_users
                """  # noqa: S608
            )
        times.append(timer.seconds)
    execute("DROP TABLE bench_floor")
    return times[0], times[1]


def run_import(path: Path, *, broker: str) -> tuple[float, float, str]:
    """`manage.py import_usage FILE` in a subprocess: (seconds, peak RSS in MB, its summary line)."""
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-not-a-secret-key-0123456789-abcdefghijklmnop",
        CELERY_BROKER_URL=broker,
        DATABASE_URL=env["DATABASE_URL"],
    )
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), "import_usage", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"import_usage failed ({process.returncode}): {output}")
    return seconds, usage.ru_maxrss / 1024, output.strip().splitlines()[-1]


# --- Recompute measurements ---------------------------------------------------------------------


def bare_aggregate(*, first: dt.date, last: dt.date) -> float:
    """The floor: sum of minutes per account over the window's raw rows (same work_mem as the engine)."""
    with Timer() as timer, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            f"SELECT count(*), sum(total) FROM (SELECT account_id, sum(minutes) AS total "  # noqa: S608
            f"FROM {AppUsage._meta.db_table} WHERE day BETWEEN %s AND %s GROUP BY account_id) t",
            [first, last],
        )
        cursor.fetchone()
    return timer.seconds


def day_sums(cursor, *, day: dt.date) -> tuple:
    """The day's raw rows summed per account as the rollup sums them (metrics.compute), then
    totalled: (accounts, minutes, apps used, analytics minutes). Every per-account sum is
    used by the total, so none is planned away."""
    analytics = App.objects.filter(category=AppCategory.ANALYTICS).values_list("id", flat=True)
    inlined = ", ".join(str(int(i)) for i in analytics) or "-1"
    cursor.execute(
        f"""
        SELECT count(*), sum(minutes), sum(apps_used), sum(analytics_minutes) FROM (
          SELECT account_id, SUM(minutes) AS minutes,
                 SUM(CASE WHEN minutes > 0 THEN 1 ELSE 0 END) AS apps_used,
                 SUM(CASE WHEN app_id IN ({inlined}) THEN minutes ELSE 0 END)
                   AS analytics_minutes
          FROM {AppUsage._meta.db_table} WHERE day = %s GROUP BY account_id) t
        """,  # noqa: S608 - table name from model meta, ids inlined through int()
        [day],
    )
    return cursor.fetchone()


def day_read(*, day: dt.date) -> float:
    """The one read no recompute can skip, timed: `day_sums`, with the engine's session
    settings; nothing written."""
    with Timer() as timer, transaction.atomic(), connection.cursor() as cursor:
        status_sql.Dialect(connection.vendor).tune_session(cursor)
        day_sums(cursor, day=day)
    return timer.seconds


def write_floor(*, day: dt.date) -> float:
    """The recompute's writes alone: the day's finished rollup and status rows inserted again.

    Copied aside, deleted (and vacuumed) and inserted back in key order into the same tables
    and indexes after a checkpoint, as the recompute writes them: no reading of the feed, no
    computing. The rows end as they were."""
    tables = (
        (AccountDayUsage._meta.db_table, "bench_rollup_copy"),
        (AccountDailyStatus._meta.db_table, "bench_status_copy"),
    )
    with connection.cursor() as cursor:
        for table, copy in tables:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {copy} AS SELECT * FROM {table} WHERE day = %s",  # noqa: S608
                [day],
            )
            cursor.execute(f"DELETE FROM {table} WHERE day = %s", [day])  # noqa: S608
            cursor.execute(f"VACUUM {table}")
        cursor.execute("CHECKPOINT")
        with Timer() as timer, transaction.atomic():
            for table, copy in tables:
                cursor.execute(f"INSERT INTO {table} SELECT * FROM {copy} ORDER BY account_id")  # noqa: S608
        for _table, copy in tables:
            cursor.execute(f"DROP TABLE {copy}")
    return timer.seconds


def naive_loop(*, day: dt.date, account_ids: list[int]) -> float:
    """What a per-account ORM loop would do: read the window, compute in Python, save. Seconds for the sample.

    The Python is the test suite's plain reference of the metric definitions
    (tests/metrics/reference.py), fed one account's rows at a time.
    """
    policy = MetricPolicy.objects.current()
    first = status_sql.window_start(day, policy)
    eod = end_of_day(day)
    with Timer() as timer:
        for account_id in account_ids:
            app_rows = [
                reference.AppRow(account_id, usage_day, code, category, minutes)
                for usage_day, code, category, minutes in AppUsage.objects.filter(
                    account_id=account_id, day__range=(first, day)
                ).values_list("day", "app__code", "app__category", "minutes")
            ]
            connector_rows = [
                reference.ConnectorRow(account_id, usage_day, code, records)
                for usage_day, code, records in ConnectorUsage.objects.filter(
                    account_id=account_id, day__range=(first, day)
                ).values_list("day", "connector__code", "records")
            ]
            visits = list(
                Visit.objects.filter(account_id=account_id, visited_on__lte=day).values_list(
                    "account_id", "visited_on"
                )
            )
            requirements = [
                reference.RequirementRow(account_id, *row)
                for row in Requirement.objects.filter(
                    account_id=account_id, raised_at__lte=eod
                ).values_list("raised_at", "first_response_at", "resolved_at", "status")
            ]
            values = reference.status(
                account_id=account_id,
                day=day,
                policy=policy,
                app_rows=app_rows,
                connector_rows=connector_rows,
                visits=visits,
                requirements=requirements,
            )
            AccountDailyStatus.objects.update_or_create(
                account_id=account_id, day=day, defaults={"policy": policy, **values}
            )
    return timer.seconds


# --- Report -------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "postgres": execute("SHOW server_version")[0],
        "python": platform.python_version(),
        "os": platform.platform(),
        "load": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def render(rows: list[tuple[str, str, str, str]]) -> str:
    header = ("measure", "result", "compared with", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def markdown(rows, info: dict[str, str], notes: list[str]) -> str:
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (scripts/bench.sh → `python -m bench`), which creates its own",
        "PostgreSQL database, generates synthetic feeds with `generate_series` and measures every",
        "figure side by side in one run. Re-run it to refresh this page.",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['cpu']}, {info['memory']} RAM; {info['os']}",
        f"- PostgreSQL {info['postgres']}, Python {info['python']}",
        f"- load average at the end of the run (1, 5, 15 min): {info['load']}; at the start: "
        f"{info['load_start']} - other work on the machine slows every figure, ratios less so",
        "",
        "| measure | result | compared with | target |",
        "| --- | --- | --- | --- |",
    ]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    out += ["", "## Notes", ""]
    out += [f"- {n}" for n in notes]
    out.append("")
    return "\n".join(out)


SCALE_HEADING = "\n## A million accounts (make bench-scale)"


def _section(text: str, heading: str) -> str:
    """`heading`'s section of `text` (up to the next "## " heading), or ""."""
    if heading not in text:
        return ""
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def with_scale_section(page: str, section: str) -> str:
    """`page` with its bench-scale section replaced by `section` (or added before the API's)."""
    old = _section(page, SCALE_HEADING)
    if old:
        return page.replace(old, section)
    if "\n## REST API latency" in page:
        at = page.index("\n## REST API latency")
        return page[:at] + section + page[at:]
    return page + section


def scale_section(rows, info: dict[str, str], notes: list[str], *, accounts: int, apps: int) -> str:
    out = [
        SCALE_HEADING,
        "",
        f"Written by `make bench-scale` (scripts/bench_scale.sh → `python -m bench --scale`): "
        f"{accounts:,} accounts with {apps} apps each a day, the same measures as above in one "
        f"run on a database of its own, dropped afterwards.",
        "",
        f"- date: {info['date']}; machine: {info['cpu']}, {info['memory']} RAM",
        f"- load average at the start: {info['load_start']}; at the end: {info['load']}",
        "",
        "| measure | result | compared with | target |",
        "| --- | --- | --- | --- |",
    ]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    out += ["", "Notes:", ""]
    out += [f"- {n}" for n in notes]
    out.append("")
    return "\n".join(out)


def disk_per_day(*, days: int) -> str:
    """A note: disk used by each table holding a day of data, per day (all partitions and indexes)."""
    sizes = []
    for model in (AppUsage, ConnectorUsage, AccountDayUsage, AccountDailyStatus):
        table = model._meta.db_table
        total = execute(
            "SELECT COALESCE(sum(pg_total_relation_size(relid)), 0) "
            "FROM pg_partition_tree(%s::regclass)",
            [table],
        )[0]
        day_count = execute(f"SELECT count(DISTINCT day) FROM {table}")[0] or days  # noqa: S608
        sizes.append(f"{table} {float(total) / day_count / 1e6:,.0f} MB")
    return (
        "Disk per day of data (table, indexes and TOAST over all partitions, divided by the days "
        "it holds): " + "; ".join(sizes) + "."
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--apps", type=int, default=10)
    parser.add_argument("--naive-sample", type=int, default=1_000)
    parser.add_argument("--broker", default="", help="Redis URL the import's task is sent to")
    parser.add_argument("--workdir", default=str(ROOT / "artifacts" / "bench"))
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument(
        "--scale",
        action="store_true",
        help="make bench-scale: its own section of the page; no plays, what-if, API or pages",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark runs on PostgreSQL only (DATABASE_URL)")
    load_start = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    policy = MetricPolicy.objects.current()
    day = last_complete_day()
    first = status_sql.window_start(day, policy)
    notes: list[str] = []

    log(f"{args.accounts:,} accounts")
    with Timer() as t_setup:
        ids = make_accounts(args.accounts)
    notes.append(f"{args.accounts:,} accounts inserted in {t_setup.seconds:.1f} s.")
    csv_path = workdir / "app_usage.csv"
    log("writing the app-usage file")
    with Timer() as t_csv:
        rows = write_feed_csv(csv_path, day=day, apps=args.apps)
    size_mb = csv_path.stat().st_size / 1e6
    notes.append(
        f"App-usage file: {rows:,} rows, {size_mb:.0f} MB, written in {t_csv.seconds:.1f} s."
    )

    log("bare COPY")
    t_bare = bare_copy(csv_path)
    log("hand-written floor (COPY + INSERT … ON CONFLICT), first load and re-load")
    t_floor_first, t_floor_reload = floor_upsert(csv_path)
    log("import_usage, first load")
    imp_first, rss_first, summary_first = run_import(csv_path, broker=args.broker)
    log("import_usage, re-load")
    imp_reload, rss_reload, summary_reload = run_import(csv_path, broker=args.broker)
    notes.append(f"import_usage first load said: `{summary_first}`; re-load: `{summary_reload}`.")
    if args.broker:
        notes.append(
            "The import's after-ingest recompute task was sent to a Redis queue with no worker "
            "(as in production, where a worker runs it), so the import time is the ingest alone."
        )
    else:
        notes.append(
            "No broker: the import ran its after-ingest recompute in-process, inside the measured time."
        )
    PendingRecompute.objects.all().delete()
    if args.broker:
        import redis

        redis.Redis.from_url(args.broker).delete("celery")  # the queued, never-run recompute tasks

    # From the day that leaves the window when the day measured enters it: in production the
    # feeds keep FEED_RETENTION_DAYS, so a carried window always has a day leaving to subtract.
    leaving = first - dt.timedelta(days=1)
    log(f"raw feed for {leaving}..{day - dt.timedelta(days=1)} (generate_series)")
    with Timer() as t_gen:
        total_rows = generate_window(
            first=leaving, last=day - dt.timedelta(days=1), ids=ids, apps=args.apps
        )
        generate_connectors_visits_requirements(first=leaving, last=day, ids=ids)
    # Statistics first, as a production feed has them: without, the planner may read a whole
    # month's partition for each day's rollup.
    log("VACUUM ANALYZE")
    with connection.cursor() as cursor:
        for model in (AppUsage, ConnectorUsage, Account, Visit, Requirement):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    log("rollup of the earlier days (what each day's ingest would have built)")
    slices = compute.account_slices(status_sql.AccountFilter())
    with Timer() as t_rollup:
        # Day by day and slice by slice, as each night's recompute builds it (compute.recompute).
        for earlier in compute.days_in(leaving, day - dt.timedelta(days=1)):
            for part in slices:
                compute.rebuild_rollup(start=earlier, end=earlier, accounts=part)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {AccountDayUsage._meta.db_table}")
    log("status of the earlier days (what each night would have computed)")
    # make bench-scale computes only yesterday (whole): all the day measured carries from.
    history_start = day - dt.timedelta(days=1) if args.scale else first
    with plays_bench.plays_detached(), Timer() as t_history:
        # Day by day from the rollup built above (recompute() would rebuild it first).
        for earlier in compute.days_in(history_start, day - dt.timedelta(days=1)):
            for part in slices:
                compute.compute_status_day(day=earlier, policy=policy, accounts=part)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {AccountDailyStatus._meta.db_table}")
    notes.append(
        f"The status of the {(day - history_start).days} earlier days was computed first, as the "
        f"nights before would have ({t_history.seconds:.0f} s: the first day's window read whole, "
        f"the others carried from the day before), so the day measured finds yesterday current. "
        f"Status rows are in monthly partitions: the day measured ({day}) is day {day.day} of "
        f"its month, so its partition holds {min(day.day, (day - history_start).days + 1) - 1} earlier days of rows."
    )
    connector_rows = ConnectorUsage.objects.count()
    # Write out the dirty pages the data generation left in shared buffers, as the checkpointer
    # would long before a nightly recompute; otherwise every timed read pays for those writes.
    execute("CHECKPOINT")
    notes.append(
        f"Window data: {total_rows:,} app-usage rows (the {policy.window_days}-day window and "
        f"the day leaving it, {leaving}) and {connector_rows:,} connector rows generated in "
        f"{t_gen.seconds:.0f} s; the rollup of the {policy.window_days} earlier days built in "
        f"{t_rollup.seconds:.1f} s ({t_rollup.seconds / policy.window_days:.2f} s a day)."
    )

    notes.append(disk_per_day(days=policy.window_days))

    log("recompute vs bare aggregate")
    bare_aggregate(first=first, last=day)  # warm the cache for both
    floors = [bare_aggregate(first=first, last=day)]
    # The recompute alone: its after-recompute plays are timed apart (plays_bench).
    with plays_bench.plays_detached(), StatementTimes() as parts, Timer() as t_rec:
        written = compute.recompute(start=day, end=day)
    floors.append(bare_aggregate(first=first, last=day))
    t_writes = write_floor(day=day)
    t_day_read = min(day_read(day=day) for _ in range(3))
    with plays_bench.plays_detached(), Timer() as t_rerun:
        rewritten = compute.recompute(start=day, end=day)
    # The same day with every account's window read whole (a policy change, a re-sent old day).
    AccountDailyStatus.objects.filter(day=day).delete()
    with plays_bench.plays_detached(), Timer() as t_whole:
        compute.recompute(start=day, end=day, window=compute.WINDOW_WHOLE)
    floors.append(bare_aggregate(first=first, last=day))
    t_floor_agg, t_recompute = min(floors), t_rec.seconds
    window_rows = execute(
        f"SELECT count(*) FROM {AppUsage._meta.db_table} WHERE day BETWEEN %s AND %s",  # noqa: S608
        [first, day],
    )[0]
    notes.append(
        f"recompute (the day's rollup from {rows:,} raw rows, then the status of every account "
        f"over the window) wrote {written:,} status rows in {t_recompute:.2f} s; run again with "
        f"nothing changed it took {t_rerun.seconds:.2f} s and rewrote {rewritten:,} rows. The bare "
        f"aggregate took {', '.join(f'{s:.2f}' for s in floors)} s (the best is reported)."
    )
    sample = list(Account.objects.order_by("id").values_list("id", flat=True)[: args.naive_sample])
    log(f"naive per-account ORM loop on {len(sample):,} accounts")
    t_naive_sample = naive_loop(day=day, account_ids=sample)
    t_naive = t_naive_sample / len(sample) * args.accounts
    notes.append(
        f"Naive ORM loop: {t_naive_sample:.1f} s for {len(sample):,} accounts, extrapolated to "
        f"{args.accounts:,} accounts: {t_naive:.0f} s."
    )

    def rate(seconds: float) -> str:
        return f"{rows / seconds:,.0f} rows/s"

    def own_seconds(summary: str) -> float:
        """The command's own time, from its summary ("…, 7.55 s"): without interpreter/Django start-up."""
        return float(summary.rsplit(",", 1)[1].strip().split()[0])

    own_first, own_reload = own_seconds(summary_first), own_seconds(summary_reload)
    notes.append(
        f"Wall time of the import_usage process includes starting Python and Django "
        f"({imp_first - own_first:.1f} s and {imp_reload - own_reload:.1f} s here; import commands "
        f"skip the system checks, and the venv holds compiled bytecode); "
        f"the command's own time: {own_first:.2f} s first load "
        f"({own_first / t_floor_first:.2f}x floor), {own_reload:.2f} s re-load "
        f"({own_reload / t_floor_reload:.2f}x floor). On PostgreSQL a CSV file without quoted "
        f"values is sent to COPY as it is and checked set-based (metrics.ingest.copy_path)."
    )

    t_rollup_part = parts.seconds[AccountDayUsage._meta.db_table]
    t_status_part = parts.seconds[AccountDailyStatus._meta.db_table]
    split = (t_rollup_part, t_status_part, t_recompute - t_rollup_part - t_status_part)
    notes.append(
        f"What no recompute of this design can skip: its writes and its read of the day's raw "
        f"rows, {t_writes:.2f} + {t_day_read:.2f} s = "
        f"{(t_writes + t_day_read) / t_floor_agg:.2f}x the bare aggregate (docs/scaling.md)."
    )

    table = [
        (
            "ingest, import_usage first load (process wall time / command's own time)",
            f"{imp_first:.2f} s / {own_first:.2f} s ({rate(own_first)})",
            f"{imp_first / t_floor_first:.2f}x / {own_first / t_floor_first:.2f}x floor, "
            f"{own_first / t_bare:.1f}x bare COPY",
            "<= 1.5x floor",
        ),
        (
            "ingest, import_usage re-load (process wall time / command's own time)",
            f"{imp_reload:.2f} s / {own_reload:.2f} s ({rate(own_reload)})",
            f"{imp_reload / t_floor_reload:.2f}x / {own_reload / t_floor_reload:.2f}x floor, "
            f"{own_reload / t_bare:.1f}x bare COPY",
            "<= 1.5x floor",
        ),
        (
            "bare COPY into an unindexed table",
            f"{t_bare:.2f} s ({rate(t_bare)})",
            "physical limit",
            "",
        ),
        ("floor: COPY + INSERT … ON CONFLICT, first", f"{t_floor_first:.2f} s", "", ""),
        ("floor: COPY + INSERT … ON CONFLICT, re-load", f"{t_floor_reload:.2f} s", "", ""),
        (
            "import peak memory (RSS)",
            f"{max(rss_first, rss_reload):.0f} MB",
            f"{rows:,}-row file, {size_mb:.0f} MB",
            "< 300 MB",
        ),
        (
            f"recompute 1 day, {args.accounts:,} accounts (window carried from yesterday)",
            f"{t_recompute:.2f} s",
            f"{t_recompute / t_floor_agg:.2f}x bare aggregate",
            "<= 0.5x",
        ),
        (
            f"recompute 1 day, {args.accounts:,} accounts, every window read whole",
            f"{t_whole.seconds:.2f} s",
            f"{t_whole.seconds / t_floor_agg:.2f}x bare aggregate",
            "",
        ),
        (
            "the recompute's writes alone (its rollup and status rows inserted from copies)",
            f"{t_writes:.2f} s",
            f"{t_writes / t_floor_agg:.2f}x bare aggregate",
            "",
        ),
        (
            "of which the rollup statement / the status statement / the rest",
            " / ".join(f"{seconds:.2f}" for seconds in split) + " s",
            " / ".join(f"{seconds / t_floor_agg:.2f}x" for seconds in split) + " bare aggregate",
            "",
        ),
        (
            "the day's raw rows read and summed alone (nothing written)",
            f"{t_day_read:.2f} s",
            f"{t_day_read / t_floor_agg:.2f}x bare aggregate",
            "",
        ),
        (
            f"bare GROUP BY account over the {policy.window_days}-day window",
            f"{t_floor_agg:.2f} s",
            f"{window_rows:,} raw rows",
            "",
        ),
        (
            "naive per-account ORM loop (extrapolated)",
            f"{t_naive:.0f} s",
            f"recompute is {t_naive / t_recompute:.0f}x faster",
            ">= 50x",
        ),
    ]
    if not args.scale:
        table += plays_bench.table_rows(
            day=day, accounts=args.accounts, t_recompute=t_recompute, notes=notes
        )
    from bench import whatif_bench, workers_bench  # the what-if (issue 10); workers (issue 21)

    table += workers_bench.table_rows(
        day=day, accounts=args.accounts, broker=args.broker, notes=notes
    )

    if not args.scale:
        log("policy what-if")
        table.append(whatif_bench.table_row(day=day, accounts=args.accounts, notes=notes))
    print(render(table))
    for note in notes:
        print(f"- {note}")
    info = machine()
    info["load_start"] = load_start
    output = Path(args.output)
    previous = output.read_text(encoding="utf-8") if output.exists() else ""
    if args.scale:
        section = scale_section(table, info, notes, accounts=args.accounts, apps=args.apps)
        output.write_text(with_scale_section(previous, section), encoding="utf-8")
        log(f"wrote the {SCALE_HEADING.strip()} section of {args.output}")
        return
    # The load test's rows (make load) and make bench-scale's section are kept: other runs.
    kept = ""
    if "\n## Load test" in previous:
        # scripts/bench.sh appends the API and page sections again after this run.
        kept = previous[previous.index("\n## Load test") :].split("\n## REST API latency")[0]
    scale = _section(previous, SCALE_HEADING)
    kept = kept.replace(scale, "") + scale
    output.write_text(markdown(table, info, notes) + kept, encoding="utf-8")
    log(f"wrote {args.output}")
