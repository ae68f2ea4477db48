"""The pipeline numbers of the COO's review: one vertical, or all of them at once.

Every function here answers for a *day* (a business day in Asia/Shanghai,
docs/metrics.md) and reads the stored status (`metrics.models.AccountDailyStatus`),
never the raw feeds, so the numbers on the pages and in the API are the ones
the metrics engine computed. Each function runs a fixed number of queries
whatever the number of accounts: the counts are grouped by vertical in the
database (GROUP BY), and only small, bounded lists (people, the accounts
that turned red, capped per vertical) come back as rows.

`vertical_pipeline` / `pipeline_overview` are the contract the REST API
(`GET /api/v1/verticals/{code}/pipeline/?date=D`) serialises as is; the
pages add the trends and lists of `pipeline_review`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Stage, size_tier_filter
from core.chained_querysets import ChainedQuerySets
from core.days import business_today, end_of_day
from metrics.models import (
    AccountDailyStatus,
    AccountDayUsage,
    Connector,
    ConnectorUsage,
    HealthColor,
    IntegrationLevel,
    MetricPolicy,
)
from metrics.status import status_components, status_next_level
from plays.selectors import cta_numbers_by_vertical
from verticals.models import VERTICAL_ROLES, WORKING_ROLES, Membership, Role, Vertical
from verticals.selectors import is_coo, verticals_visible_to
from visits.models import Requirement, Visit

# Median first-response time looks back this many days from the day (inclusive).
RESPONSE_LOOKBACK_DAYS = 90
# "Visits this week": the 7 days ending on the day, inclusive.
VISIT_WINDOW_DAYS = 7
# The front-line aim: each person visits 2 to 3 customers a week.
VISIT_AIM_PER_WEEK = (2, 3)
# Trends on the pages.
DEEP_TREND_WEEKS = 12
DAG_TREND_DAYS = 30
# An account "turned red" when it is red on the day and was green or yellow this many days before.
TURNED_RED_LOOKBACK_DAYS = 7
# At most this many turned-red accounts are listed per vertical (the count is always complete):
# on a vertical's page, and on the overview where five verticals share the screen.
TURNED_RED_LIST_LIMIT = 10
TURNED_RED_OVERVIEW_LIMIT = 5

STAGES = [s.value for s in Stage]
# The health score's components, as AccountDailyStatus stores their points (points_<name>).
COMPONENT_NAMES = ("dag_rate", "integration", "breadth", "recency", "requirements")
STAFF_KEYS = [r.value for r in WORKING_ROLES]


def _ids(verticals: Iterable[Vertical]) -> list[int]:
    return [v.pk for v in verticals]


# --- The contract numbers ------------------------------------------------------------------


def _day_counts(ids: list[int], day: dt.date) -> dict[int, dict]:
    """{vertical_id: {"dag": DAG accounts, "levels": {level: accounts}}} on `day`: one query."""
    counts = {vid: {"dag": 0, "levels": dict.fromkeys(IntegrationLevel.values, 0)} for vid in ids}
    for row in (
        AccountDailyStatus.objects.filter(day=day, account__vertical_id__in=ids)
        .values("deep_integration_level", vertical_id=F("account__vertical_id"))
        .annotate(n=Count("day"), dag=Count("day", filter=Q(is_dag=True)))
        .order_by()
    ):
        counts[row["vertical_id"]]["dag"] += row["dag"]
        counts[row["vertical_id"]]["levels"][row["deep_integration_level"]] = row["n"]
    return counts


def pipeline_overview(*, verticals: Iterable[Vertical], day: dt.date) -> dict[str, dict]:
    """The pipeline numbers of each vertical on `day`, keyed by vertical code.

    Eight queries in all, whatever the number of verticals and accounts. Each
    value has exactly the keys of `vertical_pipeline`. Requirements are judged
    by their current status (open / in progress) as raised up to the end of
    `day`; "overdue" means open with no first response within the policy's
    SLA hours before the end of `day`.
    """
    verticals = list(verticals)
    return _numbers(verticals, day, _day_counts(_ids(verticals), day))


def _numbers(verticals: list[Vertical], day: dt.date, counts: dict[int, dict]) -> dict[str, dict]:
    """pipeline_overview's answer from the day's status counts (`_day_counts`), in seven queries."""
    ids = _ids(verticals)
    if not ids:
        return {}
    end = end_of_day(day)
    policy = MetricPolicy.objects.current()

    stages: dict[int, dict[str, int]] = {vid: dict.fromkeys(STAGES, 0) for vid in ids}
    for row in (
        Account.objects.filter(vertical_id__in=ids)
        .values("vertical_id", "stage")
        .annotate(n=Count("id"))
        .order_by()
    ):
        stages[row["vertical_id"]][row["stage"]] = row["n"]

    visits = dict(
        Visit.objects.filter(
            account__vertical_id__in=ids,
            visited_on__range=(day - dt.timedelta(days=VISIT_WINDOW_DAYS - 1), day),
        )
        .values_list("account__vertical_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    open_requirements = dict(
        Requirement.objects.open()
        .filter(account__vertical_id__in=ids, raised_at__lt=end)
        .values_list("account__vertical_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    overdue_requirements = dict(
        Requirement.objects.overdue(sla_hours=policy.requirement_sla_hours, now=end)
        .filter(account__vertical_id__in=ids)
        .values_list("account__vertical_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    response_hours: dict[int, list[float]] = defaultdict(list)
    for vertical_id, raised_at, first_response_at in Requirement.objects.filter(
        account__vertical_id__in=ids,
        raised_at__gte=end - dt.timedelta(days=RESPONSE_LOOKBACK_DAYS),
        raised_at__lt=end,
        first_response_at__isnull=False,
        first_response_at__lt=end,
    ).values_list("account__vertical_id", "raised_at", "first_response_at"):
        response_hours[vertical_id].append((first_response_at - raised_at).total_seconds() / 3600)

    staffing: dict[int, dict[str, int]] = {vid: dict.fromkeys(STAFF_KEYS, 0) for vid in ids}
    for row in (
        Membership.objects.filter(vertical_id__in=ids, role__in=STAFF_KEYS)
        .values("vertical_id", "role")
        .annotate(n=Count("user_id", distinct=True))
        .order_by()
    ):
        staffing[row["vertical_id"]][row["role"]] = row["n"]

    overview = {}
    for vertical in verticals:
        vid = vertical.pk
        hours = response_hours.get(vid)
        overview[vertical.code] = {
            "stages": stages[vid],
            "accounts": sum(stages[vid].values()),
            "dag_accounts": counts[vid]["dag"],
            "deep_customers": counts[vid]["levels"][IntegrationLevel.DEEP],
            "visits_last_7_days": visits.get(vid, 0),
            "open_requirements": open_requirements.get(vid, 0),
            "overdue_requirements": overdue_requirements.get(vid, 0),
            "median_first_response_hours": (round(statistics.median(hours), 1) if hours else None),
            "staffing": staffing[vid],
            "fully_staffed": all(staffing[vid][role] > 0 for role in STAFF_KEYS),
        }
    return overview


def vertical_pipeline(*, vertical: Vertical, day: dt.date) -> dict:
    """One vertical's pipeline numbers on `day` (the API's pipeline endpoint answers this as is).

    Keys: stages ({stage: count} for every Stage), accounts, dag_accounts,
    deep_customers (level 3), visits_last_7_days (visits dated day-6..day),
    open_requirements, overdue_requirements, median_first_response_hours
    (over requirements raised in the 90 days up to `day` and answered by its
    end; None if none), staffing ({tech, bd, sa, csm: count}), fully_staffed.
    """
    return pipeline_overview(verticals=[vertical], day=day)[vertical.code]


# --- Who may see the pipeline pages --------------------------------------------------------


def pipeline_verticals_for(user) -> QuerySet[Vertical]:
    """The verticals whose pipeline `user` may review: all for the COO, her own for a lead.

    Built on `verticals_visible_to` (the one scoping rule), then narrowed to
    the verticals where the person holds the lead role: working roles alone
    (a CSM, an SA…) and API clients see no pipeline.
    """
    visible = verticals_visible_to(user)
    if is_coo(user):
        return visible
    if not user or not user.is_authenticated:
        return Vertical.objects.none()
    return visible.filter(
        id__in=Membership.objects.filter(user=user, role=Role.LEAD).values("vertical_id")
    )


# --- What the pages add --------------------------------------------------------------------


def trend_cache_seconds() -> int:
    """How long the trends stay cached: FRONTLINE_PIPELINE_CACHE_SECONDS, else 300 (0 in tests)."""
    return getattr(
        settings,
        "FRONTLINE_PIPELINE_CACHE_SECONDS",
        0 if getattr(settings, "TESTING", False) else 300,
    )


def _trend_counts(
    ids: list[int], days: list[dt.date]
) -> tuple[dict[int, dict[dt.date, dict]], dt.date | None]:
    """({vertical_id: {day: {"dag": n, "deep": n}, or None where no status is stored that day}},
    the first day whose window is full, `first_full_window_day`).

    One query for both trends. It is the one read that grows with accounts ×
    days (37 days of every account's status rows), and past days change only
    when the metrics are recomputed; so the answer is kept in the cache for
    `trend_cache_seconds()` (a recompute shows in the trends at most that much
    later; a new policy version starts a new key).
    """
    seconds = trend_cache_seconds()
    policy_id, window = MetricPolicy.objects.order_by("-id").values_list(
        "id", "window_days"
    ).first() or (None, 1)
    key = None
    if seconds:
        scope = f"{policy_id}|{sorted(ids)}|{[d.isoformat() for d in days]}"
        key = "frontline:pipeline-trends:" + hashlib.sha256(scope.encode()).hexdigest()
        cached = cache.get(key)
        if cached is not None:
            return cached
    found: dict[int, dict[dt.date, dict]] = defaultdict(dict)
    for row in (
        AccountDailyStatus.objects.filter(day__in=days, account__vertical_id__in=ids)
        .values("day", vertical_id=F("account__vertical_id"))
        .annotate(
            dag=Count("day", filter=Q(is_dag=True)),
            deep=Count("day", filter=Q(deep_integration_level=IntegrationLevel.DEEP)),
        )
        .order_by()
    ):
        found[row["vertical_id"]][row["day"]] = {"dag": row["dag"], "deep": row["deep"]}
    answer = (
        {vid: {d: found[vid].get(d) for d in days} for vid in ids},
        first_full_window_day(window_days=window),
    )
    if key:
        cache.set(key, answer, seconds)
    return answer


def first_full_window_day(*, window_days: int) -> dt.date | None:
    """The first day whose `window_days`-day window lies wholly on or after the first feed day.

    A status of an earlier day counts DAG days and analytics days over a shorter window, so it
    is lower for want of data, not of use: the trends leave such days out. None without feeds.
    """
    # Uses index: account_day_usage_day (a B-tree on every database).
    first = AccountDayUsage.objects.aggregate(first=Min("day"))["first"]
    if first is None:
        return None
    return first + dt.timedelta(days=window_days - 1)


def trends(
    *,
    verticals: Iterable[Vertical],
    day: dt.date,
    weeks: int = DEEP_TREND_WEEKS,
    dag_days: int = DAG_TREND_DAYS,
) -> dict:
    """The deep-integration customers weekly and the DAG accounts daily, up to `day`.

    {"deep_days": the `weeks` days (`day` and the same weekday of the weeks
    before), "deep": {vertical_id: [count or None, …]}, "dag_days": the
    `dag_days` days ending on `day`, "dag": {vertical_id: [count or None, …]}}.
    A day with no stored status for a vertical is None (a gap), not zero; so is a day before
    `first_full_window_day` ("first_full_day" in the answer), whose window is not full.
    """
    ids = _ids(verticals)
    deep_days = [day - dt.timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    dag_day_list = [day - dt.timedelta(days=k) for k in range(dag_days - 1, -1, -1)]
    counts, first_full = _trend_counts(ids, sorted(set(deep_days) | set(dag_day_list)))

    def series(vid: int, days: list[dt.date], name: str) -> list[int | None]:
        return [
            None
            if counts[vid][d] is None or (first_full is not None and d < first_full)
            else counts[vid][d][name]
            for d in days
        ]

    return {
        "first_full_day": first_full,
        "deep_days": deep_days,
        "deep": {vid: series(vid, deep_days, "deep") for vid in ids},
        "dag_days": dag_day_list,
        "dag": {vid: series(vid, dag_day_list, "dag") for vid in ids},
    }


def _turned_red(ids: list[int], day: dt.date) -> QuerySet[AccountDailyStatus]:
    earlier = AccountDailyStatus.objects.filter(
        account_id=OuterRef("account_id"),
        day=day - dt.timedelta(days=TURNED_RED_LOOKBACK_DAYS),
    ).exclude(color=HealthColor.RED)
    return AccountDailyStatus.objects.filter(
        day=day, color=HealthColor.RED, account__vertical_id__in=ids
    ).filter(Exists(earlier))


def culprit(components: list[dict]) -> dict | None:
    """The component that pulled the score down most: the lowest share of its maximum points."""
    weighted = [c for c in components if c["max"]]
    if not weighted:
        return None
    return min(weighted, key=lambda c: (c["points"] / c["max"], -c["max"]))


def turned_red(
    *, verticals: Iterable[Vertical], day: dt.date, limit: int = TURNED_RED_LIST_LIMIT
) -> dict[int, dict]:
    """Accounts red on `day` that were green or yellow `TURNED_RED_LOOKBACK_DAYS` days before.

    Per vertical id: {"count": all of them, "accounts": the `limit` lowest
    scores, each {"account", "status", "components", "culprit", "fell_most"}}:
    the culprit is the component with the lowest share of its maximum now;
    fell_most the component that lost the most points since
    (`{"component", "label", "lost"}`, None if none lost any). One query: a
    window function ranks the accounts and counts them per vertical.
    """
    ids = _ids(verticals)
    result = {vid: {"count": 0, "accounts": []} for vid in ids}
    earlier = AccountDailyStatus.objects.filter(
        account_id=OuterRef("account_id"),
        day=day - dt.timedelta(days=TURNED_RED_LOOKBACK_DAYS),
    )
    ranked = (
        _turned_red(ids, day)
        .select_related("account", "policy")
        .annotate(
            **{
                f"before_{name}": Subquery(earlier.values(f"points_{name}")[:1])
                for name in COMPONENT_NAMES
            },
            rank=Window(
                RowNumber(),
                partition_by=F("account__vertical_id"),
                order_by=[F("score").asc(), F("account__name").asc()],
            ),
            in_vertical=Window(Count("day"), partition_by=F("account__vertical_id")),
        )
        .filter(rank__lte=limit)
        .order_by("score", "account__name")
    )
    for status in ranked:
        components = status_components(status)
        entry = result[status.account.vertical_id]
        entry["count"] = status.in_vertical
        entry["accounts"].append(
            {
                "account": status.account,
                "status": status,
                "components": components,
                "culprit": culprit(components),
                "fell_most": _fell_most(status, components),
            }
        )
    return result


def _fell_most(status: AccountDailyStatus, components: list[dict]) -> dict | None:
    """The component that lost the most points since the earlier status (annotated before_*)."""
    losses = [
        {
            "component": c["component"],
            "label": c["label"],
            "lost": round(
                getattr(status, f"before_{c['component']}")
                - getattr(status, f"points_{c['component']}"),
                1,
            ),
        }
        for c in components
        if getattr(status, f"before_{c['component']}", None) is not None
    ]
    worst = max(losses, key=lambda loss: loss["lost"], default=None)
    return worst if worst and worst["lost"] > 0 else None


def aim_label(count: int) -> tuple[str, str]:
    """(css class, words) for a weekly visit count against the 2–3-a-week aim."""
    low, high = VISIT_AIM_PER_WEEK
    if count < low:
        return "below", str(_("below the aim"))
    if count <= high:
        return "on", str(_("on the aim"))
    return "above", str(_("above the aim"))


def visits_by_person(
    *, verticals: Iterable[Vertical], day: dt.date
) -> tuple[dict[int, list[dict]], list[dict]]:
    """Visits in the 7 days ending on `day` per person, against the 2–3-a-week aim.

    A visit counts for its author and for each of our attendees, once per
    person. Returns ({vertical_id: [row, …] for the vertical's people}, [row,
    … for company-wide people (the COO)]), a row being {"user", "roles",
    "visits", "aim", "aim_label"}. A vertical's people count their visits to
    that vertical's accounts; company-wide people count all their visits, to
    every vertical, so a lead and the COO see the same number for the COO
    (the lead sees the count, not the other verticals' visits). Four queries.
    """
    verticals = list(verticals)
    ids = _ids(verticals)
    start = day - dt.timedelta(days=VISIT_WINDOW_DAYS - 1)
    visits_of: dict[tuple[int | None, int], set[int]] = defaultdict(set)
    all_visits_of: dict[int, set[int]] = defaultdict(set)
    for visit_id, vertical_id, author_id, attendee_id in Visit.objects.filter(
        account__vertical_id__in=ids, visited_on__range=(start, day)
    ).values_list("id", "account__vertical_id", "author_id", "staff_attendees"):
        for person_id in (author_id, attendee_id):
            if person_id is not None:
                visits_of[(vertical_id, person_id)].add(visit_id)
                all_visits_of[person_id].add(visit_id)

    people: dict[tuple[int | None, int], dict] = {}
    for membership in (
        Membership.objects.filter(
            Q(vertical_id__in=ids, role__in=[r.value for r in VERTICAL_ROLES])
            | Q(vertical__isnull=True, role=Role.COO)
        )
        .select_related("user")
        .order_by("user__username")
    ):
        key = (membership.vertical_id, membership.user_id)
        row = people.setdefault(key, {"user": membership.user, "roles": []})
        row["roles"].append(membership.get_role_display())

    company_ids = [user_id for vertical_id, user_id in people if vertical_id is None]
    if company_ids:
        all_visits_of = defaultdict(set)
        for visit_id, author_id, attendee_id in Visit.objects.filter(
            Q(author_id__in=company_ids) | Q(staff_attendees__in=company_ids),
            visited_on__range=(start, day),
        ).values_list("id", "author_id", "staff_attendees"):
            for person_id in (author_id, attendee_id):
                if person_id is not None:
                    all_visits_of[person_id].add(visit_id)

    by_vertical: dict[int, list[dict]] = {vid: [] for vid in ids}
    company: list[dict] = []
    for (vertical_id, user_id), row in people.items():
        if vertical_id is None:
            count = len(all_visits_of.get(user_id, ()))
            company.append(row)
        else:
            count = len(visits_of.get((vertical_id, user_id), ()))
            by_vertical[vertical_id].append(row)
        row["visits"] = count
        row["aim"], row["aim_label"] = aim_label(count)
    return by_vertical, company


def pipeline_review(
    *, verticals: Iterable[Vertical], day: dt.date, red_limit: int = TURNED_RED_LIST_LIMIT
) -> dict:
    """Everything the pipeline pages show for `verticals` on `day`, in about 16 queries.

    {"day", "deep_trend_days", "dag_trend_days", "company_people", "verticals": [
    {"vertical", "numbers" (vertical_pipeline's dict), "deep_trend", "deep_change"
    (now minus the first stored week), "dag_trend", "levels", "turned_red", "people",
    "ctas" (plays.selectors.VerticalCTAs, as of today)}, …]}.
    """
    verticals = list(verticals)
    counts = _day_counts(_ids(verticals), day)
    numbers = _numbers(verticals, day, counts)
    trend = trends(verticals=verticals, day=day)
    levels = {vid: c["levels"] for vid, c in counts.items()}
    red = turned_red(verticals=verticals, day=day, limit=red_limit)
    people, company = visits_by_person(verticals=verticals, day=day)
    # CTAs are work as of today, whatever day the review looks at.
    ctas = cta_numbers_by_vertical(vertical_ids=_ids(verticals), today=business_today())
    return {
        "day": day,
        "deep_trend_days": trend["deep_days"],
        "dag_trend_days": trend["dag_days"],
        "first_full_day": trend["first_full_day"],
        "company_people": company,
        "verticals": [
            {
                "vertical": v,
                "numbers": numbers[v.code],
                "deep_trend": trend["deep"][v.pk],
                "deep_change": _change(trend["deep"][v.pk]),
                "deep_change_weeks": _change_weeks(trend["deep"][v.pk]),
                "dag_trend": trend["dag"][v.pk],
                "levels": levels[v.pk],
                "turned_red": red[v.pk],
                "people": people[v.pk],
                "ctas": ctas[v.pk],
            }
            for v in verticals
        ],
    }


def _change(series: list[int | None]) -> int | None:
    """Last value minus the first stored one of a trend; None when either is missing."""
    stored = [value for value in series if value is not None]
    if len(stored) < 2 or series[-1] is None:
        return None
    return series[-1] - stored[0]


def _change_weeks(series: list[int | None]) -> int:
    """How many weeks `_change` spans: from the first stored week to the last."""
    stored = [i for i, value in enumerate(series) if value is not None]
    return stored[-1] - stored[0] if len(stored) >= 2 else 0


# --- The account list of one vertical -------------------------------------------------------

# Each ordering ends on a unique column, so pages never overlap. A key of the day's status puts
# the accounts with no status that day last, in either direction. Score ties go by account id,
# in the sort's direction: the order of the status index (day, score, account), which then
# serves the whole order.
ACCOUNT_ORDERINGS = {
    "name": ("name", "external_id"),
    "-name": ("-name", "external_id"),
    "score": (F("day_score").asc(nulls_last=True), "pk"),
    "-score": (F("day_score").desc(nulls_last=True), "-pk"),
    "level": (F("day_level").asc(nulls_last=True), "name", "external_id"),
    "-level": (F("day_level").desc(nulls_last=True), "name", "external_id"),
    "dag_rate": (F("day_dag_rate").asc(nulls_last=True), "name", "external_id"),
    "-dag_rate": (F("day_dag_rate").desc(nulls_last=True), "name", "external_id"),
    "headcount": (F("headcount").asc(nulls_first=True), "name", "external_id"),
    "-headcount": (F("headcount").desc(nulls_last=True), "name", "external_id"),
    "stage": ("stage", "name", "external_id"),
    "-stage": ("-stage", "name", "external_id"),
}
# The orderings on a column of the day's status, as the accounts that have one are read: the
# same keys without a NULLS clause (there are no NULLs there), the order an index scan yields.
STATUS_ORDERINGS = {
    "score": (F("day_score").asc(), "pk"),
    "-score": (F("day_score").desc(), "-pk"),
    "level": (F("day_level").asc(), "name", "external_id"),
    "-level": (F("day_level").desc(), "name", "external_id"),
    "dag_rate": (F("day_dag_rate").asc(), "name", "external_id"),
    "-dag_rate": (F("day_dag_rate").desc(), "name", "external_id"),
}
# The account list joins the day's status under this name; the day_* columns read that row.
ON_DAY = "on_day"
DAY_COLUMNS = {
    "status_day": "day",  # None when no status is stored that day
    "day_level": "deep_integration_level",
    "day_score": "score",
    "day_color": "color",
    "day_is_dag": "is_dag",
    "day_dag_rate": "dag_rate",
}


def vertical_accounts(
    *,
    accounts: QuerySet[Account],
    day: dt.date,
    search: str = "",
    stage: str = "",
    level: int | None = None,
    color: str = "",
    size_tier: str = "",
    dag: bool | None = None,
    ordering: str = "name",
) -> ChainedQuerySets:
    """`accounts` (already scoped to the user and the vertical) with their status on `day`.

    Each account carries day_level, day_score, day_color, day_is_dag and
    day_dag_rate (None when no status is stored for the day), filtered and
    ordered by them; `ordering` is a key of ACCOUNT_ORDERINGS. The day's status
    is joined once on its key (account, day).

    Ordered by a status column, the list is read in two parts: the accounts
    with a status that day, in that column's order (by score, ties by account
    id: a walk of the status index (day, score, account) that stops after a
    page on PostgreSQL), then the accounts without one, by name, in either
    direction (unknown health is neither the best nor the worst; the second
    part is read only once the first runs out). Any other ordering is one
    queryset.
    """
    qs = accounts.select_related("owner_csm").annotate(
        **{ON_DAY: FilteredRelation("daily_statuses", condition=Q(daily_statuses__day=day))}
    )
    qs = qs.annotate(**{name: F(f"{ON_DAY}__{column}") for name, column in DAY_COLUMNS.items()})
    if search:
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(local_name__icontains=search)
            | Q(external_id__icontains=search)
        )
    if stage:
        qs = qs.filter(stage=stage)
    if size_tier:
        qs = qs.filter(size_tier_filter(size_tier))
    status_filters = {}
    if level is not None:
        status_filters["day_level"] = level
    if color:
        status_filters["day_color"] = color
    if dag is not None:
        status_filters["day_is_dag"] = dag
    qs = qs.filter(**status_filters)
    if ordering not in ACCOUNT_ORDERINGS:
        ordering = "name"
    whole = qs.order_by(*ACCOUNT_ORDERINGS[ordering])
    if ordering not in STATUS_ORDERINGS:
        return ChainedQuerySets(whole, whole=whole)
    with_status = qs.filter(status_day__isnull=False).order_by(*STATUS_ORDERINGS[ordering])
    if status_filters:  # only accounts with a status that day match
        return ChainedQuerySets(with_status, whole=whole)
    without_status = qs.filter(status_day__isnull=True).order_by("name", "external_id")
    return ChainedQuerySets(with_status, without_status, whole=whole)


def statuses_for(*, accounts: Iterable[Account], day: dt.date) -> dict[int, AccountDailyStatus]:
    """The stored status on `day` of each of `accounts` (a page of them), by account id: one query."""
    ids = [a.pk for a in accounts]
    return {
        s.account_id: s
        for s in AccountDailyStatus.objects.filter(account_id__in=ids, day=day).select_related(
            "policy"
        )
    }


# --- The account page -----------------------------------------------------------------------

ACCOUNT_HISTORY_DAYS = 90
ACCOUNT_VISITS_SHOWN = 20


def account_review(*, account: Account, day: dt.date, visits_until: dt.date | None = None) -> dict:
    """What the account page shows on `day`, in a fixed number of queries (about ten).

    The health numbers are those of `day`; the visits are listed up to `visits_until`
    (default `day`) — the page passes today, so a visit logged a minute ago shows at once.

    "status" is the stored status on `day`, or the latest one before it
    (its own "day" says which); "history" the 90 days ending on `day` (None
    where nothing is stored); "connectors" the connector usage over the
    policy's window ending on `day`; "visits" the latest visits up to `day`;
    "open_requirements" every requirement still open, oldest first, with
    whether it is overdue at the end of `day`.
    """
    status = (
        AccountDailyStatus.objects.filter(account=account, day__lte=day)
        .select_related("policy")
        .order_by("-day")
        .first()
    )
    policy = status.policy if status else MetricPolicy.objects.current()
    start = day - dt.timedelta(days=ACCOUNT_HISTORY_DAYS - 1)
    stored = {
        row["day"]: row
        for row in AccountDailyStatus.objects.filter(
            account=account, day__range=(start, day)
        ).values("day", "minutes", "apps_used", "is_dag", "dag_rate", "deep_integration_level")
    }
    days = [start + dt.timedelta(days=k) for k in range(ACCOUNT_HISTORY_DAYS)]

    window_start = day - dt.timedelta(days=policy.window_days - 1)
    usage = list(
        ConnectorUsage.objects.filter(account=account, day__range=(window_start, day))
        .values("connector_id")
        .annotate(
            total_records=Sum("records"),
            active_days=Count("day", filter=Q(records__gt=0)),
            last_day=Max("day", filter=Q(records__gt=0)),
        )
        .order_by("-total_records", "connector_id")
    )
    catalog = Connector.objects.in_bulk([row["connector_id"] for row in usage])
    connectors = [{**row, "connector": catalog.get(row["connector_id"])} for row in usage]

    end = end_of_day(day)
    visits = list(
        account.visits.filter(visited_on__lte=visits_until or day)
        .select_related("author")
        .prefetch_related("staff_attendees", "contact_attendees")[:ACCOUNT_VISITS_SHOWN]
    )
    open_requirements = list(
        Requirement.objects.open()
        .filter(account=account)
        .select_related("owner", "visit")
        .order_by("raised_at")
    )
    for requirement in open_requirements:
        requirement.overdue_on_day = requirement.is_overdue(
            sla_hours=policy.requirement_sla_hours, now=end
        )
    timeline = sorted(
        [{"day": v.visited_on, "kind": "visit", "visit": v} for v in visits]
        + [
            {
                "day": timezone.localtime(r.raised_at).date(),
                "kind": "requirement",
                "requirement": r,
            }
            for r in open_requirements
        ],
        key=lambda entry: entry["day"],
        reverse=True,
    )
    components = status_components(status) if status else []
    return {
        "day": day,
        "policy": policy,
        "status": status,
        "components": components,
        "culprit": culprit(components) if status and status.color == HealthColor.RED else None,
        "next_level": status_next_level(status) if status else None,
        "days": days,
        "history": [stored.get(d) for d in days],
        "window_start": window_start,
        "connectors": connectors,
        "visits": visits,
        "visits_until": visits_until or day,
        "open_requirements": open_requirements,
        "timeline": timeline,
        "team": list(account.team.select_related("user").order_by("role", "user__username")),
        "contacts": list(account.contacts.all()),
        "projects": list(account.integration_projects.select_related("connector", "owner")),
    }
