"""Query filters of the accounts list (django-filter): vertical, stage, size tier, health."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from accounts.models import Account, SizeTier, Stage, size_tier_filter
from core.api.params import StrictFilterSet, date_param
from core.days import last_complete_day as default_day
from metrics.models import AccountDailyStatus, HealthColor, IntegrationLevel
from verticals.models import Vertical


@extend_schema_field({"type": "integer", "enum": IntegrationLevel.values})
class LevelFilter(django_filters.TypedChoiceFilter):
    """A deep-integration level 0–3 (documented as an integer enum)."""


def has_health_filter(request) -> bool:
    """Whether the request filters on the health day's status (then every row has one)."""
    return any(name in request.query_params for name in AccountFilter.HEALTH_LOOKUPS)


def health_day_for(request) -> dt.date | None:
    """The day whose computed status the accounts list shows and filters on.

    `?date=D` when given; otherwise the latest day computed up to yesterday
    (Asia/Shanghai) — the nightly run's day, which every account has, unlike
    today's rows that an ingest may have computed for a few accounts only.
    None when nothing has been computed yet. Cached on the request.
    """
    if not hasattr(request, "_frontline_health_day"):
        day = date_param(request, "date")
        if day is None:
            day = AccountDailyStatus.objects.filter(day__lte=default_day()).aggregate(
                latest=Max("day")
            )["latest"]
        request._frontline_health_day = day
    return request._frontline_health_day


class AccountFilter(StrictFilterSet):
    """Health filters apply to the status of the list's health day (`health_day_for`)."""

    vertical = django_filters.CharFilter(
        method="filter_vertical", help_text=_("Vertical code, e.g. manufacturing.")
    )
    stage = django_filters.ChoiceFilter(choices=Stage.choices, help_text=_("Pipeline stage."))
    size_tier = django_filters.ChoiceFilter(
        choices=SizeTier.choices,
        method="filter_size_tier",
        help_text=_("Headcount tier: lt2k (<2,000), 2k, 10k, 100k, 1m (1,000,000+)."),
    )
    color = django_filters.ChoiceFilter(
        choices=HealthColor.choices,
        method="filter_health",
        help_text=_("Health colour on the list's health day."),
    )
    deep_integration_level = LevelFilter(
        choices=IntegrationLevel.choices,
        coerce=int,
        method="filter_health",
        help_text=_("Deep-integration level (0–3) on the list's health day."),
    )
    dag_rate_min = django_filters.NumberFilter(
        method="filter_health",
        help_text=_("Lowest DAG rate (0–1) on the list's health day, inclusive."),
    )
    dag_rate_max = django_filters.NumberFilter(
        method="filter_health",
        help_text=_("Highest DAG rate (0–1) on the list's health day, inclusive."),
    )
    csm = django_filters.CharFilter(
        field_name="owner_csm__username", help_text=_("Username of the owner CSM.")
    )
    search = django_filters.CharFilter(
        method="filter_search",
        help_text=_("Text in the external id, name or local name (case-insensitive)."),
    )

    class Meta:
        model = Account
        fields: list[str] = []

    # On the list's `health_*` annotations (views.with_health), which read the one joined status
    # row: a filter on the relation itself would join the status table a second time.
    HEALTH_LOOKUPS = {
        "color": "health_color",
        "deep_integration_level": "health_level",
        "dag_rate_min": "health_dag_rate__gte",
        "dag_rate_max": "health_dag_rate__lte",
    }

    def filter_queryset(self, queryset):
        self._health_conditions: dict = {}
        queryset = super().filter_queryset(queryset)
        if self._health_conditions:
            if health_day_for(self.request) is None:  # nothing computed yet: no status matches
                return queryset.none()
            queryset = queryset.filter(**self._health_conditions)
        return queryset

    def filter_health(self, queryset, name, value):
        """Collected here, applied together by filter_queryset."""
        self._health_conditions[self.HEALTH_LOOKUPS[name]] = value
        return queryset

    def filter_vertical(self, queryset, name, value: str):
        # By id rather than a join on the code: PostgreSQL then knows how many accounts the
        # vertical holds (a fifth, not a guess) and plans the health-ordered page for it.
        vertical_id = Vertical.objects.filter(code=value).values_list("id", flat=True).first()
        return queryset.none() if vertical_id is None else queryset.filter(vertical_id=vertical_id)

    def filter_size_tier(self, queryset, name, value: str):
        return queryset.filter(size_tier_filter(value))

    def filter_search(self, queryset, name, value: str):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(external_id__icontains=value)
            | Q(name__icontains=value)
            | Q(local_name__icontains=value)
        )
