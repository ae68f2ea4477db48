"""Validation of one feed row, in Python: account, date, catalog code and numbers."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import Account
from core.csv_import import RowRejected, required_text
from core.days import business_today
from metrics.models import FEED_NUMBER_BOUNDS

from .catalogue import check_new_code
from .feeds import Feed, feed_number_too_large, retention_horizon

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RowParser:
    """Validates one feed row against the accounts, catalog and calendar; returns the staged tuple.

    Unknown catalog codes get a negative placeholder id (the staging stream
    cannot be interrupted to insert them); they are registered after it.
    """

    def __init__(self, feed: Feed, *, only_rows: list | None = None):
        self.feed = feed
        accounts = Account.objects.all()
        if only_rows is not None:
            # A request's list: look up just the accounts it names, not all of them.
            named = {
                str(row.get("account")).strip() for _, row in only_rows if isinstance(row, dict)
            }
            accounts = accounts.filter(external_id__in=named)
        self.accounts: dict[str, int] = dict(accounts.values_list("external_id", "id"))
        self.catalog: dict[str, int] = dict(feed.catalog.objects.values_list("code", "id"))
        self.new_codes: dict[str, int] = {}
        self.registered_elsewhere = 0  # new codes the COPY path registered itself
        self.today = business_today()
        self.horizon = retention_horizon()
        # Digit strings shorter than their bound's cannot exceed it (the fast path's test).
        self.short_digits = {
            name: len(str(FEED_NUMBER_BOUNDS[name])) - 1 for name in feed.value_fields
        }
        self.dates: dict[str, dt.date] = {}

    @staticmethod
    def _text(row: dict, name: str) -> str:
        return required_text(row, name)

    def _day(self, row: dict) -> dt.date:
        text = self._text(row, "date")
        day = self.dates.get(text)
        if day is not None:
            return day
        if not _DATE_RE.match(text):
            raise RowRejected("date", _("%(value)r is not a date (YYYY-MM-DD)") % {"value": text})
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise RowRejected(
                "date", _("%(value)r is not a valid date") % {"value": text}
            ) from None
        if day > self.today:
            raise RowRejected(
                "date",
                _("%(value)s is in the future (today is %(today)s in Asia/Shanghai)")
                % {"value": text, "today": self.today.isoformat()},
            )
        if day < self.horizon:
            raise RowRejected(
                "date",
                _(
                    "%(value)s is older than the feed keeps: the oldest date accepted is "
                    "%(horizon)s (FEED_RETENTION_DAYS = %(days)d)"
                )
                % {
                    "value": text,
                    "horizon": self.horizon.isoformat(),
                    "days": settings.FEED_RETENTION_DAYS,
                },
            )
        self.dates[text] = day
        return day

    @staticmethod
    def _count(row: dict, name: str) -> int:
        """A feed number: a whole number from 0 to its FEED_NUMBER_BOUNDS bound."""
        value = row.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = required_text(row, name)
            if text.isascii() and text.isdigit():
                if len(text) > 30:  # int() of thousands of digits is refused by Python itself
                    raise RowRejected(name, feed_number_too_large(name, text))
                number = int(text)
            elif text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
                raise RowRejected(
                    name, _("%(value)s is negative; must be 0 or more") % {"value": text}
                )
            else:
                raise RowRejected(name, _("%(value)s is not a whole number") % {"value": text})
        if number < 0:
            raise RowRejected(
                name, _("%(value)s is negative; must be 0 or more") % {"value": number}
            )
        if number > FEED_NUMBER_BOUNDS[name]:
            raise RowRejected(name, feed_number_too_large(name, number))
        return number

    def _catalog_id(self, row: dict) -> int:
        name = self.feed.catalog_field
        text = self._text(row, name)
        found = self.catalog.get(text)
        if found is not None:
            return found
        code = text.lower()
        found = self.catalog.get(code)
        if found is None:
            found = self.new_codes.get(code)
        if found is not None:
            return found
        check_new_code(name, code, registered=len(self.new_codes) + self.registered_elsewhere)
        placeholder = -(len(self.new_codes) + 1)
        self.new_codes[code] = placeholder
        return placeholder

    def use_header(self, header: list[str]) -> None:
        """Column positions of a CSV file's header, for `parse_values`."""
        self.header = header
        self.width = len(header)
        feed = self.feed
        self.at_account = header.index("account")
        self.at_date = header.index("date")
        self.at_code = header.index(feed.catalog_field)
        self.at_values = tuple(header.index(name) for name in feed.value_fields)

    def csv_dict(self, values: list[str]) -> dict:
        """The row as core.csv_import.read_csv_rows gives it: stripped, None when missing, extras kept."""
        row: dict = {
            name: (values[i].strip() if i < len(values) else None)
            for i, name in enumerate(self.header)
        }
        if len(values) > self.width:
            row["__extra__"] = ",".join(values[self.width :])
        return row

    def parse_values(self, values: list[str]) -> tuple:
        """Fast path for a CSV row whose values are all already known (the usual case).

        Dictionary lookups only, numbers passed through as digit strings; any
        other row goes through `parse` on its dict, which names what is wrong.
        """
        if len(values) == self.width:
            account_id = self.accounts.get(values[self.at_account])
            day = self.dates.get(values[self.at_date])
            code = values[self.at_code]
            catalog_id = self.catalog.get(code)
            if catalog_id is None:
                catalog_id = self.new_codes.get(code)
            if account_id is not None and day is not None and catalog_id is not None:
                numbers = [values[i] for i in self.at_values]
                for number, longest in zip(numbers, self.short_digits.values(), strict=True):
                    if not (number.isdigit() and number.isascii() and len(number) <= longest):
                        break
                else:
                    return (account_id, day, catalog_id, *numbers)
        return self.parse(self.csv_dict(values))

    def parse(self, row: dict) -> tuple:
        if not isinstance(row, dict):
            raise RowRejected("row", _("expected an object with the feed's fields"))
        if "__extra__" in row:
            raise RowRejected(
                "line",
                _("more values than the header has columns: %(extra)r")
                % {"extra": row["__extra__"]},
            )
        external_id = self._text(row, "account")
        account_id = self.accounts.get(external_id)
        if account_id is None:
            raise RowRejected("account", _("unknown account %(value)r") % {"value": external_id})
        day = self._day(row)
        catalog_id = self._catalog_id(row)
        values = tuple(self._count(row, name) for name in self.feed.value_fields)
        return (account_id, day, catalog_id, *values)
