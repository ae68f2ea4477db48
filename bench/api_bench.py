"""API figures for `make bench`: latency and query counts of the REST API on a large database.

Measured in-process (Django's test client through the whole middleware and
DRF stack, with a real token), so the numbers are the application's own,
without network or server-process overhead. Builds (once, reused on later
runs) `--accounts` synthetic accounts spread over the five verticals, each
with a computed status for the last `STATUS_DAYS` days, then times:

- a 50-row accounts page (default ordering),
- a filtered 50-row page (vertical + colour + DAG-rate range, ordered by score),
- a deep page (following `next` from the 20th page on),
- an account's health detail for a day.

Usage (PostgreSQL, migrated database):
    DATABASE_URL=postgres://… python -m bench.api_bench [--accounts 100000] [--repeat 30]
Prints a Markdown table; `--output FILE` also writes it there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The bench makes many requests with one key: lift the throttle for this process only.
os.environ["API_THROTTLE_TOKEN"] = "100000000/min"
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Account, Stage  # noqa: E402
from metrics.models import AccountDailyStatus, MetricPolicy  # noqa: E402
from verticals.api.tokens import issue_api_token  # noqa: E402
from verticals.models import Membership, Role, Vertical  # noqa: E402

PREFIX = "bench-"
STATUS_DAYS = 2
BATCH = 10_000
COLORS = ("green", "yellow", "red")
STAGES = [s.value for s in Stage]


def ensure_data(accounts: int) -> dt.date:
    """Create the synthetic accounts and their status rows unless they are already there."""
    day = timezone.localdate() - dt.timedelta(days=1)
    have = Account.objects.filter(external_id__startswith=PREFIX).count()
    verticals = list(Vertical.objects.all())
    if have < accounts:
        print(f"creating {accounts - have} accounts …", file=sys.stderr)
        for start in range(have, accounts, BATCH):
            Account.objects.bulk_create(
                [
                    Account(
                        external_id=f"{PREFIX}{n:07d}",
                        name=f"Bench Enterprise {n:07d}",
                        local_name=f"基准企业{n}",
                        vertical=verticals[n % len(verticals)],
                        headcount=(n * 7919) % 1_500_000,
                        stage=STAGES[n % len(STAGES)],
                    )
                    for n in range(start, min(start + BATCH, accounts))
                ]
            )
    ids = list(
        Account.objects.filter(external_id__startswith=PREFIX)
        .order_by("id")
        .values_list("id", flat=True)[:accounts]
    )
    policy = MetricPolicy.objects.latest()
    for back in range(STATUS_DAYS):
        status_day = day - dt.timedelta(days=back)
        done = AccountDailyStatus.objects.filter(day=status_day, account_id__in=ids[:1]).exists()
        if done and AccountDailyStatus.objects.filter(day=status_day).count() >= len(ids):
            continue
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
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE accounts_account")
            cursor.execute(f"ANALYZE {AccountDailyStatus._meta.db_table}")
    return day


def bench_client() -> Client:
    user, _created = get_user_model().objects.get_or_create(username="bench_api_client")
    Membership.objects.get_or_create(user=user, vertical=None, role=Role.API_CLIENT)
    _token, key = issue_api_token(user=user, name="bench")
    return Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_HOST="127.0.0.1")


def measure(client: Client, url: str, repeat: int) -> dict:
    client.get(url)  # warm caches (and the token's last_used_at stamp)
    timings = []
    queries = None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        queries = len(captured.captured_queries)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
    return {"median": statistics.median(timings), "p95": p95, "queries": queries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--output", type=Path)
    options = parser.parse_args()

    day = ensure_data(options.accounts)
    client = bench_client()
    deep = "/api/v1/accounts/?page_size=50"
    for _ in range(20):
        deep = client.get(deep).json()["next"]
    one = f"{PREFIX}{options.accounts // 2:07d}"
    cases = [
        ("accounts page (50 rows)", "/api/v1/accounts/?page_size=50"),
        (
            "filtered page (vertical, colour, DAG rate; by score)",
            "/api/v1/accounts/?page_size=50&vertical=manufacturing&color=red"
            "&dag_rate_min=0.2&dag_rate_max=0.8&ordering=-score",
        ),
        ("21st page (cursor)", deep),
        ("health detail", f"/api/v1/accounts/{one}/health/?date={day}"),
    ]
    total = Account.objects.count()
    lines = [
        f"API on {connection.vendor}, {total:,} accounts, {options.repeat} requests each, "
        f"in-process ({platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        "| request | median ms | p95 ms | SQL queries |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, url in cases:
        figures = measure(client, url, options.repeat)
        lines.append(
            f"| {label} | {figures['median']:.1f} | {figures['p95']:.1f} | {figures['queries']} |"
        )
    table = "\n".join(lines)
    print(table)
    if options.output:
        options.output.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
