"""Policy what-if figures for `make bench`: time of `metrics.whatif.what_if` over every account.

The what-if reads the per-(account, day) rollup, the connector feed, visits
and requirements (never the raw app feed, never the stored status), and runs
the status SELECT twice (current and proposed policy) in one statement.
Target (issue 10): under 2 s at 100,000 accounts on PostgreSQL.

`bench/run.py` calls `table_row` after its recompute, on its own database
(the rollup of the whole window is built by then). Standalone:

    DATABASE_URL=postgres://…/some_scratch_db python -m bench.whatif_bench [--generate] [--accounts N]

`--generate` fills an EMPTY, migrated database with `--accounts` synthetic
accounts and, for the window ending yesterday, the rollup itself (generated in
SQL, skipping the raw feed the what-if does not read), connectors, visits and
requirements; without it the database's own data is used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

from core.days import last_complete_day

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from accounts.models import Account  # noqa: E402
from bench import common  # noqa: E402
from metrics import status_sql, whatif  # noqa: E402
from metrics.models import AccountDayUsage, MetricPolicy  # noqa: E402

# A proposal that moves every part of the answer: DAG flags, the window, and level 3.
PROPOSAL = {"dag_min_minutes": 90, "dag_min_apps": 4, "window_days": 28, "deep_min_dag_rate": 0.4}
TARGET_SECONDS = 2.0


def measure(*, day: dt.date, repeat: int = 3) -> dict:
    """Run the what-if `repeat` times on `day` (the first run warms the cache); best and median."""
    seconds, answer = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = whatif.what_if(day=day, proposed=PROPOSAL)
        seconds.append(time.perf_counter() - started)
    return {
        "best": min(seconds),
        "median": statistics.median(seconds),
        "runs": seconds,
        "changed": len(answer["changed"]),
        "current": answer["current"],
        "proposed": answer["proposed"],
    }


def table_row(*, day: dt.date, accounts: int, notes: list[str]) -> tuple[str, str, str, str]:
    """bench/run.py's table row for the what-if (and a note with the details)."""
    result = measure(day=day)
    notes.append(
        f"Policy what-if on {day} with {PROPOSAL}: runs of "
        f"{', '.join(f'{s:.2f}' for s in result['runs'])} s (best reported); DAG accounts "
        f"{result['current']['dag_accounts']:,} → {result['proposed']['dag_accounts']:,}, deep "
        f"customers {result['current']['deep_customers']:,} → "
        f"{result['proposed']['deep_customers']:,}, {result['changed']:,} accounts changed."
    )
    return (
        f"policy what-if, {accounts:,} accounts (status SELECT under 2 policies, nothing written)",
        f"{result['best']:.2f} s",
        f"{result['changed']:,} accounts changed",
        f"< {TARGET_SECONDS:.0f} s",
    )


def generate(*, accounts: int, last: dt.date) -> None:
    """Synthetic accounts and the rollup of the window ending `last`, in SQL (empty database only)."""
    if Account.objects.exists():
        raise SystemExit("--generate needs a database without accounts")
    policy = MetricPolicy.objects.current()
    first = status_sql.window_start(last, policy)
    ids = common.make_accounts(accounts)
    rollup = AccountDayUsage._meta.db_table
    common.execute(
        f"""
        INSERT INTO {rollup} (account_id, day, minutes, apps_used, analytics_minutes)
        SELECT a, d::date,
               (a * 7919 + (d::date - %(first)s::date) * 104729) %% 240,
               (a * 3 + (d::date - %(first)s::date)) %% 9,
               CASE WHEN (a + (d::date - %(first)s::date)) %% 5 = 0 THEN 15 ELSE 0 END
        FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') d
        CROSS JOIN generate_series(%(low)s::bigint, %(high)s::bigint) a
        """,  # noqa: S608 - table name from model meta
        {"first": first, "last": last, "low": ids[0], "high": ids[1]},
    )
    common.generate_connectors_visits_requirements(first=first, last=last, ids=ids)
    with connection.cursor() as cursor:
        for table in (
            rollup,
            "metrics_connectorusage",
            Account._meta.db_table,
            "visits_visit",
            "visits_requirement",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.whatif_bench")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("the benchmark runs on PostgreSQL only (DATABASE_URL)")
    day = last_complete_day()
    if args.generate:
        started = time.perf_counter()
        generate(accounts=args.accounts, last=day)
        print(f"generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    accounts = Account.objects.count()
    result = measure(day=day, repeat=args.repeat)
    print(
        f"what-if, {accounts:,} accounts, {day}: best {result['best']:.2f} s, median "
        f"{result['median']:.2f} s (runs {', '.join(f'{s:.2f}' for s in result['runs'])}); "
        f"{result['changed']:,} changed; current {result['current']['dag_accounts']:,} DAG / "
        f"{result['current']['deep_customers']:,} deep, proposed "
        f"{result['proposed']['dag_accounts']:,} DAG / {result['proposed']['deep_customers']:,} deep"
    )


if __name__ == "__main__":
    main()
