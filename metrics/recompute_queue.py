"""The recompute queue: PendingRecompute rows owed by ingests and policy changes, and running them."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from contextlib import contextmanager

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from core.days import last_complete_day
from metrics import compute, planner_stats
from metrics.models import MetricPolicy, PendingRecompute

logger = logging.getLogger(__name__)


# Accounts per chunk when a recompute of every account is fanned out to workers.
CHUNK_ACCOUNTS = 20_000
# How long a worker may hold a pending recompute before another may take it over.
RECOMPUTE_LEASE = dt.timedelta(minutes=30)
# A failed recompute is tried again after RETRY_FIRST, doubling each time up to RETRY_MAX.
RETRY_FIRST = dt.timedelta(minutes=1)
RETRY_MAX = dt.timedelta(hours=6)


_BIGINT_MAX = 2**63 - 1


def affected_until(last_day: dt.date) -> dt.date:
    """Last day whose window contains `last_day`, not past yesterday (or `last_day` if later)."""
    policy = MetricPolicy.objects.current()
    yesterday = last_complete_day()
    return min(last_day + dt.timedelta(days=policy.window_days - 1), max(yesterday, last_day))


def schedule_recompute(
    *,
    start: dt.date,
    end: dt.date,
    account_ids: list[int] | None = None,
    reason: str = PendingRecompute.Reason.MANUAL,
) -> PendingRecompute:
    """Record a recompute owed (durably, in the caller's transaction) and send the sweep on commit."""
    pending = PendingRecompute.objects.create(
        start=start, end=end, account_ids=account_ids, reason=reason
    )
    transaction.on_commit(_send_sweep, robust=True)
    return pending


def _send_sweep() -> None:
    from .tasks import sweep_pending_recomputes

    sweep_pending_recomputes.delay()


def split_pending_recomputes(*, chunk_accounts: int = CHUNK_ACCOUNTS) -> int:
    """Replace each pending recompute larger than a chunk by one row per chunk of accounts; rows added.

    "Every account" becomes inclusive account-id ranges of `chunk_accounts`
    accounts each; long explicit lists become shorter lists. Locked rows
    (another sweep is splitting them) are skipped.
    """
    added = 0
    with transaction.atomic():
        candidates = list(
            PendingRecompute.objects.select_for_update(skip_locked=True).filter(
                Q(claimed_until__isnull=True)
                & (
                    Q(account_ids__isnull=True, account_id_from__isnull=True)
                    | Q(account_ids__isnull=False)
                )
            )
        )
        bounds: list[tuple[int, int]] | None = None
        for pending in candidates:
            if pending.account_ids is not None:
                ids = list(pending.account_ids)
                if len(ids) <= chunk_accounts:
                    continue
                parts = [
                    {"account_ids": ids[i : i + chunk_accounts]}
                    for i in range(0, len(ids), chunk_accounts)
                ]
            else:
                if bounds is None:
                    bounds = _account_id_chunks(chunk_accounts)
                if len(bounds) <= 1:
                    continue
                parts = [{"account_id_from": lo, "account_id_to": hi} for lo, hi in bounds]
            PendingRecompute.objects.bulk_create(
                PendingRecompute(
                    start=pending.start, end=pending.end, reason=pending.reason, **part
                )
                for part in parts
            )
            pending.delete()
            added += len(parts)
    return added


def _account_id_chunks(chunk_accounts: int) -> list[tuple[int, int]]:
    """Inclusive id ranges of about `chunk_accounts` accounts each, covering every id.

    Large chunks start on an edge of the recompute's lock buckets (compute.LOCK_BUCKET_ACCOUNTS):
    two chunks sharing a bucket would wait for each other's lock (docs/scaling.md)."""
    ids = list(Account.objects.order_by("id").values_list("id", flat=True))
    if not ids:
        return []
    starts = [ids[i] for i in range(chunk_accounts, len(ids), chunk_accounts)]
    bucket = compute.LOCK_BUCKET_ACCOUNTS
    if chunk_accounts >= 4 * bucket:
        starts = sorted({max(1, round(start / bucket)) * bucket for start in starts})
    # The first chunk starts at 0 and the last is open-ended, so no account is ever missed.
    lows = [0, *starts]
    highs = [start - 1 for start in starts] + [_BIGINT_MAX]
    return list(zip(lows, highs, strict=True))


def pending_to_dispatch() -> list[int]:
    """Ids of pending recomputes nobody holds, nobody was sent recently and not waiting to retry.

    Marks them sent now. A failed row waits for its `next_attempt_at` (backoff).
    """
    now = timezone.now()
    stale = now - RECOMPUTE_LEASE
    with transaction.atomic():
        query = PendingRecompute.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale),
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        )
        ids = list(query.values_list("id", flat=True)[:1000])
        PendingRecompute.objects.filter(id__in=ids).update(dispatched_at=now)
    return ids


def chunk_lock_key(pending: PendingRecompute) -> str:
    accounts = (
        ",".join(str(i) for i in pending.account_ids)
        if pending.account_ids is not None
        else f"{pending.account_id_from}-{pending.account_id_to}"
    )
    return f"metrics:recompute:{pending.start}:{pending.end}:{uuid.uuid5(uuid.NAMESPACE_OID, accounts)}"


class ChunkBusy(Exception):
    """Another worker is recomputing the same chunk right now."""


@contextmanager
def chunk_lock(key: str, *, timeout: int = int(RECOMPUTE_LEASE.total_seconds())):
    """A cache add-lock (atomic in Redis and locmem): one holder per chunk; expires with the lease."""
    token = uuid.uuid4().hex
    if not cache.add(key, token, timeout):
        raise ChunkBusy(key)
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)


def run_pending_recompute(*, pending_id: int) -> int | None:
    """Claim, run and delete one pending recompute; status rows written, or None if it is held or done.

    The claim is a lease on the row (an atomic UPDATE), so two workers never run
    the same pending row; the chunk lock keeps two different rows for the same
    chunk (two ingests of one day) from running at once. A recompute that
    fails (an error of the database or of ours) does not raise: the row keeps
    the error, its claim is released and the sweep tries it again after a
    backoff (`record_recompute_failure`), so one poisoned row never stops the
    others. If even recording the failure fails (the database is gone), that
    error propagates and the task's own retry takes over.
    """
    now = timezone.now()
    claimed = PendingRecompute.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), id=pending_id
    ).update(claimed_until=now + RECOMPUTE_LEASE)
    if not claimed:
        return None
    pending = PendingRecompute.objects.get(id=pending_id)
    PendingRecompute.objects.filter(id=pending_id).update(attempts=pending.attempts + 1)
    try:
        with chunk_lock(chunk_lock_key(pending)):
            id_range = (
                (pending.account_id_from, pending.account_id_to)
                if pending.account_id_from is not None
                else None
            )
            written = compute.recompute(
                start=pending.start,
                end=pending.end,
                account_ids=pending.account_ids,
                account_id_range=id_range,
            )
    except ChunkBusy:
        PendingRecompute.objects.filter(id=pending_id).update(claimed_until=None)
        raise
    except Exception as exc:
        logger.exception("recompute %s (%s) failed", pending_id, pending)
        record_recompute_failure(pending_id=pending_id, attempts=pending.attempts + 1, error=exc)
        return None
    except BaseException:
        PendingRecompute.objects.filter(id=pending_id).update(claimed_until=None)
        raise
    PendingRecompute.objects.filter(id=pending_id).delete()
    planner_stats.refresh_status_statistics(days_finished(pending))
    return written


def days_finished(done: PendingRecompute) -> list[dt.date]:
    """The days of `done` (just deleted) that no other pending recompute still owes.

    Each worker asks after deleting its own row, so of the last chunks of a day
    finishing at once at least the last one sees none left.
    """
    owed = list(
        PendingRecompute.objects.filter(start__lte=done.end, end__gte=done.start).values_list(
            "start", "end"
        )
    )
    return [
        day
        for day in compute.days_in(done.start, done.end)
        if not any(start <= day <= end for start, end in owed)
    ]


def record_recompute_failure(*, pending_id: int, attempts: int, error: BaseException) -> None:
    """Keep a failed recompute's error on its row and schedule the next try (exponential backoff)."""
    now = timezone.now()
    delay = min(RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 16), RETRY_MAX)
    PendingRecompute.objects.filter(id=pending_id).update(
        claimed_until=None,
        dispatched_at=None,
        last_error=f"{type(error).__name__}: {error}"[:4000],
        failed_at=now,
        next_attempt_at=now + delay,
    )


def recompute_failures() -> int:
    """Pending recomputes whose last run failed (the admin index and /readyz show the count)."""
    return PendingRecompute.objects.exclude(last_error="").count()
