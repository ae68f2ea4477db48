"""The events visits write to the outbox (events.services), in the transaction that saves them.

`visit.logged` when a visit is logged (admin or API), `requirement.raised` for each
requirement recorded, `requirement.overdue` when one passes its SLA without an answer.
`data` holds the visit or requirement as the API shows them.
"""

from __future__ import annotations

from collections.abc import Iterable

from events.models import EventType
from events.services import AccountRef, record_event

from .api.serializers import VisitSerializer
from .models import Requirement, Visit


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


def visit_logged(visit: Visit) -> None:
    record_event(
        event_type=EventType.VISIT_LOGGED,
        account=AccountRef.of(visit.account),
        data={"visit": dict(VisitSerializer(visit).data)},
        occurred_at=visit.created_at,
    )


def requirements_raised(requirements: Iterable[Requirement]) -> None:
    for requirement in requirements:
        record_event(
            event_type=EventType.REQUIREMENT_RAISED,
            account=AccountRef.of(requirement.account),
            data={"requirement": requirement_json(requirement)},
            occurred_at=requirement.raised_at,
        )
