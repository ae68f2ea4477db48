"""What the benchmarks share: logging, a timer, raw SQL, and the synthetic accounts and data.

bench.run (make bench) and bench.whatif_bench both build their data with these, so
neither imports the other's helpers.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from collections import defaultdict
from contextlib import ExitStack

from django.db import connection

from accounts.models import Account
from core.days import end_of_day
from metrics.models import Connector, ConnectorUsage
from verticals.models import Vertical
from visits.models import Requirement, Visit


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Timer:
    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started


_INSERT_INTO = re.compile(r'\s*INSERT\s+INTO\s+"?(\w+)', re.IGNORECASE)


class StatementTimes:
    """Seconds spent in the statements run inside it, summed by the table each INSERT
    writes ("" for any other statement): where a timed call spends its time, at the
    cost of two clock reads a statement."""

    def __enter__(self):
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self._stack = ExitStack()
        self._stack.enter_context(connection.execute_wrapper(self._timed))
        return self

    def __exit__(self, *exc):
        self._stack.close()

    def _timed(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            written = _INSERT_INTO.match(sql)
            self.seconds[written.group(1) if written else ""] += time.perf_counter() - started


def execute(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() if cursor.description else None


def make_accounts(count: int) -> tuple[int, int]:
    """`count` accounts with external ids bench-000001…, inserted by one generate_series statement."""
    vertical_id = Vertical.objects.order_by("id").values_list("id", flat=True).first()
    fields = {f.column: f for f in Account._meta.concrete_fields if not f.primary_key}
    expressions = {
        # bench-000001… (seven digits from a million accounts on).
        "external_id": f"'bench-' || lpad(g::text, {max(6, len(str(count)))}, '0')",
        "name": "'Bench enterprise ' || g",
        "local_name": "'基准企业' || g",
        "vertical_id": str(int(vertical_id)),
        "headcount": "1000 + (g * 37) %% 200000",
        "region": "'East China'",
        "stage": "'adopting'",
        "created_at": "now()",
        "updated_at": "now()",
    }
    columns, values, params = [], [], []
    for column, field in fields.items():
        if column in expressions:
            columns.append(column)
            values.append(expressions[column])
        elif not field.null:
            columns.append(column)
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    sql = (
        f"INSERT INTO {Account._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM generate_series(1, %s) g"
    )
    execute(sql, [*params, count])
    low, high = execute(f"SELECT min(id), max(id) FROM {Account._meta.db_table}")  # noqa: S608
    return low, high


def generate_connectors_visits_requirements(*, first: dt.date, last: dt.date, ids: tuple[int, int]):
    """Connector feed (1 in 4 accounts one connector, 1 in 8 a second), visits and requirements."""
    execute(
        f"""
        INSERT INTO {ConnectorUsage._meta.db_table} (account_id, day, connector_id, records)
        SELECT a, d::date, c.id, (a * 17 + (d::date - %(first)s::date) * 13) %% 900
        FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') d
        CROSS JOIN generate_series(%(low)s::bigint, %(high)s::bigint) a
        CROSS JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rank
                    FROM {Connector._meta.db_table}) c
        WHERE (c.rank = 1 AND a %% 4 = 0) OR (c.rank = 2 AND a %% 8 = 0)
        ORDER BY 2, 1, 3  -- as a day's file is loaded: by day, then account
        """,  # noqa: S608
        {"first": first, "last": last, "low": ids[0], "high": ids[1]},
    )
    from django.contrib.auth import get_user_model

    author, _ = get_user_model().objects.get_or_create(username="bench-author")
    Visit.objects.bulk_create(
        (
            Visit(account_id=a, author=author, visited_on=last - dt.timedelta(days=a % 150))
            for a in range(ids[0], ids[1] + 1, 10)
        ),
        batch_size=5000,
    )
    end = end_of_day(last)
    Requirement.objects.bulk_create(
        (
            Requirement(account_id=a, title="bench", raised_at=end - dt.timedelta(hours=a % 200))
            for a in range(ids[0], ids[1] + 1, 20)
        ),
        batch_size=5000,
    )
