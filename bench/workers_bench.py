"""One day's recompute on one Celery worker process and on two, for `make bench` (issue 21).

The recompute of every account for one day is scheduled as the nightly task
does (a PendingRecompute row), split into account-id ranges, and run by real
`celery worker` processes on the bench database through Redis (the sweep sends
one task per chunk; each worker claims a chunk with its lease). Timed from the
schedule to the last pending row gone, with the workers already up; the day's
status rows are deleted first, so both runs do the same work. Each worker runs
its chunks' plays too (the CTAs are already open: they are refreshed).
Target: two workers at most 0.6x one worker's wall time.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
import time

from django.db import transaction

from bench.common import execute, log
from metrics import recompute_queue
from metrics.models import AccountDailyStatus, PendingRecompute
from tests.real_celery import worker_processes

TARGET_RATIO = 0.6
CHUNKS = 4
TIMEOUT = 1800


def time_recompute_on(*, day: dt.date, workers: int, accounts: int, broker: str) -> float:
    """Seconds for `workers` worker processes to recompute `day` for every account."""
    AccountDailyStatus.objects.filter(day=day).delete()
    PendingRecompute.objects.all().delete()
    execute("CHECKPOINT")
    with (
        tempfile.TemporaryDirectory() as logs,
        worker_processes("frontline-bench", workers, logs, broker=broker),
    ):
        started = time.perf_counter()  # the workers are up and answered a ping
        with transaction.atomic():  # split before the sweep (sent on commit) sees the row
            recompute_queue.schedule_recompute(start=day, end=day)
            recompute_queue.split_pending_recomputes(chunk_accounts=math.ceil(accounts / CHUNKS))
        deadline = started + TIMEOUT
        while PendingRecompute.objects.exists():
            if time.perf_counter() > deadline:
                raise SystemExit(f"the workers did not finish in {TIMEOUT} s (logs: {logs})")
            time.sleep(0.1)
        return time.perf_counter() - started


def table_rows(*, day: dt.date, accounts: int, broker: str, notes: list[str]):
    if not broker:
        notes.append("No broker: the one-worker / two-worker comparison was not run.")
        return []
    log("recompute of a day on one worker process, then on two")
    one = time_recompute_on(day=day, workers=1, accounts=accounts, broker=broker)
    two = time_recompute_on(day=day, workers=2, accounts=accounts, broker=broker)
    notes.append(
        f"Workers: the day's recompute (and its plays) for {accounts:,} accounts in {CHUNKS} "
        f"account-id chunks, run by real `celery worker --pool solo` processes: one worker "
        f"{one:.2f} s, two workers {two:.2f} s (the workers started before the timing)."
    )
    return [
        (
            f"recompute 1 day on 2 workers ({CHUNKS} chunks)",
            f"{two:.2f} s",
            f"{two / one:.2f}x one worker ({one:.2f} s)",
            f"<= {TARGET_RATIO}x one worker",
        )
    ]
