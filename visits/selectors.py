"""Reads of visits, requirements and action items: scoping, "mine", overdue flags and cadence.

The admin's changelists, the index dashboard ("my day") and the API call
these, so what "mine", "overdue" and "due this week" mean is decided here once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from accounts.models import Account, AccountTeamMember
from accounts.selectors import accounts_visible_to
from core.days import business_today
from verticals.models import STAFF_ROLES, Membership, Role
from verticals.selectors import is_coo, scope_by_vertical, user_roles, visible_vertical_ids

from .models import ActionItem, Requirement, Visit, overdue_requirement_q

# An account nobody visited for this many days shows up in "not visited lately".
NOT_VISITED_DAYS = 60
# Headcount from which a customer counts as large for the visit cadence (the 10,000+ tier).
LARGE_CUSTOMER_HEADCOUNT = 10_000
# The front line's aim: at least this many customer visits a week (the COO: 2–3 large ones).
VISITS_AIM_PER_WEEK = 2


# The metric policy lives in metrics, above visits: metrics registers (MetricsConfig.ready) the
# function reading the current policy's SLA, so visits imports nothing above it.
_policy_sla_hours = None


def set_policy_sla_hours(reader) -> None:
    """Register `reader() -> int`: the current metric policy's requirement SLA in hours."""
    global _policy_sla_hours
    _policy_sla_hours = reader


def requirement_sla_hours() -> int:
    """Hours within which a requirement needs its first response, from the current metric policy."""
    if _policy_sla_hours is None:
        raise ImproperlyConfigured("metrics registers the SLA reader; is it in INSTALLED_APPS?")
    return _policy_sla_hours()


def visits_visible_to(user) -> QuerySet[Visit]:
    return scope_by_vertical(Visit.objects.all(), user, vertical_field="account__vertical_id")


def requirements_visible_to(user) -> QuerySet[Requirement]:
    return scope_by_vertical(Requirement.objects.all(), user, vertical_field="account__vertical_id")


def action_items_visible_to(user) -> QuerySet[ActionItem]:
    return scope_by_vertical(ActionItem.objects.all(), user, vertical_field="account__vertical_id")


# --- overdue flags, computed in the database so lists stay at a fixed number of queries ---


def with_response_overdue(
    queryset: QuerySet[Requirement], *, sla_hours: int, now: dt.datetime | None = None
) -> QuerySet[Requirement]:
    """Annotate `response_overdue`: open, no first response, raised more than `sla_hours` ago."""
    return queryset.annotate(
        response_overdue=Case(
            When(overdue_requirement_q(sla_hours=sla_hours, now=now), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def with_action_overdue(
    queryset: QuerySet[ActionItem], *, today: dt.date | None = None
) -> QuerySet[ActionItem]:
    """Annotate `action_overdue`: not done and due before today (local business day)."""
    today = today or business_today()
    return queryset.annotate(
        action_overdue=Case(
            When(done_at__isnull=True, due_on__lt=today, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


# --- "mine" ------------------------------------------------------------------------------


def my_accounts_q(user) -> Q:
    """Accounts the user owns as CSM or serves on the account team."""
    team = AccountTeamMember.objects.filter(user=user).values("account_id")
    return Q(owner_csm=user) | Q(id__in=Subquery(team))


def my_requirements_q(user) -> Q:
    """Requirements the user owns, raised on accounts they own, or raised at visits they logged."""
    return Q(owner=user) | Q(account__owner_csm=user) | Q(visit__author=user)


def my_action_items_q(user) -> Q:
    """Action items the user owns; unassigned ones fall to the account's CSM and the visit's author."""
    return Q(owner=user) | (
        Q(owner__isnull=True) & (Q(account__owner_csm=user) | Q(visit__author=user))
    )


def week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the ISO week holding `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def not_visited_since_q(cutoff: dt.date) -> Q:
    """Accounts with no visit on or after `cutoff` (never visited included)."""
    recent = Visit.objects.filter(account=OuterRef("pk"), visited_on__gte=cutoff)
    return ~Q(Exists(recent))


def my_accounts(user) -> QuerySet[Account]:
    return accounts_visible_to(user).filter(my_accounts_q(user))


def my_open_requirements(user) -> QuerySet[Requirement]:
    return requirements_visible_to(user).open().filter(my_requirements_q(user))


def action_item_bucket_q(bucket: str, *, today: dt.date) -> Q:
    """Open action items' three separate lists: "overdue" (due before today), "week" (due from
    today to this Sunday) and "later" (due after this Sunday)."""
    _, sunday = week_bounds(today)
    return {
        "overdue": Q(due_on__lt=today),
        "week": Q(due_on__gte=today, due_on__lte=sunday),
        "later": Q(due_on__gt=sunday),
    }[bucket]


def my_open_action_items(
    user, bucket: str, *, today: dt.date | None = None
) -> QuerySet[ActionItem]:
    """The user's open action items of one bucket of `action_item_bucket_q`."""
    today = today or business_today()
    return (
        action_items_visible_to(user)
        .open()
        .filter(my_action_items_q(user), action_item_bucket_q(bucket, today=today))
    )


def my_action_items_due_this_week(user, *, today: dt.date | None = None) -> QuerySet[ActionItem]:
    """Open action items of the user due from today to this Sunday (the overdue ones are apart)."""
    return my_open_action_items(user, "week", today=today)


def my_accounts_not_visited(
    user, *, days: int = NOT_VISITED_DAYS, today: dt.date | None = None
) -> QuerySet[Account]:
    today = today or business_today()
    return my_accounts(user).filter(not_visited_since_q(today - dt.timedelta(days=days)))


@dataclass
class MyDay:
    """The counts on a CSM's morning dashboard."""

    accounts: int
    open_requirements: int
    overdue_requirements: int
    action_items_this_week: int
    overdue_action_items: int
    action_items_later: int
    not_visited: int
    sla_hours: int
    not_visited_days: int = NOT_VISITED_DAYS


def my_day(user, *, today: dt.date | None = None, now: dt.datetime | None = None) -> MyDay:
    today = today or business_today()
    sla_hours = requirement_sla_hours()
    requirements = my_open_requirements(user)
    return MyDay(
        accounts=my_accounts(user).count(),
        open_requirements=requirements.count(),
        overdue_requirements=requirements.overdue(sla_hours=sla_hours, now=now).count(),
        action_items_this_week=my_open_action_items(user, "week", today=today).count(),
        overdue_action_items=my_open_action_items(user, "overdue", today=today).count(),
        action_items_later=my_open_action_items(user, "later", today=today).count(),
        not_visited=my_accounts_not_visited(user, today=today).count(),
        sla_hours=sla_hours,
    )


# --- visit cadence -----------------------------------------------------------------------


@dataclass
class CadenceRow:
    person: object
    # Per week (Monday of the week): visits the person logged or attended.
    visits: dict[dt.date, int] = field(default_factory=dict)
    # The same, only customers of LARGE_CUSTOMER_HEADCOUNT or more.
    large_visits: dict[dt.date, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.visits.values())

    @property
    def large_total(self) -> int:
        return sum(self.large_visits.values())


@dataclass
class Cadence:
    weeks: list[dt.date]
    rows: list[CadenceRow]


def can_see_cadence(user) -> bool:
    """Leads see their verticals' cadence, the COO (and superusers) everyone's."""
    return is_coo(user) or Role.LEAD in user_roles(user)


def visit_cadence(user, *, weeks: int = 8, today: dt.date | None = None) -> Cadence:
    """Visits per person per ISO week over the last `weeks` weeks (this one included).

    A person is counted once per visit they logged or attended as our staff,
    on the visits of the verticals the viewing user may see; the people of
    those verticals (everyone on the front line for the COO) have a row even
    without visits. Four queries whatever the number of visits.
    """
    today = today or business_today()
    this_monday, sunday = week_bounds(today)
    first_monday = this_monday - dt.timedelta(weeks=weeks - 1)
    week_list = [first_monday + dt.timedelta(weeks=i) for i in range(weeks)]
    visits = visits_visible_to(user).filter(visited_on__range=(first_monday, sunday))

    visit_info: dict[int, tuple[dt.date, bool]] = {}
    people_by_visit: dict[int, set[int]] = defaultdict(set)
    for visit_id, author_id, visited_on, headcount in visits.values_list(
        "id", "author_id", "visited_on", "account__headcount"
    ):
        large = headcount is not None and headcount >= LARGE_CUSTOMER_HEADCOUNT
        visit_info[visit_id] = (week_bounds(visited_on)[0], large)
        people_by_visit[visit_id].add(author_id)
    attendees = Visit.staff_attendees.through.objects.filter(
        visit_id__in=visits.values("id")
    ).values_list("visit_id", "user_id")
    for visit_id, user_id in attendees:
        if visit_id in visit_info:
            people_by_visit[visit_id].add(user_id)

    # Everyone on the front line the viewer oversees gets a row, a week without visits included.
    members = Membership.objects.filter(role__in=[r.value for r in STAFF_ROLES])
    vertical_ids = visible_vertical_ids(user)
    if vertical_ids is not None:
        members = members.filter(vertical_id__in=vertical_ids)
    counts: dict[int, CadenceRow] = {
        person_id: CadenceRow(person=None)
        for person_id in members.values_list("user_id", flat=True).distinct()
    }
    for visit_id, people in people_by_visit.items():
        monday, large = visit_info[visit_id]
        for person_id in people:
            row = counts.setdefault(person_id, CadenceRow(person=None))
            row.visits[monday] = row.visits.get(monday, 0) + 1
            if large:
                row.large_visits[monday] = row.large_visits.get(monday, 0) + 1
    people = get_user_model().objects.in_bulk(list(counts))
    for person_id, row in counts.items():
        row.person = people.get(person_id)
    rows = sorted(
        counts.values(), key=lambda r: (-r.total, getattr(r.person, "username", "") or "")
    )
    return Cadence(weeks=week_list, rows=rows)
