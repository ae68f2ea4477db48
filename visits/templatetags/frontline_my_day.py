"""`{% my_day as day %}`: the counts of the admin index's "my day" panel for the current user."""

from __future__ import annotations

from django import template

from visits import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def my_day(context):
    """The user's morning counts, or None for someone who logs no visits (e.g. a bare superuser view)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("visits.view_visit"):
        return None
    day = selectors.my_day(user)
    return {**day.__dict__, "can_see_cadence": selectors.can_see_cadence(user)}
