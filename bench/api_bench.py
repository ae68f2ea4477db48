"""API figures for `make bench`: latency and query counts of the REST API on a large database.

Measured in-process (Django's test client through the whole middleware and
DRF stack, with a real token of an `api_client` user), so the numbers are the
application's own, without network or server-process overhead. Times:

- a 50-row accounts page (default ordering),
- a filtered 50-row page (vertical + colour + DAG-rate range, ordered by score),
- a 50-row page ordered by score with no filter (best first),
- a deep page (following `next` from the 20th page on),
- an account's health detail for a day.

On a database that already holds `--accounts` accounts with computed status
(e.g. after bench/run.py) those are used as they are; otherwise synthetic
accounts (`bench-…`) with two days of status are created first, once.

Standalone:
    DATABASE_URL=postgres://… python -m bench.api_bench [--accounts 100000] [--repeat 30]
From another bench script (Django set up): `api_figures(accounts=…, repeat=…)`
returns the rows and `markdown_table(rows)` renders them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

from core.days import business_today

PREFIX = "bench-"
STATUS_DAYS = 2
BATCH = 10_000
COLORS = ("green", "yellow", "red")


def ensure_data(accounts: int) -> None:
    """Create synthetic accounts and status rows unless the database already has enough."""
    from django.db import connection

    from accounts.models import Account, Stage
    from metrics.models import AccountDailyStatus, MetricPolicy
    from metrics.planner_stats import refresh_status_statistics
    from verticals.models import Vertical

    if (
        Account.objects.count() >= accounts
        and AccountDailyStatus.objects.values("day").distinct().exists()
    ):
        # The data of `make bench`, whose recompute called the engine directly: refresh the
        # planner's statistics of its latest day as the recompute queue does after a day.
        latest = AccountDailyStatus.objects.order_by("-day").values_list("day", flat=True)[0]
        refresh_status_statistics([latest])
        return
    stages = [s.value for s in Stage]
    day = business_today() - dt.timedelta(days=1)
    verticals = list(Vertical.objects.all())
    have = Account.objects.filter(external_id__startswith=PREFIX).count()
    print(f"creating {max(0, accounts - have)} accounts …", file=sys.stderr)
    for start in range(have, accounts, BATCH):
        Account.objects.bulk_create(
            [
                Account(
                    external_id=f"{PREFIX}{n:07d}",
                    name=f"Bench Enterprise {n:07d}",
                    local_name=f"基准企业{n}",
                    vertical=verticals[n % len(verticals)],
                    headcount=(n * 7919) % 1_500_000,
                    stage=stages[n % len(stages)],
                )
                for n in range(start, min(start + BATCH, accounts))
            ]
        )
    ids = list(
        Account.objects.filter(external_id__startswith=PREFIX)
        .order_by("id")
        .values_list("id", flat=True)[:accounts]
    )
    policy = MetricPolicy.objects.current()
    for back in range(STATUS_DAYS):
        status_day = day - dt.timedelta(days=back)
        print(f"writing status rows of {status_day} …", file=sys.stderr)
        AccountDailyStatus.objects.filter(day=status_day, account_id__in=ids).delete()
        for start in range(0, len(ids), BATCH):
            AccountDailyStatus.objects.bulk_create(
                [
                    AccountDailyStatus(
                        account_id=account_id,
                        day=status_day,
                        policy=policy,
                        minutes=(account_id * 37) % 900,
                        apps_used=account_id % 8,
                        is_dag=account_id % 3 == 0,
                        dag_days=account_id % 31,
                        dag_rate=(account_id % 31) / 30,
                        connectors=account_id % 4,
                        records=(account_id * 101) % 50_000,
                        analytics_days=account_id % 9,
                        deep_integration_level=account_id % 4,
                        score=(account_id * 13 + back) % 101,
                        color=COLORS[(account_id + back) % 3],
                    )
                    for account_id in ids[start : start + BATCH]
                ]
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE accounts_account")
            cursor.execute(f"ANALYZE {AccountDailyStatus._meta.db_table}")


def _client():
    """A test client with a fresh key of an api_client user (each key has its own throttle budget)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from verticals.api.tokens import issue_api_token
    from verticals.models import Membership, Role

    user, _created = get_user_model().objects.get_or_create(username="bench_api_client")
    Membership.objects.get_or_create(user=user, vertical=None, role=Role.API_CLIENT)
    _token, key = issue_api_token(user=user, name="bench")
    return Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_HOST="127.0.0.1")


def _measure(url: str, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client()
    client.get(url)  # warm caches and the key's last_used_at stamp
    timings = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        queries = len(captured.captured_queries)
    timings.sort()
    p95 = timings[max(0, int(round(0.95 * len(timings))) - 1)]
    return {"median_ms": statistics.median(timings), "p95_ms": p95, "queries": queries}


def api_figures(*, accounts: int = 100_000, repeat: int = 30) -> list[dict]:
    """Latency (median, p95, ms) and SQL query count of each measured request."""
    from metrics.models import AccountDailyStatus

    ensure_data(accounts)
    latest = AccountDailyStatus.objects.order_by("-day", "account_id").first()
    one = latest.account.external_id
    deep = "/api/v1/accounts/?page_size=50"
    walker = _client()
    for _ in range(20):
        deep = walker.get(deep).json()["next"] or deep
    cases = [
        ("accounts page (50 rows)", "/api/v1/accounts/?page_size=50"),
        (
            "filtered page (vertical, colour, DAG rate; by score)",
            "/api/v1/accounts/?page_size=50&vertical=manufacturing&color=red"
            "&dag_rate_min=0.2&dag_rate_max=0.8&ordering=-score",
        ),
        (
            "accounts page by score (50 rows, no filter)",
            "/api/v1/accounts/?page_size=50&ordering=-score",
        ),
        ("21st page (cursor)", deep),
        ("health detail", f"/api/v1/accounts/{one}/health/?date={latest.day}"),
    ]
    return [{"request": label, **_measure(url, repeat)} for label, url in cases]


def markdown_table(rows: list[dict]) -> str:
    lines = ["| request | median ms | p95 ms | SQL queries |", "| --- | ---: | ---: | ---: |"]
    lines += [
        f"| {r['request']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | {r['queries']} |"
        for r in rows
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    options = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    from django.db import connection

    from accounts.models import Account

    rows = api_figures(accounts=options.accounts, repeat=options.repeat)
    header = (
        f"REST API on {connection.vendor}, {Account.objects.count():,} accounts, "
        f"{options.repeat} requests each, in-process, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    table = f"{header}\n\n{markdown_table(rows)}"
    print(table)
    if options.output:
        options.output.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
