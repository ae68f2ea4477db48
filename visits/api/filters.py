"""Query filters of the visits list."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from core.api.params import StrictFilterSet
from visits.models import Visit, VisitType


class VisitFilter(StrictFilterSet):
    account = django_filters.CharFilter(
        field_name="account__external_id", help_text=_("External id of the account.")
    )
    visited_from = django_filters.DateFilter(
        field_name="visited_on",
        lookup_expr="gte",
        input_formats=["%Y-%m-%d"],
        help_text=_("First day (YYYY-MM-DD), inclusive."),
    )
    visited_to = django_filters.DateFilter(
        field_name="visited_on",
        lookup_expr="lte",
        input_formats=["%Y-%m-%d"],
        help_text=_("Last day (YYYY-MM-DD), inclusive."),
    )
    visit_type = django_filters.ChoiceFilter(choices=VisitType.choices)
    author = django_filters.CharFilter(
        field_name="author__username", help_text=_("Username of who logged it.")
    )

    class Meta:
        model = Visit
        fields: list[str] = []
