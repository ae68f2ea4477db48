"""Query filters of the CTA list."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from core.api.params import StrictFilterSet
from plays.models import CTA, CTAStatus
from plays.triggers import Trigger


class CTAFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=CTAStatus.choices)
    play = django_filters.ChoiceFilter(
        field_name="play__trigger", choices=Trigger.choices, help_text=_("Trigger code.")
    )
    vertical = django_filters.CharFilter(
        field_name="account__vertical__code", help_text=_("Vertical code.")
    )
    account = django_filters.CharFilter(
        field_name="account__external_id", help_text=_("External id of the account.")
    )
    owner = django_filters.CharFilter(
        method="filter_owner", help_text=_('Username of the owner, or "me" for the caller.')
    )

    class Meta:
        model = CTA
        fields: list[str] = []

    def filter_owner(self, queryset, name, value):
        if value == "me":
            return queryset.filter(owner=self.request.user)
        return queryset.filter(owner__username=value)
