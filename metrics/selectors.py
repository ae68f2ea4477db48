"""Reads over the computed daily status that several pages, the API and the digest share.

Near-deep accounts are the shortest path to more deep-integration customers:
at level 2 (integrated) on a day and missing exactly one of level 3's two
criteria (docs/metrics.md, "Next level"). They are found in one SQL statement over
`AccountDailyStatus` joined to the policy version stored on each row, so the
thresholds are the ones that computed the row, never a literal.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast

from .models import AccountDailyStatus, IntegrationLevel, MetricPolicy

# The two criteria of level 3, as docs/metrics.md names them in `next_level.missing`.
DAG_RATE = "dag_rate"
ANALYTICS_DAYS = "analytics_days"


def _criteria_annotations() -> dict:
    """Per-row flags: which level-3 criterion the row misses, under the row's own policy."""
    return {
        "misses_dag_rate": Case(
            When(dag_rate__lt=F("policy__deep_min_dag_rate"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        "misses_analytics_days": Case(
            When(analytics_days__lt=F("policy__deep_min_analytics_days"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    }


def near_deep_accounts(*, accounts_qs: QuerySet, day: dt.date) -> QuerySet[AccountDailyStatus]:
    """Status rows of `day` for accounts one criterion short of deep integration, closest first.

    Only accounts in `accounts_qs` (pass the caller's scoped accounts, e.g.
    `accounts_visible_to(user)`) are considered. Each row is a level-2
    `AccountDailyStatus` whose `dag_rate < deep_min_dag_rate` XOR
    `analytics_days < deep_min_analytics_days`, annotated with:

    - `missing_criterion`: "dag_rate" or "analytics_days";
    - `have`, `need`: the row's value and the policy's threshold for it (floats);
    - `closeness`: `have / need` in [0, 1), higher is closer.

    Ordered by closeness (descending), then account name. `account` and
    `account__vertical` are joined in, so listing names costs no extra query.
    """
    need_dag = Cast(F("policy__deep_min_dag_rate"), FloatField())
    need_analytics = Cast(F("policy__deep_min_analytics_days"), FloatField())
    rows = (
        AccountDailyStatus.objects.filter(
            day=day,
            deep_integration_level=IntegrationLevel.INTEGRATED,
            account_id__in=accounts_qs.values("pk"),
        )
        .annotate(**_criteria_annotations())
        .filter(
            Q(misses_dag_rate=True, misses_analytics_days=False)
            | Q(misses_dag_rate=False, misses_analytics_days=True)
        )
        .annotate(
            missing_criterion=Case(
                When(misses_dag_rate=True, then=Value(DAG_RATE)),
                default=Value(ANALYTICS_DAYS),
                output_field=CharField(),
            ),
            have=Case(
                When(misses_dag_rate=True, then=Cast(F("dag_rate"), FloatField())),
                default=Cast(F("analytics_days"), FloatField()),
                output_field=FloatField(),
            ),
            need=Case(
                When(misses_dag_rate=True, then=need_dag),
                default=need_analytics,
                output_field=FloatField(),
            ),
        )
        # A missed threshold is > have >= 0, so `need` is never 0 here.
        .annotate(closeness=ExpressionWrapper(F("have") / F("need"), output_field=FloatField()))
        .select_related("account", "account__vertical")
        .order_by("-closeness", "account__name", "account_id")
    )
    return rows


def policy_requirement_sla_hours() -> int:
    """The current metric policy's requirement SLA in hours."""
    return MetricPolicy.objects.current().requirement_sla_hours
