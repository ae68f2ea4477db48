"""The events visits write to the outbox (events.services), in the transaction that saves them.

`visit.logged` when a visit is logged (admin or API), `requirement.raised` for each
requirement recorded, `requirement.overdue` when one passes its SLA without an answer.
`data` holds the visit or requirement as the API shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from rest_framework.fields import DateTimeField

from events.models import EventType
from events.selectors import anyone_listens
from events.services import AccountRef, NewEvent, record_event, record_events

from .models import Requirement, Visit, overdue_requirement_q
from .selectors import requirement_sla_hours

# Requirements that went past their SLA longer ago than this are not announced (a new
# subscription is not flooded with every old overdue requirement).
OVERDUE_LOOKBACK = dt.timedelta(days=1)


def requirement_json(requirement: Requirement) -> dict:
    def moment(value):
        return value.isoformat() if value else None

    return {
        "id": requirement.pk,
        "account": requirement.account.external_id,
        "visit": requirement.visit_id,
        "title": requirement.title,
        "description": requirement.description,
        "category": requirement.category,
        "priority": requirement.priority,
        "status": requirement.status,
        "owner": requirement.owner.username if requirement.owner_id else None,
        "raised_at": moment(requirement.raised_at),
        "first_response_at": moment(requirement.first_response_at),
        "resolved_at": moment(requirement.resolved_at),
    }


def visit_json(visit: Visit) -> dict:
    """The visit as `GET /api/v1/visits/` shows it (visits.api.serializers.VisitSerializer).

    Built by hand, not by the serializer: it is on the path of every visit logged
    (docs/events.md "Costs"); a test holds it equal to the serializer's output.
    """
    return {
        "id": visit.pk,
        "account": visit.account.external_id,
        "account_name": visit.account.name,
        "visited_on": visit.visited_on.isoformat(),
        "visit_type": visit.visit_type,
        "purpose": visit.purpose,
        "summary": visit.summary,
        "sentiment": visit.sentiment,
        "author": visit.author.username,
        "staff_attendees": [person.username for person in visit.staff_attendees.all()],
        "created_at": DateTimeField().to_representation(visit.created_at),
    }


def _raised(requirement: Requirement) -> NewEvent:
    return NewEvent(
        EventType.REQUIREMENT_RAISED,
        AccountRef.of(requirement.account),
        {"requirement": requirement_json(requirement)},
        requirement.raised_at,
    )


def visit_logged(visit: Visit, requirements: Iterable[Requirement] = ()) -> None:
    """`visit.logged`, then `requirement.raised` for each of `requirements`: one statement."""
    logged = NewEvent(
        EventType.VISIT_LOGGED,
        AccountRef.of(visit.account),
        {"visit": visit_json(visit)},
        visit.created_at,
    )
    record_events([logged, *(_raised(r) for r in requirements)])


def requirements_raised(requirements: Iterable[Requirement]) -> None:
    record_events([_raised(r) for r in requirements])


def record_overdue_requirements(now: dt.datetime | None = None) -> int:
    """`requirement.overdue` once per requirement that went past its SLA without an answer.

    Run by every events sweep (registered in VisitsConfig.ready); the event's
    de-duplication key makes it once per requirement. Events written.
    """
    if not anyone_listens(EventType.REQUIREMENT_OVERDUE):
        return 0
    now = now or timezone.now()
    sla_hours = requirement_sla_hours()
    overdue = (
        Requirement.objects.filter(overdue_requirement_q(sla_hours=sla_hours, now=now))
        .filter(raised_at__gte=now - dt.timedelta(hours=sla_hours) - OVERDUE_LOOKBACK)
        .select_related("account__vertical", "owner")
        .order_by("raised_at", "id")
    )
    written = 0
    for requirement in overdue:
        event = record_event(
            event_type=EventType.REQUIREMENT_OVERDUE,
            account=AccountRef.of(requirement.account),
            data={"requirement": requirement_json(requirement), "sla_hours": sla_hours},
            occurred_at=requirement.raised_at + dt.timedelta(hours=sla_hours),
            dedup_key=f"requirement.overdue:{requirement.pk}",
        )
        written += event is not None
    return written
