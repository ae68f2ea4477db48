"""Reads of the events app: which subscriptions a person manages, and whether anyone listens."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from verticals.models import Membership, Role
from verticals.selectors import has_role, sees_all_verticals, visible_vertical_ids

from .models import ALL_EVENTS, Delivery, Subscription


def may_manage_webhooks(user) -> bool:
    """The COO, company-wide users (api_client) and superusers manage any; a lead her verticals'."""
    if not user or not user.is_authenticated:
        return False
    return sees_all_verticals(user) or has_role(user, Role.LEAD)


def lead_vertical_ids(user) -> list[int]:
    return list(
        Membership.objects.filter(user=user, role=Role.LEAD, vertical__isnull=False).values_list(
            "vertical_id", flat=True
        )
    )


def subscriptions_managed_by(user) -> QuerySet[Subscription]:
    """Subscriptions the user may see and change.

    Everyone who sees every vertical: all of them. A lead: those she created,
    and those whose verticals are all hers (not the "every vertical" ones of others).
    """
    subscriptions = Subscription.objects.all()
    if sees_all_verticals(user):
        return subscriptions
    if not may_manage_webhooks(user):
        return subscriptions.none()
    mine = lead_vertical_ids(user)
    through = Subscription.verticals.through
    outside = through.objects.filter(subscription_id=OuterRef("pk")).exclude(vertical_id__in=mine)
    has_any = through.objects.filter(subscription_id=OuterRef("pk"))
    return subscriptions.filter(Q(created_by=user) | (Exists(has_any) & ~Exists(outside)))


def deliveries_of(subscription: Subscription) -> QuerySet[Delivery]:
    return subscription.deliveries.select_related("event").order_by("-id")


def listened_types() -> set[str]:
    """Event types some active subscription receives (`*` stands for every type)."""
    wanted: set[str] = set()
    for events in Subscription.objects.filter(active=True).values_list("events", flat=True):
        wanted.update(events or [])
    return wanted


def anyone_listens(event_type: str) -> bool:
    wanted = listened_types()
    return ALL_EVENTS in wanted or event_type in wanted


def creator_receives(subscription: Subscription, vertical_id: int | None) -> bool:
    """Whether an event of an account in `vertical_id` goes to this subscription.

    Only accounts the subscription's creator may see (verticals.selectors), and
    only the subscription's verticals when it names some.
    """
    creator = subscription.created_by
    if not creator.is_active:
        return False
    chosen = {v.pk for v in subscription.verticals.all()}
    if chosen and vertical_id not in chosen:
        return False
    visible = visible_vertical_ids(creator)
    return visible is None or vertical_id in visible
