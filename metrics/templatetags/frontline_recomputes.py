"""`{% recompute_failures as n %}`: failed pending recomputes, for the admin index (staff who may see them)."""

from __future__ import annotations

from django import template

from metrics import recompute_queue

register = template.Library()


@register.simple_tag(takes_context=True)
def recompute_failures(context):
    """The count of failed pending recomputes, or None for a user who may not view them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if (
        user is None
        or not user.is_authenticated
        or not user.has_perm("metrics.view_pendingrecompute")
    ):
        return None
    return recompute_queue.recompute_failures()
