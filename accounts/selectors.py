"""Reads of accounts shared by the admin, the API and the pages."""

from __future__ import annotations

from django.db.models import QuerySet

from verticals.selectors import scope_by_vertical

from .models import Account, Contact


def accounts_visible_to(user) -> QuerySet[Account]:
    """The accounts of the verticals the user may see (all for the COO and API clients)."""
    return scope_by_vertical(Account.objects.all(), user, vertical_field="vertical_id")


def contacts_visible_to(user) -> QuerySet[Contact]:
    return scope_by_vertical(Contact.objects.all(), user, vertical_field="account__vertical_id")
