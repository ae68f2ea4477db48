"""Pipeline-page figures for `make bench`: render time and query count of the COO's pages.

Measured in-process (Django's test client through the whole middleware and
template stack, logged in as a COO), on the database of DATABASE_URL. Makes
sure (once, reused on later runs; compatible with `bench.api_bench`)
`--accounts` synthetic accounts exist with a stored status on every day the
pages read (the 30 days of the DAG trend, the 12 weekly points of the
deep-integration trend), written set-based in SQL (PostgreSQL), then times:

- /pipeline/ (five verticals side by side): the first render (trend cache
  empty) and the median of the next ones (trends from the cache);
- /pipeline/manufacturing/ (one vertical, accounts by name and by score, both ways);
- an account page.

Usage (PostgreSQL, migrated database):
    DATABASE_URL=postgres://… python -m bench.pipeline_bench [--accounts 100000] [--repeat 10]
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
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Account  # noqa: E402
from core.days import last_complete_day  # noqa: E402
from metrics.models import MetricPolicy  # noqa: E402
from reports import pipeline  # noqa: E402
from verticals.models import Membership, Role  # noqa: E402

PREFIX = "bench-"


def days_read(day: dt.date) -> list[dt.date]:
    """Every day whose stored status the pipeline pages read for `day`."""
    return sorted(
        {day - dt.timedelta(days=k) for k in range(pipeline.DAG_TREND_DAYS)}
        | {day - dt.timedelta(weeks=k) for k in range(pipeline.DEEP_TREND_WEEKS)}
        | {day - dt.timedelta(days=pipeline.TURNED_RED_LOOKBACK_DAYS)}
    )


def ensure_data(accounts: int, day: dt.date) -> None:
    """Create the missing synthetic accounts and status rows (PostgreSQL, set-based)."""
    if connection.vendor != "postgresql":
        raise SystemExit("the pipeline bench writes with PostgreSQL's generate_series")
    have = Account.objects.filter(external_id__startswith=PREFIX).count()
    policy = MetricPolicy.objects.current()
    with transaction.atomic(), connection.cursor() as cursor:
        if have < accounts:
            print(f"creating {accounts - have} accounts …", file=sys.stderr)
            # The same names as bench.api_bench: external ids bench-0000000, bench-0000001, …
            cursor.execute(
                """
                INSERT INTO accounts_account (external_id, name, local_name, vertical_id,
                    headcount, region, dedicated_deployment, cloud_customer, stage,
                    created_at, updated_at)
                SELECT %s || lpad(n::text, 7, '0'), 'Bench Enterprise ' || lpad(n::text, 7, '0'),
                       '基准企业' || n, v.ids[1 + n %% array_length(v.ids, 1)],
                       (n * 7919) %% 1500000, 'East China', n %% 9 = 0, n %% 4 = 0,
                       (ARRAY['prospect','onboarding','adopting','expanding','at_risk','churned'])
                           [1 + n %% 6],
                       now(), now()
                FROM generate_series(%s, %s) AS n,
                     (SELECT array_agg(id ORDER BY position, code) AS ids
                      FROM verticals_vertical) AS v
                ON CONFLICT (external_id) DO NOTHING
                """,
                [PREFIX, have, accounts - 1],
            )
        print("writing the missing status rows …", file=sys.stderr)
        # Deterministic per (account, day): levels climb over time, DAG comes and goes.
        cursor.execute(
            """
            INSERT INTO metrics_accountdailystatus (account_id, day, policy_id, minutes,
                apps_used, is_dag, dag_days, dag_rate, connectors, records, analytics_days,
                max_apps_used, deep_integration_level, days_since_visit, overdue_requirements,
                points_dag_rate, points_integration, points_breadth, points_recency,
                points_requirements, score, color)
            SELECT a.id, d.day, %s, h.minutes, h.apps, h.minutes >= 60 AND h.apps >= 3,
                   h.dag_days, h.dag_days / 30.0, h.level, h.level * 20000, h.level * 2, h.apps,
                   h.level, 10, 0, h.points_dag, 10 * h.level, 10, 10, 10,
                   least(100, round(h.points_dag + 10 * h.level + 30)),
                   CASE WHEN h.points_dag + 10 * h.level + 30 >= 70 THEN 'green'
                        WHEN h.points_dag + 10 * h.level + 30 >= 40 THEN 'yellow'
                        ELSE 'red' END
            FROM accounts_account a
            CROSS JOIN unnest(%s::date[]) AS d(day)
            CROSS JOIN LATERAL (
                SELECT (a.id * 131 + (d.day - DATE '2000-01-01') * 17) %% 400 AS minutes,
                       (a.id * 7 + (d.day - DATE '2000-01-01')) %% 8 AS apps,
                       (a.id * 3 + (d.day - DATE '2000-01-01')) %% 31 AS dag_days,
                       greatest(0, least(3, a.id %% 4
                           - CASE WHEN (d.day - DATE '2000-01-01') %% 90 > a.id %% 90
                                  THEN 0 ELSE 1 END)) AS level
            ) AS r
            CROSS JOIN LATERAL (
                SELECT r.minutes, r.apps, r.dag_days, r.level,
                       30 * least(1, r.dag_days / 15.0) AS points_dag
            ) AS h
            WHERE a.external_id LIKE %s
            ON CONFLICT (account_id, day) DO NOTHING
            """,
            [policy.pk, days_read(day), PREFIX + "%"],
        )
        cursor.execute("ANALYZE accounts_account")
        cursor.execute("ANALYZE metrics_accountdailystatus")


def coo_client() -> Client:
    user, _created = get_user_model().objects.get_or_create(
        username="bench_coo", defaults={"is_staff": True}
    )
    Membership.objects.get_or_create(user=user, vertical=None, role=Role.COO)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def render(client: Client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(captured.captured_queries)


def measure(client: Client, url: str, repeat: int) -> dict:
    cache.clear()  # the first render computes the trends, as after a cache expiry
    first, queries = render(client, url)
    timings = [render(client, url)[0] for _ in range(repeat)]
    return {"first": first, "median": statistics.median(timings), "queries": queries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--output", type=Path)
    options = parser.parse_args()

    day = last_complete_day()
    ensure_data(options.accounts, day)
    client = coo_client()
    # bench.run and bench.api_bench number their accounts differently: take one that exists.
    named = Account.objects.filter(external_id__startswith=PREFIX).order_by("external_id")
    one = named.values_list("external_id", flat=True)[named.count() // 2]
    cases = [
        ("/pipeline/ (five verticals)", f"/pipeline/?date={day}"),
        ("/pipeline/manufacturing/ (accounts by name)", f"/pipeline/manufacturing/?date={day}"),
        (
            "/pipeline/manufacturing/ (accounts by score)",
            f"/pipeline/manufacturing/?date={day}&sort=-score",
        ),
        (
            "/pipeline/manufacturing/ (accounts by score, lowest first)",
            f"/pipeline/manufacturing/?date={day}&sort=score",
        ),
        ("account page", f"/accounts/{one}/?date={day}"),
    ]
    total = Account.objects.count()
    lines = [
        f"Pipeline pages on {connection.vendor}, {total:,} accounts, first render (trend cache "
        f"empty) then the median of {options.repeat}, in-process "
        f"({platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        "| page | first ms | median ms | SQL queries |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, url in cases:
        figures = measure(client, url, options.repeat)
        lines.append(
            f"| {label} | {figures['first']:.0f} | {figures['median']:.0f} | {figures['queries']} |"
        )
    table = "\n".join(lines)
    print(table)
    if options.output:
        options.output.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
