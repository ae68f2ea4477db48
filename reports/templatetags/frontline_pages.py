"""Template tags of the Frontline pages (base.html)."""

from __future__ import annotations

from django import template

from reports.pipeline import pipeline_verticals_for

register = template.Library()


@register.simple_tag(takes_context=True)
def reviews_pipeline(context) -> bool:
    """Whether the page's user reviews any vertical's pipeline (the COO, a lead): one query."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return pipeline_verticals_for(user).exists()
