"""The business day: "today" and "yesterday" where the business runs, and when a day ends.

Feeds are dated in Asia/Shanghai; the last complete day (yesterday there) is what
pages and endpoints show when no day is asked for.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def business_today() -> dt.date:
    """Today's date where the business runs (feeds are dated in Asia/Shanghai)."""
    return dt.datetime.now(BUSINESS_TZ).date()


def last_complete_day() -> dt.date:
    """Yesterday in Asia/Shanghai: the last day whose feeds are complete, shown by default."""
    return business_today() - dt.timedelta(days=1)


def end_of_day(day: dt.date) -> dt.datetime:
    """The instant `day` ends in Asia/Shanghai (midnight starting the next day), timezone-aware."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=BUSINESS_TZ)
