"""Policy what-if figures for `make bench`: time of `metrics.whatif.what_if` over every account.

The what-if reads the per-(account, day) rollup, the connector feed, visits
and requirements (never the raw app feed, never the stored status), and
computes both policies' DAG flag and level in one statement (metrics/whatif.py).
Target (issue 21): at most the time of the bare `GROUP BY account` over the
window's raw app-usage rows (bench/run.py's floor), measured side by side:
each repeat runs the bare aggregate, then the what-if.

`bench/run.py` calls `table_row` after its recompute, on its own database
(the rollup of the whole window is built by then). Standalone:

    DATABASE_URL=postgres://…/some_scratch_db python -m bench.whatif_bench [--generate] [--accounts N]

`--generate` fills an EMPTY, migrated database with `--accounts` synthetic
accounts and, for the window ending yesterday, the rollup itself (generated in
SQL, skipping the raw feed the what-if does not read), connectors, visits and
requirements; without it the database's own data is used. The ratio to the bare
aggregate needs the raw feed of the window (a database `make bench` filled, kept):
without it only the what-if's time is given.
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
from metrics.models import AccountDayUsage, AppUsage, MetricPolicy  # noqa: E402

# A proposal that moves every part of the answer: DAG flags, the window, and level 3.
PROPOSAL = {"dag_min_minutes": 90, "dag_min_apps": 4, "window_days": 28, "deep_min_dag_rate": 0.4}
TARGET_RATIO = 1.0  # x the bare GROUP BY over the window


def _has_raw_window(day: dt.date) -> bool:
    first = status_sql.window_start(day, MetricPolicy.objects.current())
    return AppUsage.objects.filter(day__gte=first, day__lte=day).exists()


def measure(*, day: dt.date, repeat: int = 3) -> dict:
    """Run the bare aggregate and the what-if in turns, `repeat` times each, on `day`; best and median.

    Turns, so that both see the same load; the best of each is compared. The
    first what-if run warms the cache for the rollup, as bench/run.py's first
    bare aggregate does for the raw feed.
    """
    from bench.run import bare_aggregate  # bench.run imports this module only inside main()

    first = status_sql.window_start(day, MetricPolicy.objects.current())
    with_floor = _has_raw_window(day)
    seconds, floors, answer = [], [], None
    for _ in range(repeat):
        if with_floor:
            floors.append(bare_aggregate(first=first, last=day))
        started = time.perf_counter()
        answer = whatif.what_if(day=day, proposed=PROPOSAL)
        seconds.append(time.perf_counter() - started)
    return {
        "best": min(seconds),
        "median": statistics.median(seconds),
        "runs": seconds,
        "floor": min(floors) if floors else None,
        "floor_runs": floors,
        "changed": len(answer["changed"]),
        "current": answer["current"],
        "proposed": answer["proposed"],
    }


def _ratio_text(result: dict) -> str:
    if result["floor"] is None:
        return "no raw feed: no bare aggregate"
    return f"{result['best'] / result['floor']:.2f}x bare GROUP BY ({result['floor']:.2f} s)"


def table_row(*, day: dt.date, accounts: int, notes: list[str]) -> tuple[str, str, str, str]:
    """bench/run.py's table row for the what-if (and a note with the details)."""
    result = measure(day=day)
    notes.append(
        f"Policy what-if on {day} with {PROPOSAL}: runs of "
        f"{', '.join(f'{s:.2f}' for s in result['runs'])} s (best reported); DAG accounts "
        f"{result['current']['dag_accounts']:,} → {result['proposed']['dag_accounts']:,}, deep "
        f"customers {result['current']['deep_customers']:,} → "
        f"{result['proposed']['deep_customers']:,}, {result['changed']:,} accounts changed."
        + (
            f" The bare GROUP BY beside it, run before each what-if run: "
            f"{', '.join(f'{s:.2f}' for s in result['floor_runs'])} s (best compared)."
            if result["floor_runs"]
            else ""
        )
    )
    return (
        f"policy what-if, {accounts:,} accounts (DAG flag and level under 2 policies, nothing written)",
        f"{result['best']:.2f} s",
        f"{_ratio_text(result)}; {result['changed']:,} accounts changed",
        f"<= {TARGET_RATIO:.0f}x bare GROUP BY",
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
        f"{result['median']:.2f} s (runs {', '.join(f'{s:.2f}' for s in result['runs'])}), "
        f"{_ratio_text(result)}; "
        f"{result['changed']:,} changed; current {result['current']['dag_accounts']:,} DAG / "
        f"{result['current']['deep_customers']:,} deep, proposed "
        f"{result['proposed']['dag_accounts']:,} DAG / {result['proposed']['deep_customers']:,} deep"
    )


if __name__ == "__main__":
    main()
