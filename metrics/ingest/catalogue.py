"""The App and Connector catalogues as the feeds see them: registering and merging codes."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.csv_import import ImportReport, RowRejected
from metrics.models import FEED_NUMBER_BOUNDS, App, PendingRecompute
from metrics.recompute_queue import affected_until, schedule_recompute

from .feeds import APP_FEED, CONNECTOR_FEED, Feed

# A code a feed may register: lower-case letters, digits and '_' (what a feed sends is
# lower-cased first, so `BI` is `bi`), at most CODE_MAX_LENGTH characters.
_CODE_RE = re.compile(r"^[a-z0-9_]+$")
CODE_MAX_LENGTH = 40
# A request or file may register at most this many unknown codes; rows naming more are refused
# (a typo or a probe should not grow the company catalogue by hundreds of codes).
MAX_NEW_CODES = 5


def check_new_code(field_name: str, code: str, *, registered: int) -> None:
    """Refuse (RowRejected) an unknown, lower-cased catalog code a feed may not register.

    `registered`: unknown codes this request or file registers already (at most MAX_NEW_CODES).
    """
    if len(code) > CODE_MAX_LENGTH or not _CODE_RE.match(code):
        raise RowRejected(
            field_name,
            _(
                "%(value)r is not a valid code (lower-case letters, digits and '_', "
                "at most %(max)d characters)"
            )
            % {"value": code[:80], "max": CODE_MAX_LENGTH},
        )
    if registered >= MAX_NEW_CODES:
        raise RowRejected(
            field_name,
            _(
                "unknown code %(value)r: one request or file may register at most %(max)d new "
                "codes; ask an administrator to add it to the catalogue"
            )
            % {"value": code, "max": MAX_NEW_CODES},
        )


def register_code(feed: Feed, code: str, report: ImportReport) -> int:
    """The catalog id of `code`, registering it (category/kind `other`) when unknown."""
    found = feed.catalog.objects.filter(code=code).values_list("id", flat=True).first()
    if found is not None:
        return found
    report.registered.append(code)
    return feed.catalog.objects.create(
        code=code, name=code, registered_by_feed=True, confirmed=False, **feed.register_defaults
    ).pk


def confirm_codes(*, codes) -> int:
    """Mark catalog entries (a queryset of App or Connector) as reviewed; entries changed."""
    return codes.filter(confirmed=False).update(confirmed=True)


def merge_code(*, source, target) -> int:
    """Merge a stray catalog code into the right one (both App, or both Connector); feed rows moved.

    Inside one transaction: the source's feed rows move to the target; where the
    target already has a row of the same account and day, the values are added
    (capped at FEED_NUMBER_BOUNDS); the source is deleted and the days touched
    are recomputed.
    """
    feed = APP_FEED if isinstance(source, App) else CONNECTOR_FEED
    if type(source) is not type(target) or source.pk == target.pk:
        raise ValueError("merge a code into another code of the same catalog")
    table, code_column = feed.table, feed.catalog_column
    same_key = f"s.account_id = {table}.account_id AND s.day = {table}.day AND s.{code_column} = %s"
    # The sum of the two rows of a key, capped at the column's bound. Names from model meta.
    sums = ", ".join(
        f"{v} = (SELECT CASE WHEN {table}.{v} + s.{v} > {int(FEED_NUMBER_BOUNDS[v])} "  # noqa: S608
        f"THEN {int(FEED_NUMBER_BOUNDS[v])} ELSE {table}.{v} + s.{v} END "
        f"FROM {table} s WHERE {same_key})"
        for v in feed.value_fields
    )
    # Rows whose values or code change are stamped as the ingest stamps them (metrics.window).
    stamps = "".join(
        f", {column} = {value}"
        for column, value in zip(feed.stamps, feed.stamp_values(), strict=True)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(day), MAX(day), COUNT(*) FROM {table} WHERE {code_column} = %s",  # noqa: S608
            [source.pk],
        )
        first, last, moved = cursor.fetchone()
        if moved:
            cursor.execute(
                f"UPDATE {table} SET {sums}{stamps} WHERE {code_column} = %s "  # noqa: S608
                f"AND EXISTS (SELECT 1 FROM {table} s WHERE {same_key})",
                [*([source.pk] * len(feed.value_fields)), target.pk, source.pk],
            )
            cursor.execute(
                f"DELETE FROM {table} WHERE {code_column} = %s "  # noqa: S608
                f"AND EXISTS (SELECT 1 FROM {table} s WHERE {same_key})",
                [source.pk, target.pk],
            )
            cursor.execute(
                f"UPDATE {table} SET {code_column} = %s{stamps} WHERE {code_column} = %s",  # noqa: S608
                [target.pk, source.pk],
            )
        source.delete()
        if moved:
            if isinstance(first, str):  # SQLite hands dates back as text here
                first, last = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
            schedule_recompute(
                start=first, end=affected_until(last), reason=PendingRecompute.Reason.MANUAL
            )
    return moved
