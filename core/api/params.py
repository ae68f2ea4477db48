"""Parsing of query and path parameters shared by the API views: strict dates, path ids, filters."""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter

from core.days import FUTURE_DAY, FutureDay, day_or_default

from .errors import InvalidParameter

# Dates the API accepts: far enough back for any history, and room for window arithmetic.
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2999, 12, 31)
DATE_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_ISO_DATE = re.compile(DATE_PATTERN)


def date_param(request, name: str) -> dt.date | None:
    """The query parameter `name` as a date (YYYY-MM-DD), None when absent; 400 naming it otherwise."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not _ISO_DATE.match(raw):
        raise InvalidParameter(
            name,
            _("Must be a date as YYYY-MM-DD between %(first)s and %(last)s.")
            % {"first": FIRST_DATE, "last": LAST_DATE},
        )
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidParameter(
            name, _("%(value)s is not a calendar date.") % {"value": raw}
        ) from None


def day_param(request, name: str = "date") -> dt.date:
    """The day an endpoint answers for: `name` as a date, refused when in the future,
    the last complete day when absent (core.days.day_or_default)."""
    try:
        return day_or_default(date_param(request, name))
    except FutureDay:
        raise InvalidParameter(name, FUTURE_DAY) from None


def date_parameter(name: str, description) -> OpenApiParameter:
    """The schema of a date query parameter parsed by `date_param`."""
    return OpenApiParameter(
        name,
        {"type": "string", "format": "date", "pattern": DATE_PATTERN},
        OpenApiParameter.QUERY,
        description=description,
    )


def is_clean_path_value(value: str) -> bool:
    """Path values with NUL characters cannot match anything (PostgreSQL refuses them)."""
    return "\x00" not in value


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet that refuses a present but empty value for non-text filters (`?stage=`).

    django-filter ignores such values; a client that sent one meant something,
    so it gets a 400 naming the parameter instead of an unfiltered list.
    """

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter):
                continue
            if name in self.data and self.data.get(name) == "":
                if name not in self.form.errors:
                    self.form.add_error(name, _("Must not be empty."))
                valid = False
        return valid
