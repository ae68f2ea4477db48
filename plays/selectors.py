"""Reads of plays and CTAs that the admin, the API and the pages where people work share.

Every read here is a fixed number of queries whatever the number of CTAs, so
the pages that list CTAs (my day, the account page, the pipeline, the digest,
the visit planner) do not grow with them.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from verticals.selectors import scope_by_vertical

from . import reasons
from .models import CTA, CTAStatus
from .triggers import Trigger

# How many CTAs the my-day panel lists (the rest are one click away under "My CTAs").
MY_DAY_LIMIT = 10
# The account page lists the CTAs closed within this many days.
RECENTLY_CLOSED_DAYS = 90
RECENTLY_CLOSED_LIMIT = 10
# The median days to close counts the CTAs closed within this many days.
MEDIAN_CLOSE_DAYS = 90
VERTICAL_LIST_LIMIT = 50


def ctas_visible_to(user) -> QuerySet[CTA]:
    """CTAs of the accounts in the user's verticals (all of them for company-wide roles)."""
    return scope_by_vertical(CTA.objects.all(), user, vertical_field="account__vertical_id")


def with_words(ctas: Iterable[CTA], *, today: dt.date) -> list[CTA]:
    """The CTAs with `reason_text` (in the active language) and `overdue` set, for a page."""
    result = []
    for cta in ctas:
        cta.reason_text = reasons.render(cta.play.trigger, cta.reason_numbers)
        cta.overdue = cta.is_overdue(today)
        if cta.status == CTAStatus.RESOLVED:
            cta.closed_text = reasons.render_resolution(
                closed_on=cta.closed_on, last_held_on=cta.last_held_on, clear_days=cta.clear_streak
            )
        else:
            cta.closed_text = cta.note
        result.append(cta)
    return result


@dataclass
class MyCTAs:
    """A person's open CTAs: how many, how many overdue, and the most urgent few."""

    open: int
    overdue: int
    ctas: list[CTA] = field(default_factory=list)


def my_open_ctas(user, *, today: dt.date, limit: int = MY_DAY_LIMIT) -> MyCTAs:
    """The user's open CTAs within their verticals, overdue first (earliest due first). Two queries."""
    mine = ctas_visible_to(user).filter(owner=user, status=CTAStatus.OPEN)
    counts = mine.aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    urgent = mine.select_related("play", "account").order_by("due_on", "id")[:limit]
    return MyCTAs(
        open=counts["open"], overdue=counts["overdue"], ctas=with_words(urgent, today=today)
    )


def account_ctas(
    *, account, today: dt.date, closed_days: int = RECENTLY_CLOSED_DAYS
) -> dict[str, list[CTA]]:
    """{"open": the account's open CTAs, "closed": those closed within `closed_days`}. Two queries."""
    ctas = CTA.objects.filter(account=account).select_related("play", "owner", "closed_by")
    open_ctas = ctas.filter(status=CTAStatus.OPEN).order_by("due_on", "id")
    closed = (
        ctas.exclude(status=CTAStatus.OPEN)
        .filter(closed_on__gte=today - dt.timedelta(days=closed_days))
        .order_by("-closed_on", "-closed_at", "-id")[:RECENTLY_CLOSED_LIMIT]
    )
    return {
        "open": with_words(open_ctas, today=today),
        "closed": with_words(closed, today=today),
    }


@dataclass
class VerticalCTAs:
    """A vertical's CTA numbers: open, overdue, and the median days to close of the recent ones."""

    open: int = 0
    overdue: int = 0
    closed: int = 0
    median_days_to_close: float | None = None


def cta_numbers_by_vertical(
    *, vertical_ids: list[int], today: dt.date, days: int = MEDIAN_CLOSE_DAYS
) -> dict[int, VerticalCTAs]:
    """Per vertical id: open and overdue CTAs now, and the median of (closed_on − opened_on) in
    days over the CTAs closed (done, dismissed or resolved) within the last `days` days. Two
    queries for all the verticals."""
    numbers = {vid: VerticalCTAs() for vid in vertical_ids}
    in_verticals = CTA.objects.filter(account__vertical_id__in=vertical_ids)
    rows = (
        in_verticals.filter(status=CTAStatus.OPEN)
        .values("account__vertical_id")
        .order_by()
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    )
    for row in rows:
        entry = numbers[row["account__vertical_id"]]
        entry.open, entry.overdue = row["open"], row["overdue"]
    durations: dict[int, list[int]] = defaultdict(list)
    closed = (
        in_verticals.exclude(status=CTAStatus.OPEN)
        .filter(closed_on__gt=today - dt.timedelta(days=days), closed_on__lte=today)
        .values_list("account__vertical_id", "opened_on", "closed_on")
    )
    for vertical_id, opened_on, closed_on in closed:
        durations[vertical_id].append((closed_on - opened_on).days)
    for vertical_id, values in durations.items():
        numbers[vertical_id].closed = len(values)
        numbers[vertical_id].median_days_to_close = statistics.median(values)
    return numbers


def vertical_open_ctas(*, vertical, today: dt.date, limit: int = VERTICAL_LIST_LIMIT) -> list[CTA]:
    """A vertical's open CTAs, overdue first (earliest due first). One query."""
    ctas = (
        CTA.objects.filter(account__vertical=vertical, status=CTAStatus.OPEN)
        .select_related("play", "account", "owner")
        .order_by("due_on", "id")[:limit]
    )
    return with_words(ctas, today=today)


def person_ctas_of_week(*, user, monday: dt.date) -> dict[str, list[CTA]]:
    """The user's CTAs for the digest of the week starting `monday`: "new" (opened in the week
    before, Monday to Sunday, still open) and "overdue" (open and due before `monday`). Two
    queries."""
    mine = (
        ctas_visible_to(user)
        .filter(owner=user, status=CTAStatus.OPEN)
        .select_related("play", "account")
    )
    new = mine.filter(opened_on__range=(monday - dt.timedelta(days=7), monday - dt.timedelta(1)))
    overdue = mine.filter(due_on__lt=monday)
    return {
        "new": with_words(new.order_by("opened_on", "id"), today=monday),
        "overdue": with_words(overdue.order_by("due_on", "id"), today=monday),
    }


def open_cta_triggers_by_account(account_ids: Iterable[int]) -> dict[int, list[str]]:
    """Per account id, the triggers of its open CTAs (sorted). One query."""
    result: dict[int, list[str]] = defaultdict(list)
    rows = (
        CTA.objects.filter(account_id__in=list(account_ids), status=CTAStatus.OPEN)
        .order_by("account_id", "play__trigger")
        .values_list("account_id", "play__trigger")
    )
    for account_id, trigger in rows:
        result[account_id].append(trigger)
    return dict(result)


def trigger_label(trigger: str) -> str:
    return str(Trigger(trigger).label) if trigger in Trigger.values else trigger
