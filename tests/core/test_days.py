"""The business day reads settings.TIME_ZONE, and one rule picks and refuses a page's day."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from core import days


def test_today_is_where_settings_time_zone_says():
    # Kiritimati (UTC+14) and Niue (UTC-11) are 25 hours apart: they never share a date,
    # and for one hour a day (10:00-11:00 UTC) they are two dates apart.
    with override_settings(TIME_ZONE="Pacific/Kiritimati"):
        east = days.business_today()
    with override_settings(TIME_ZONE="Pacific/Niue"):
        west = days.business_today()
    assert dt.timedelta(days=1) <= east - west <= dt.timedelta(days=2)
    assert east == dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert west == dt.datetime.now(ZoneInfo("Pacific/Niue")).date()


def test_the_last_complete_day_is_yesterday_there():
    with override_settings(TIME_ZONE="Pacific/Kiritimati"):
        assert days.last_complete_day() == days.business_today() - dt.timedelta(days=1)


def test_a_day_ends_at_the_next_midnight_there():
    with override_settings(TIME_ZONE="Europe/Berlin"):
        end = days.end_of_day(dt.date(2026, 7, 1))
    assert end == dt.datetime(2026, 7, 1, 22, 0, tzinfo=dt.UTC)


def test_the_default_day_is_the_last_complete_day_and_a_future_day_is_refused():
    today = days.business_today()
    assert days.day_or_default(None) == days.last_complete_day()
    assert days.day_or_default(today) == today
    with pytest.raises(days.FutureDay, match="The day cannot be in the future."):
        days.day_or_default(today + dt.timedelta(days=1))
