"""`{% my_ctas as ctas %}`: the CTA part of the admin index's "my day" panel for the current user.

It lives here, not beside visits' `my_day` tag, because visits sits below plays.
"""

from __future__ import annotations

from django import template

from core.days import business_today
from plays import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def my_ctas(context):
    """The user's open CTAs (counts and the most urgent few), or None without CTA access."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("plays.view_cta"):
        return None
    return selectors.my_open_ctas(user, today=business_today())
