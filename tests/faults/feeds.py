"""Synthetic app-usage feed files for the fault tests: deterministic values, so overlapping files agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

APPS = ("chat", "meetings", "docs", "approval", "reports", "bi")
HEADER = "account,date,app,minutes,active_users\n"


def external_id(n: int) -> str:
    """The external id bench.run.make_accounts gives its n-th account (1-based)."""
    return f"bench-{n:06d}"


def row(n: int, day: dt.date, app_rank: int) -> str:
    """One feed line; the same key always has the same values (some apps unused on some days)."""
    minutes = (n * 31 + day.toordinal() * 7 + app_rank * 13) % 90
    users = 1 + (n + app_rank) % 40
    return f"{external_id(n)},{day.isoformat()},{APPS[app_rank]},{minutes},{users}\n"


def write(path: Path, *, accounts: Iterable[int], days: Iterable[dt.date]) -> int:
    """Write a feed file of accounts x days x APPS; data rows written."""
    days = list(days)
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for n in accounts:
            for day in days:
                for rank in range(len(APPS)):
                    handle.write(row(n, day, rank))
                    written += 1
    return written


def last_days(count: int, *, last: dt.date) -> list[dt.date]:
    return [last - dt.timedelta(days=back) for back in range(count - 1, -1, -1)]
