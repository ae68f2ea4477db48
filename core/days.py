"""The business day: "today" and "yesterday" where the business runs, and when a day ends.

The business runs in `settings.TIME_ZONE` (feeds are dated there). The last complete
day (yesterday there) is what pages and endpoints show when no day is asked for, and
a day after today is refused everywhere with the same message.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _

FUTURE_DAY = _("The day cannot be in the future.")


class FutureDay(ValueError):
    """A day after today was asked for; `str()` is the translated reason."""

    def __init__(self) -> None:
        super().__init__(str(FUTURE_DAY))


def business_tz() -> ZoneInfo:
    """The zone the business runs in (settings.TIME_ZONE), whatever zone is active."""
    return ZoneInfo(settings.TIME_ZONE)


def business_today() -> dt.date:
    """Today's date where the business runs."""
    return dt.datetime.now(business_tz()).date()


def last_complete_day() -> dt.date:
    """Yesterday where the business runs: the last day whose feeds are complete."""
    return business_today() - dt.timedelta(days=1)


def is_future(day: dt.date) -> bool:
    """Whether `day` is after today where the business runs."""
    return day > business_today()


def day_or_default(day: dt.date | None) -> dt.date:
    """The default day of a page or endpoint: `day`, or the last complete day when None.

    Raises FutureDay for a day after today.
    """
    if day is None:
        return last_complete_day()
    if is_future(day):
        raise FutureDay()
    return day


def end_of_day(day: dt.date) -> dt.datetime:
    """The instant `day` ends where the business runs (the next midnight), timezone-aware."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=business_tz())
