"""The two usage feeds: their columns, their bounds and how far back they reach."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.days import business_today
from metrics.models import (
    FEED_MAX_PEOPLE,
    FEED_NUMBER_BOUNDS,
    App,
    AppCategory,
    AppUsage,
    Connector,
    ConnectorUsage,
    SystemKind,
)

APP_USAGE_COLUMNS = ("account", "date", "app", "minutes", "active_users")
CONNECTOR_USAGE_COLUMNS = ("account", "date", "connector", "records")

# An ingest touching more accounts than this schedules "every account" for its
# days: the set-based recompute costs the same, and the pending row stays small.
MAX_LISTED_ACCOUNTS = 5_000


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def feed_number_too_large(name: str, value) -> str:
    """The reason a feed number above its bound (FEED_NUMBER_BOUNDS) is refused; says the bound."""
    bound = FEED_NUMBER_BOUNDS[name]
    shown = str(value)
    if len(shown) > 40:
        shown = shown[:40] + "…"
    if name == "minutes":
        return _(
            "%(value)s is too large: at most %(max)d (1440 minutes a day × %(people)d people)"
        ) % {"value": shown, "max": bound, "people": FEED_MAX_PEOPLE}
    if name == "active_users":
        return _("%(value)s is too large: at most %(max)d people") % {
            "value": shown,
            "max": bound,
        }
    return _("%(value)s is too large: at most %(max)d a day") % {"value": shown, "max": bound}


def retention_horizon() -> dt.date:
    """The oldest feed date accepted: today (Asia/Shanghai) minus FEED_RETENTION_DAYS."""
    return business_today() - dt.timedelta(days=settings.FEED_RETENTION_DAYS)


@dataclass(frozen=True)
class Feed:
    """What differs between the two feeds."""

    model: type
    catalog: type
    catalog_field: str  # CSV/JSON column naming the catalog code
    value_fields: tuple[str, ...]  # the integer columns, in order
    columns: tuple[str, ...]  # all CSV columns, in order
    register_defaults: dict = field(default_factory=dict)
    # Columns the database stamps on insert (db_default) that a changed row takes again.
    stamps: tuple[str, ...] = ()

    def stamp_values(self) -> tuple[str, ...]:
        """SQL literals of `stamps`: now, by our clock (the one `computed_at` is stamped by)."""
        value = connection.ops.adapt_datetimefield_value(timezone.now())
        if connection.vendor == "postgresql":
            return tuple(f"CAST('{value.isoformat()}' AS TIMESTAMPTZ)" for _ in self.stamps)
        return tuple(f"'{value}'" for _ in self.stamps)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def catalog_column(self) -> str:
        return f"{self.catalog_field}_id"

    @property
    def stage_table(self) -> str:
        return f"metrics_stage_{self.catalog_field}_usage"

    @property
    def stage_columns(self) -> tuple[str, ...]:
        return ("seq", "account_id", "day", self.catalog_column, *self.value_fields)

    @property
    def key_columns(self) -> tuple[str, ...]:
        return ("account_id", "day", self.catalog_column)


APP_FEED = Feed(
    model=AppUsage,
    catalog=App,
    catalog_field="app",
    value_fields=("minutes", "active_users"),
    columns=APP_USAGE_COLUMNS,
    register_defaults={"category": AppCategory.OTHER},
)
CONNECTOR_FEED = Feed(
    model=ConnectorUsage,
    catalog=Connector,
    catalog_field="connector",
    value_fields=("records",),
    columns=CONNECTOR_USAGE_COLUMNS,
    stamps=("changed_at",),
    register_defaults={"system_kind": SystemKind.OTHER},
)
