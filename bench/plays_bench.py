"""`run_plays` for one day beside the recompute of that day, for `make bench` (issue 18).

Target: evaluating every play for a day takes at most 0.5x the recompute of
that day, at 100,000 accounts. bench/run.py times its recompute with the plays
detached (without a broker their after-recompute task runs eagerly, inside the
recompute's own time), then calls `table_rows` on the same database: it
recomputes the days the plays look back to (not timed; `level_dropped` and
`turned_red` compare with d − 7, `dag_rate_fell` with d − 28), then times
`manage.py run_plays --date d` twice — the first run opens the CTAs, the second
finds them open and only refreshes them.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from io import StringIO

from django.core.management import call_command
from django.db import connection

from bench.common import Timer, log
from metrics import compute
from metrics.signals import day_recomputed
from plays.models import CTA, CTAStatus, Play
from plays.receivers import evaluate_recomputed_day

RECEIVER_UID = "plays.evaluate_recomputed_day"
TARGET_RATIO = 0.5


@contextmanager
def plays_detached():
    """A recompute without the plays' after-recompute evaluation (the bench times them apart)."""
    day_recomputed.disconnect(dispatch_uid=RECEIVER_UID)
    try:
        yield
    finally:
        day_recomputed.connect(evaluate_recomputed_day, dispatch_uid=RECEIVER_UID)


def lookback_days(day: dt.date) -> list[dt.date]:
    """The earlier days the default plays compare `day` with."""
    backs = set()
    for play in Play.objects.filter(active=True):
        back = play.effective_parameters.get("lookback_days")
        if back:
            backs.add(int(back))
    return sorted(day - dt.timedelta(days=b) for b in backs)


def prepare_lookback(*, day: dt.date) -> float:
    """Store the status of the lookback days (what earlier nights would have), in seconds."""
    with Timer() as timer, plays_detached():
        for earlier in lookback_days(day):
            compute.recompute(start=earlier, end=earlier)
    return timer.seconds


def time_run_plays(*, day: dt.date) -> dict:
    """`run_plays --date day`, first run and again; seconds and the CTAs it left open.

    The CTAs of an earlier run are deleted first and the table vacuumed (not timed), as
    autovacuum would have: the first run then opens every CTA into a table without the
    dead rows of the same keys."""
    CTA.objects.all().delete()
    if not connection.in_atomic_block:  # VACUUM cannot run in a transaction (a test's)
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {CTA._meta.db_table}")
    out = StringIO()
    with Timer() as first:
        call_command("run_plays", "--date", day.isoformat(), stdout=out)
    opened = CTA.objects.filter(status=CTAStatus.OPEN).count()
    with Timer() as again:
        call_command("run_plays", "--date", day.isoformat(), stdout=out)
    return {
        "first": first.seconds,
        "again": again.seconds,
        "open": opened,
        "output": out.getvalue().strip().splitlines(),
    }


def table_rows(
    *, day: dt.date, accounts: int, t_recompute: float, notes: list[str]
) -> list[tuple[str, str, str, str]]:
    """The bench table's rows for run_plays (and a note on what it did)."""
    log("run_plays for the same day (after recomputing its lookback days)")
    t_lookback = prepare_lookback(day=day)
    timing = time_run_plays(day=day)
    notes.append(
        f"run_plays --date {day}: the lookback days ({', '.join(map(str, lookback_days(day)))}) "
        f"were recomputed first ({t_lookback:.1f} s, not timed); the first run opened "
        f"{timing['open']:,} CTAs in {timing['first']:.2f} s, the second refreshed them in "
        f"{timing['again']:.2f} s. Its output: `{timing['output'][0] if timing['output'] else ''}`."
    )
    ratio = lambda seconds: f"{seconds / t_recompute:.2f}x recompute"  # noqa: E731
    return [
        (
            f"run_plays 1 day, {accounts:,} accounts (opening the CTAs)",
            f"{timing['first']:.2f} s",
            ratio(timing["first"]),
            f"<= {TARGET_RATIO}x recompute",
        ),
        (
            "run_plays again (every CTA already open: refreshed)",
            f"{timing['again']:.2f} s",
            ratio(timing["again"]),
            f"<= {TARGET_RATIO}x recompute",
        ),
    ]
