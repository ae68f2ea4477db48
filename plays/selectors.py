"""Reads of plays and CTAs that the admin and the API share."""

from __future__ import annotations

from django.db.models import QuerySet

from verticals.selectors import scope_by_vertical

from .models import CTA


def ctas_visible_to(user) -> QuerySet[CTA]:
    """CTAs of the accounts in the user's verticals (all of them for company-wide roles)."""
    return scope_by_vertical(CTA.objects.all(), user, vertical_field="account__vertical_id")
