"""Admin mixin that scopes every changelist, change page and choice list to the user's verticals."""

from __future__ import annotations

from django.http import Http404

from accounts.selectors import accounts_visible_to, contacts_visible_to

from .selectors import scope_by_vertical, verticals_visible_to


class VerticalScopedAdmin:
    """Scope a ModelAdmin (or inline) by the lookup path `vertical_field` to the user's verticals.

    Objects outside the user's verticals are invisible: not listed, not offered
    as choices, and a forged change URL answers 404 instead of redirecting.
    """

    vertical_field: str = "account__vertical_id"

    def get_queryset(self, request):
        return scope_by_vertical(
            super().get_queryset(request), request.user, vertical_field=self.vertical_field
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.related_model
        label = model._meta.label_lower
        if label == "accounts.account":
            kwargs["queryset"] = accounts_visible_to(request.user)
        elif label == "accounts.contact":
            kwargs["queryset"] = contacts_visible_to(request.user)
        elif label == "verticals.vertical":
            kwargs["queryset"] = verticals_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model._meta.label_lower == "accounts.contact":
            kwargs["queryset"] = contacts_visible_to(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and object_id is not None and hasattr(self, "model"):
            # A forged URL to another vertical's object (or a missing one): 404, not a redirect.
            raise Http404
        return obj
