"""The executive's visit planner: which customers a visit is worth most to now, and why.

Each account the user may see gets a score out of the metric policy's
`plan_weight_*` points (their defaults add up to 100): every reason earns a
fraction (0–1) of its weight, and the score is the sum. Risk reasons: health
red (yellow or falling health earn half), a DAG rate that fell over the last
4 weeks (full at a halving), overdue requirements (full at the policy's
`overdue_requirements_zero`), a renewal within `plan_renewal_days`. Upside: size
tier (full at 1,000,000+), near-deep (one criterion short of level 3). And
how long since anyone, and since an executive, visited (using the health
score's `visit_fresh_days`/`visit_stale_days` ramp).

The whole plan costs a fixed number of queries whatever the number of
accounts: the accounts with their last visits and overdue counts as
subqueries, the status rows of the day and of 4 weeks before, and the
near-deep rows; the rest is arithmetic in Python on those rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import (
    SIZE_TIER_BOUNDS,
    Account,
    SizeTier,
    Stage,
    region_label,
    size_tier_for,
)
from accounts.selectors import accounts_visible_to
from core.days import end_of_day
from metrics.models import AccountDailyStatus, MetricPolicy
from metrics.rules import recency_fraction
from metrics.selectors import DAG_RATE, near_deep_accounts
from plays.selectors import open_cta_triggers_by_account, trigger_label
from verticals.models import Membership, Role
from visits.models import Requirement, Visit, VisitType

from .charts import display_name

# "Over the last 4 weeks": the status on the day is compared with the one this many days before.
TREND_DAYS = 28
# A health score this many points lower than 4 weeks before counts as falling health.
FALLING_HEALTH_POINTS = 10
# A DAG rate that fell by this fraction of its earlier value earns the full DAG-drop weight.
DAG_DROP_FULL_FRACTION = 0.5
# How many visits a trip to one region holds (the region's order uses its best few).
TRIP_SIZE = 3

_TIER_ORDER = [tier.value for tier, _low, _high in SIZE_TIER_BOUNDS]

# The score's parts, in the order the page explains them:
# (key, policy weight field, short label, what earns it).
PLAN_COMPONENTS: list[tuple[str, str, object, object]] = [
    (
        "health",
        "plan_weight_red",
        gettext_lazy("Health red or falling"),
        gettext_lazy(
            "Health red on the day: all of it; yellow, or a health score at least "
            "%(points)s points lower than 4 weeks before: half."
        ),
    ),
    (
        "dag_drop",
        "plan_weight_dag_drop",
        gettext_lazy("DAG rate fell"),
        gettext_lazy(
            "The DAG rate fell over the last 4 weeks: in proportion to the fall, all of it "
            "when the rate halved."
        ),
    ),
    (
        "overdue",
        "plan_weight_overdue",
        gettext_lazy("Overdue requirements"),
        gettext_lazy(
            "Requirements waiting past the first-response SLA: in proportion, all of it at "
            'the health score\'s "overdue count that takes all points".'
        ),
    ),
    (
        "renewal",
        "plan_weight_renewal",
        gettext_lazy("Renewal coming up"),
        gettext_lazy(
            "A renewal within the policy's renewal window: half at the window's start, "
            "rising to all of it on the renewal date."
        ),
    ),
    (
        "size",
        "plan_weight_size",
        gettext_lazy("Size tier"),
        gettext_lazy(
            "Size tier: nothing under 2,000 employees, a quarter more for each tier up, "
            "all of it at 1,000,000+."
        ),
    ),
    (
        "near_deep",
        "plan_weight_near_deep",
        gettext_lazy("Near deep integration"),
        gettext_lazy(
            "Integrated and one criterion short of deep integration (DAG rate or analytics days)."
        ),
    ),
    (
        "staleness",
        "plan_weight_staleness",
        gettext_lazy("No recent visit"),
        gettext_lazy(
            "Days since the last visit by anyone: nothing while the visit is fresh, all of it "
            "once stale or never visited (the health score's recency limits)."
        ),
    ),
    (
        "executive_staleness",
        "plan_weight_executive_staleness",
        gettext_lazy("No recent executive visit"),
        gettext_lazy("Days since the last executive visit, on the same scale."),
    ),
]


@dataclass
class PlanEntry:
    """One account's place in the plan: its score, the reasons in words and the facts behind them."""

    account: Account
    score: float
    reasons: list[str]
    points: dict[str, float]
    days_since_visit: int | None
    days_since_executive_visit: int | None
    color: str | None
    health_score: int | None
    deep_integration_level: int | None
    overdue_requirements: int
    near_deep: dict | None = None
    # The triggers of the account's open CTAs: a reason in words, no points of its own.
    open_ctas: list[str] = field(default_factory=list)

    @property
    def vertical_name(self) -> str:
        return display_name(self.account.vertical)

    @property
    def log_visit_url(self) -> str:
        return f"/admin/visits/visit/add/?account={self.account.pk}"


@dataclass
class RegionGroup:
    """The plan's accounts in one region, best first; `trip_score` adds up its best TRIP_SIZE."""

    region: str
    entries: list[PlanEntry] = field(default_factory=list)

    @property
    def region_label(self) -> str:
        return region_label(self.region)

    @property
    def trip_score(self) -> float:
        return round(sum(e.score for e in self.entries[:TRIP_SIZE]), 1)


def plan_weights(policy: MetricPolicy) -> list[dict]:
    """The score's parts with their weight from the policy and what earns them, for the page."""
    return [
        {
            "key": key,
            "label": label,
            "field": field_name,
            "weight": getattr(policy, field_name),
            # Formatted here, not at import, so it is translated into the request's language.
            "explanation": str(explanation) % {"points": FALLING_HEALTH_POINTS},
        }
        for key, field_name, label, explanation in PLAN_COMPONENTS
    ]


def _as_of(day: dt.date) -> dt.datetime:
    """The moment the plan of `day` looks at requirements: the end of that day, or now if earlier."""
    return min(end_of_day(day), timezone.now())


def _executive_visit_q() -> Q:
    """A visit by an executive: of type "executive", or logged by a holder of the COO role."""
    coo_ids = Membership.objects.filter(role=Role.COO).values("user_id")
    return Q(visit_type=VisitType.EXECUTIVE) | Q(author_id__in=coo_ids)


def plan_accounts(
    *, user, day: dt.date, policy: MetricPolicy, region: str = "", vertical: str = ""
) -> QuerySet[Account]:
    """The accounts of the plan (churned ones left out), with their last visits and overdue requirements."""
    accounts = accounts_visible_to(user).exclude(stage=Stage.CHURNED).select_related("vertical")
    if region:
        accounts = accounts.filter(region=region)
    if vertical:
        accounts = accounts.filter(vertical__code=vertical)
    visits = Visit.objects.filter(account=OuterRef("pk"), visited_on__lte=day).order_by(
        "-visited_on"
    )
    overdue = (
        Requirement.objects.filter(account=OuterRef("pk"))
        .overdue(sla_hours=policy.requirement_sla_hours, now=_as_of(day))
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return accounts.annotate(
        last_visit_on=Subquery(visits.values("visited_on")[:1]),
        last_executive_visit_on=Subquery(
            visits.filter(_executive_visit_q()).values("visited_on")[:1]
        ),
        overdue_count=Coalesce(Subquery(overdue, output_field=IntegerField()), 0),
    )


def visit_plan(
    *,
    user,
    day: dt.date,
    region: str = "",
    vertical: str = "",
    policy: MetricPolicy | None = None,
) -> list[PlanEntry]:
    """The accounts `user` may see (optionally of one region / vertical code), best visit first."""
    policy = policy or MetricPolicy.objects.current()
    accounts = list(
        plan_accounts(user=user, day=day, policy=policy, region=region, vertical=vertical)
    )
    if not accounts:
        return []
    ids = [a.pk for a in accounts]
    earlier = day - dt.timedelta(days=TREND_DAYS)
    statuses: dict[tuple[int, dt.date], tuple] = {
        (row[0], row[1]): row[2:]
        for row in AccountDailyStatus.objects.filter(
            account_id__in=ids, day__in=[day, earlier]
        ).values_list("account_id", "day", "color", "score", "dag_rate", "deep_integration_level")
    }
    near = {
        row["account_id"]: {
            "criterion": row["missing_criterion"],
            "have": row["have"],
            "need": row["need"],
        }
        for row in near_deep_accounts(
            accounts_qs=Account.objects.filter(pk__in=ids), day=day
        ).values("account_id", "missing_criterion", "have", "need")
    }
    open_ctas = open_cta_triggers_by_account(ids)
    entries = [
        _entry(
            account,
            day=day,
            policy=policy,
            now=statuses.get((account.pk, day)),
            before=statuses.get((account.pk, earlier)),
            near_deep=near.get(account.pk),
            open_ctas=open_ctas.get(account.pk, []),
        )
        for account in accounts
    ]
    entries.sort(key=lambda e: (-e.score, e.account.name, e.account.pk))
    return entries


def group_by_region(entries: list[PlanEntry]) -> list[RegionGroup]:
    """The plan by region, regions ordered by what a trip to their best few accounts is worth."""
    groups: dict[str, RegionGroup] = {}
    for entry in entries:
        region = entry.account.region or ""
        groups.setdefault(region, RegionGroup(region=region)).entries.append(entry)
    return sorted(groups.values(), key=lambda g: (-g.trip_score, g.region))


def _entry(
    account: Account,
    *,
    day: dt.date,
    policy: MetricPolicy,
    now: tuple | None,
    before: tuple | None,
    near_deep: dict | None,
    open_ctas: list[str] | None = None,
) -> PlanEntry:
    """Score one account from its rows: every reason earns a fraction of its policy weight."""
    fractions: dict[str, float] = {}
    reasons: list[str] = []
    color = score_now = level = dag_now = None
    if now is not None:
        color, score_now, dag_now, level = now

    # Risk: health.
    health = 0.0
    if color == "red":
        health = 1.0
        reasons.append(_("health red (score %(score)s)") % {"score": score_now})
    elif color == "yellow":
        health = 0.5
        reasons.append(_("health yellow (score %(score)s)") % {"score": score_now})
    if now is not None and before is not None:
        score_before = before[1]
        if score_before - score_now >= FALLING_HEALTH_POINTS:
            health = max(health, 0.5)
            reasons.append(
                _("health score %(before)s → %(now)s in 4 weeks")
                % {"before": score_before, "now": score_now}
            )
    fractions["health"] = health

    # Risk: the DAG rate fell over the last 4 weeks.
    dag_drop = 0.0
    if now is not None and before is not None:
        dag_before = before[2]
        if dag_before > 0 and dag_now < dag_before and round(dag_before - dag_now, 2) > 0:
            dag_drop = min(1.0, (dag_before - dag_now) / dag_before / DAG_DROP_FULL_FRACTION)
            reasons.append(
                _("DAG rate %(before).2f → %(now).2f in 4 weeks")
                % {"before": dag_before, "now": dag_now}
            )
    fractions["dag_drop"] = dag_drop

    # Risk: overdue requirements.
    overdue = account.overdue_count or 0
    fractions["overdue"] = min(1.0, overdue / max(1, policy.overdue_requirements_zero))
    if overdue:
        reasons.append(
            ngettext("%(count)d requirement overdue", "%(count)d requirements overdue", overdue)
            % {"count": overdue}
        )

    # Work already opened for the account (plays): named, not scored.
    open_ctas = open_ctas or []
    if open_ctas:
        reasons.append(
            ngettext(
                "%(count)d open CTA: %(plays)s", "%(count)d open CTAs: %(plays)s", len(open_ctas)
            )
            % {"count": len(open_ctas), "plays": ", ".join(trigger_label(t) for t in open_ctas)}
        )

    # Risk: renewal coming up.
    renewal = 0.0
    if account.renewal_date is not None:
        days_to_renewal = (account.renewal_date - day).days
        window = max(1, policy.plan_renewal_days)
        if 0 <= days_to_renewal <= window:
            renewal = 0.5 + 0.5 * (1 - days_to_renewal / window)
            reasons.append(
                ngettext(
                    "renewal in %(days)d day (%(date)s)",
                    "renewal in %(days)d days (%(date)s)",
                    days_to_renewal,
                )
                % {"days": days_to_renewal, "date": date_format(account.renewal_date)}
            )
    fractions["renewal"] = renewal

    # Upside: size.
    tier = size_tier_for(account.headcount)
    size = _TIER_ORDER.index(tier) / (len(_TIER_ORDER) - 1) if tier else 0.0
    fractions["size"] = size
    if tier and size >= 0.5:
        reasons.append(_("%(tier)s employees") % {"tier": SizeTier(tier).label})

    # Upside: one criterion short of deep integration.
    fractions["near_deep"] = 1.0 if near_deep else 0.0
    if near_deep:
        if near_deep["criterion"] == DAG_RATE:
            reasons.append(
                _("one step from deep integration: DAG rate %(have).2f of %(need).2f") % near_deep
            )
        else:
            reasons.append(
                _("one step from deep integration: analytics on %(have)d of %(need)d days")
                % near_deep
            )

    # How long since anyone, and an executive, came.
    days_since_visit = (day - account.last_visit_on).days if account.last_visit_on else None
    days_since_exec = (
        (day - account.last_executive_visit_on).days if account.last_executive_visit_on else None
    )
    ramp = {"fresh_days": policy.visit_fresh_days, "stale_days": policy.visit_stale_days}
    fractions["staleness"] = 1.0 - recency_fraction(days_since_visit, **ramp)
    fractions["executive_staleness"] = 1.0 - recency_fraction(days_since_exec, **ramp)
    if days_since_visit is None:
        reasons.append(_("never visited"))
    elif fractions["staleness"] > 0:
        reasons.append(
            ngettext("no visit in %(days)d day", "no visit in %(days)d days", days_since_visit)
            % {"days": days_since_visit}
        )
    if days_since_exec is None:
        if days_since_visit is not None:
            reasons.append(_("never visited by an executive"))
    elif fractions["executive_staleness"] > 0:
        reasons.append(
            ngettext(
                "no executive visit in %(days)d day",
                "no executive visit in %(days)d days",
                days_since_exec,
            )
            % {"days": days_since_exec}
        )

    points = {
        key: round(getattr(policy, field_name) * fractions[key], 2)
        for key, field_name, _label, _explanation in PLAN_COMPONENTS
    }
    return PlanEntry(
        account=account,
        score=round(sum(points.values()), 1),
        reasons=reasons,
        points=points,
        days_since_visit=days_since_visit,
        days_since_executive_visit=days_since_exec,
        color=color,
        health_score=score_now,
        deep_integration_level=level,
        overdue_requirements=overdue,
        near_deep=near_deep,
        open_ctas=open_ctas,
    )


def plan_regions(*, user) -> list[str]:
    """The regions of the accounts the user may see, for the region filter."""
    return list(
        accounts_visible_to(user)
        .exclude(region="")
        .order_by("region")
        .values_list("region", flat=True)
        .distinct()
    )
