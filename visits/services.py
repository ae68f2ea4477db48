"""Writes for visits: logging a visit with what was asked and promised, answering, closing.

Also the row rules of the visit and requirement imports (the admin's
import/export), so a file loaded in the admin is checked the way the import
commands check theirs: one reason per rejected row, naming the column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from core.csv_import import RowRejected, check_choice, check_length, optional, present, require
from core.days import business_today
from core.limits import FREE_TEXT_MAX_LENGTH

from . import outbox
from .models import (
    ActionItem,
    Priority,
    Requirement,
    RequirementCategory,
    RequirementStatus,
    Sentiment,
    Visit,
    VisitType,
    visit_date_error,
)

VISIT_COLUMNS = (
    "account",
    "visited_on",
    "visit_type",
    "author",
    "purpose",
    "summary",
    "sentiment",
)
REQUIREMENT_COLUMNS = (
    "account",
    "title",
    "description",
    "category",
    "priority",
    "status",
    "owner",
    "raised_at",
    "first_response_at",
    "resolved_at",
)


@transaction.atomic
def log_visit(
    *,
    account,
    author,
    visited_on: dt.date | None = None,
    visit_type: str = VisitType.CHECK_IN,
    purpose: str = "",
    summary: str = "",
    sentiment: str = Sentiment.NEUTRAL,
    staff_attendees: Iterable = (),
    contact_attendees: Iterable = (),
    requirements: Iterable[Mapping] = (),
    action_items: Iterable[Mapping] = (),
) -> Visit:
    """Record a visit with its attendees, the requirements raised and the action items promised.

    `requirements` items take Requirement fields (title, category, priority,
    owner, description …); `action_items` items take title, owner, due_on.
    Both are attached to the visit and its account. Customer attendees must be
    contacts of the visited account.
    """
    contact_attendees = list(contact_attendees)
    strangers = [c for c in contact_attendees if c.account_id != account.pk]
    if strangers:
        raise ValidationError(
            {
                "contact_attendees": _("%(names)s are not contacts of %(account)s.")
                % {"names": ", ".join(c.name for c in strangers), "account": account}
            }
        )
    visit = Visit(
        account=account,
        author=author,
        visited_on=visited_on or business_today(),
        visit_type=visit_type,
        purpose=purpose,
        summary=summary,
        sentiment=sentiment,
    )
    visit.full_clean()
    visit.save()
    staff_attendees = list(staff_attendees)
    visit.staff_attendees.set(staff_attendees)
    visit.contact_attendees.set(contact_attendees)
    _remember_staff_attendees(visit, staff_attendees)
    raised = []
    for values in requirements:
        requirement = Requirement(account=account, visit=visit, **values)
        requirement.full_clean()
        requirement.save()
        raised.append(requirement)
    for values in action_items:
        item = ActionItem(account=account, visit=visit, **values)
        item.full_clean()
        item.save()
    outbox.visit_logged(visit, raised)
    return visit


def _remember_staff_attendees(visit: Visit, people: list) -> None:
    # The attendees just set, as a prefetch would leave them: the visit's event and the API's
    # answer serialize them without reading them back (Django's prefetch cache, as
    # prefetch_related_objects fills it).
    attendees = visit.staff_attendees.all()
    attendees._result_cache = people
    attendees._prefetch_done = True
    visit._prefetched_objects_cache = {"staff_attendees": attendees}


def record_first_response(*, requirement: Requirement, at: dt.datetime | None = None) -> bool:
    """Stamp the first response (now by default); a requirement already answered keeps its time.

    Returns whether the requirement changed.
    """
    if requirement.first_response_at is not None:
        return False
    requirement.first_response_at = max(at or timezone.now(), requirement.raised_at)
    if requirement.status == RequirementStatus.OPEN:
        requirement.status = RequirementStatus.IN_PROGRESS
    requirement.save(update_fields=["first_response_at", "status"])
    return True


def resolve_requirement(*, requirement: Requirement, at: dt.datetime | None = None) -> bool:
    """Close a requirement as resolved; resolving also counts as the first response if none was given."""
    if requirement.status == RequirementStatus.RESOLVED:
        return False
    at = max(at or timezone.now(), requirement.raised_at)
    requirement.first_response_at = requirement.first_response_at or at
    requirement.resolved_at = at
    requirement.status = RequirementStatus.RESOLVED
    requirement.save(update_fields=["first_response_at", "resolved_at", "status"])
    return True


def complete_action_item(*, action_item: ActionItem, at: dt.datetime | None = None) -> bool:
    if action_item.done_at is not None:
        return False
    action_item.done_at = at or timezone.now()
    action_item.save(update_fields=["done_at"])
    return True


# --- import rows -------------------------------------------------------------------------


def _choice(row: Mapping, column: str, choices: type, *, default: str) -> str:
    value = optional(row, column, required=False)
    if value is None:
        return default
    return check_choice(column, value, choices.values)


def _date(row: Mapping, column: str) -> dt.date:
    value = require(row, column)
    try:
        day = parse_date(value)
    except ValueError:
        day = None
    if day is None:
        raise RowRejected(column, _("%(value)r is not a date (YYYY-MM-DD)") % {"value": value})
    return day


def _datetime(row: Mapping, column: str, *, required: bool) -> dt.datetime | None:
    value = optional(row, column, required=required)
    if value is None:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise RowRejected(
            column,
            _("%(value)r is not a date and time (YYYY-MM-DD HH:MM)") % {"value": value},
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _text(row: Mapping, column: str, *, limit: int | None = None, required: bool = False) -> str:
    value = require(row, column) if required else present(row, column)
    if limit is not None:
        check_length(column, value, limit=limit)
    return value


def _account(row: Mapping, accounts: Mapping):
    external_id = require(row, "account")
    account = accounts.get(external_id)
    if account is None:
        raise RowRejected("account", _("unknown account %(value)r") % {"value": external_id})
    return account


def _person(row: Mapping, column: str, people: Mapping, *, required: bool):
    username = optional(row, column, required=required)
    if username is None:
        return None
    person = people.get(username)
    if person is None:
        raise RowRejected(column, _("unknown user %(value)r") % {"value": username})
    return person


def parse_visit_row(
    row: Mapping, *, accounts: Mapping, people: Mapping, today: dt.date | None = None
) -> dict:
    """Visit fields from one import row; `accounts` by external_id and `people` by username
    are the ones the importing user may see, so anything else is unknown."""
    account = _account(row, accounts)
    visited_on = _date(row, "visited_on")
    error = visit_date_error(visited_on, today=today)
    if error:
        raise RowRejected("visited_on", error)
    return {
        "account": account,
        "visited_on": visited_on,
        "visit_type": _choice(row, "visit_type", VisitType, default=VisitType.CHECK_IN),
        "author": _person(row, "author", people, required=True),
        "purpose": _text(row, "purpose", limit=200),
        "summary": _text(row, "summary", limit=FREE_TEXT_MAX_LENGTH),
        "sentiment": _choice(row, "sentiment", Sentiment, default=Sentiment.NEUTRAL),
    }


def parse_requirement_row(row: Mapping, *, accounts: Mapping, people: Mapping) -> dict:
    """Requirement fields from one import row (see parse_visit_row for `accounts` and `people`)."""
    values = {
        "account": _account(row, accounts),
        "title": _text(row, "title", limit=200, required=True),
        "description": _text(row, "description", limit=FREE_TEXT_MAX_LENGTH),
        "category": _choice(row, "category", RequirementCategory, default="feature"),
        "priority": _choice(row, "priority", Priority, default=Priority.MEDIUM),
        "status": _choice(row, "status", RequirementStatus, default=RequirementStatus.OPEN),
        "owner": _person(row, "owner", people, required=False),
        "raised_at": _datetime(row, "raised_at", required=True),
        "first_response_at": _datetime(row, "first_response_at", required=False),
        "resolved_at": _datetime(row, "resolved_at", required=False),
    }
    for column in ("first_response_at", "resolved_at"):
        if values[column] is not None and values[column] < values["raised_at"]:
            raise RowRejected(column, _("comes before raised_at"))
    return values
