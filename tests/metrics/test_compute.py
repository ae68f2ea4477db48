"""Hand-made boundary cases of the SQL engine (metrics.compute), docs/metrics.md's definitions at each edge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.days import business_today, end_of_day, last_complete_day
from metrics import compute, ingest, services
from metrics.models import AccountDailyStatus, AccountDayUsage, MetricPolicy, PendingRecompute
from tests import factories

pytestmark = pytest.mark.django_db

D = dt.date(2025, 3, 31)  # the day computed; its 30-day window is 2025-03-02 .. 2025-03-31
WINDOW_FIRST = D - dt.timedelta(days=29)


@pytest.fixture
def account(db):
    return factories.AccountFactory(external_id="ent-x")


def status_of(account, day=D) -> AccountDailyStatus:
    compute.recompute(start=day, end=day)
    return AccountDailyStatus.objects.get(account=account, day=day)


def usage(account, day, **minutes_by_app):
    for code, minutes in minutes_by_app.items():
        factories.app_usage(account, day, code, minutes)


def dag_day(account, day, analytics=False):
    """Three apps, 60 minutes: a DAG day (with an analytics app if asked)."""
    usage(account, day, chat=20, docs=20, **({"bi": 20} if analytics else {"mail": 20}))


def compute_days(start, end):
    return compute.recompute(start=start, end=end)


def test_59_minutes_is_not_dag_60_is(account):
    usage(account, D, chat=19, docs=20, mail=20)
    assert status_of(account).is_dag is False
    factories.app_usage(account, D - dt.timedelta(days=1), "chat", 20)
    usage(account, D - dt.timedelta(days=1), docs=20, mail=20)
    assert status_of(account, D - dt.timedelta(days=1)).is_dag is True


def test_2_apps_is_not_dag_3_apps_is(account):
    usage(account, D, chat=100, docs=100)
    row = status_of(account)
    assert (row.minutes, row.apps_used, row.is_dag) == (200, 2, False)
    usage(account, D, mail=1)
    row = status_of(account)
    assert (row.apps_used, row.is_dag) == (3, True)


def test_an_app_with_0_minutes_is_not_used(account):
    usage(account, D, chat=50, docs=50, mail=0)
    row = status_of(account)
    assert (row.minutes, row.apps_used, row.is_dag) == (100, 2, False)


def test_a_day_without_rows_is_zero_usage(account):
    row = status_of(account)
    assert (row.minutes, row.apps_used, row.is_dag, row.dag_days, row.dag_rate) == (
        0,
        0,
        False,
        0,
        0,
    )
    assert (row.connectors, row.records, row.deep_integration_level) == (0, 0, 0)
    assert not AccountDayUsage.objects.exists()


def test_window_includes_its_first_and_last_day_and_nothing_before(account):
    dag_day(account, WINDOW_FIRST)  # first day of the window: counts
    dag_day(account, D)  # last day: counts
    dag_day(account, WINDOW_FIRST - dt.timedelta(days=1))  # the day before: does not
    factories.connector_usage(account, WINDOW_FIRST, "sap_s4", 7)
    factories.connector_usage(account, WINDOW_FIRST - dt.timedelta(days=1), "yonyou_u8", 1000)
    compute_days(WINDOW_FIRST - dt.timedelta(days=1), D)
    row = AccountDailyStatus.objects.get(account=account, day=D)
    assert (row.dag_days, row.dag_rate) == (2, 2 / 30)
    assert (row.connectors, row.records) == (1, 7)


def test_connector_with_zero_records_does_not_connect(account):
    factories.connector_usage(account, D, "sap_s4", 0)
    assert status_of(account).deep_integration_level == 0
    factories.connector_usage(account, D, "salesforce", 1)
    row = status_of(account)
    assert (row.connectors, row.records, row.deep_integration_level) == (1, 1, 1)


def test_integrated_needs_two_connectors_and_10000_records(account):
    factories.connector_usage(account, D, "sap_s4", 5000)
    factories.connector_usage(account, D - dt.timedelta(days=3), "salesforce", 4999)
    row = status_of(account)
    assert (row.connectors, row.records, row.deep_integration_level) == (2, 9999, 1)
    factories.connector_usage(account, D - dt.timedelta(days=4), "salesforce", 1)
    assert status_of(account).deep_integration_level == 2


def test_records_alone_without_a_second_connector_stay_connected(account):
    factories.connector_usage(account, D, "sap_s4", 50_000)
    assert status_of(account).deep_integration_level == 1


def _integrated(account):
    factories.connector_usage(account, D, "sap_s4", 6000)
    factories.connector_usage(account, D, "kingdee_k3", 6000)


def test_deep_needs_dag_rate_half_and_4_analytics_days(account):
    _integrated(account)
    days = [D - dt.timedelta(days=k) for k in range(15)]
    for n, day in enumerate(days):
        dag_day(account, day, analytics=n < 3)
    compute_days(days[-1], D)
    row = AccountDailyStatus.objects.get(account=account, day=D)
    assert (row.dag_days, row.dag_rate, row.analytics_days) == (15, 0.5, 3)
    assert row.deep_integration_level == 2  # one analytics day short
    factories.app_usage(account, D - dt.timedelta(days=20), "reports", 5)  # not a DAG day
    compute_days(D - dt.timedelta(days=20), D)
    row = AccountDailyStatus.objects.get(account=account, day=D)
    assert (row.analytics_days, row.deep_integration_level) == (4, 3)


def test_deep_lost_when_dag_rate_drops_below_half(account):
    _integrated(account)
    for k in range(15):  # 15 DAG days D-14 .. D, all with analytics
        dag_day(account, D - dt.timedelta(days=k), analytics=True)
    compute_days(D - dt.timedelta(days=15), D + dt.timedelta(days=16))
    levels = dict(
        AccountDailyStatus.objects.filter(account=account).values_list(
            "day", "deep_integration_level"
        )
    )
    assert levels[D] == 3
    assert levels[D + dt.timedelta(days=15)] == 3  # window D-14 .. D+15 still holds all 15
    assert levels[D + dt.timedelta(days=16)] == 2  # D-14 left the window


def test_transition_none_connected_integrated_over_days(account):
    factories.connector_usage(account, D - dt.timedelta(days=2), "sap_s4", 100)
    factories.connector_usage(account, D - dt.timedelta(days=1), "kingdee_k3", 9900)
    compute_days(D - dt.timedelta(days=3), D)
    levels = [
        AccountDailyStatus.objects.get(
            account=account, day=D - dt.timedelta(days=k)
        ).deep_integration_level
        for k in (3, 2, 1, 0)
    ]
    assert levels == [0, 1, 2, 2]


def test_connector_leaving_the_window_lowers_the_level(account):
    factories.connector_usage(account, D - dt.timedelta(days=29), "sap_s4", 100)
    compute_days(D, D + dt.timedelta(days=1))
    assert AccountDailyStatus.objects.get(account=account, day=D).deep_integration_level == 1
    assert (
        AccountDailyStatus.objects.get(
            account=account, day=D + dt.timedelta(days=1)
        ).deep_integration_level
        == 0
    )


def test_health_components_match_rules(account):
    policy = MetricPolicy.objects.latest()
    for k in range(9):  # 9 DAG days, 4 apps max
        usage(
            account,
            D - dt.timedelta(days=k),
            chat=30,
            docs=30,
            mail=10,
            **({"bi": 5} if k < 2 else {}),
        )
    factories.connector_usage(account, D, "sap_s4", 10)
    factories.VisitFactory(account=account, visited_on=D - dt.timedelta(days=75))
    compute_days(D - dt.timedelta(days=8), D)
    row = AccountDailyStatus.objects.get(account=account, day=D)
    assert (row.dag_days, row.max_apps_used, row.deep_integration_level) == (9, 4, 1)
    assert row.days_since_visit == 75
    assert row.points_dag_rate == pytest.approx(30 * (9 / 30) / 0.5)
    assert row.points_integration == pytest.approx(10)
    assert row.points_breadth == pytest.approx(15 * 4 / 6)
    assert row.points_recency == pytest.approx(15 * (120 - 75) / 90)
    assert row.points_requirements == pytest.approx(10)
    assert row.score == int(18 + 10 + 10 + 7.5 + 10 + 0.5) == 56
    assert row.color == "yellow"
    assert row.policy_id == policy.pk


def test_visit_recency_and_overdue_requirements_boundaries(account):
    eod = end_of_day(D)
    # Raised exactly SLA hours before the end of the day: overdue that day.
    factories.RequirementFactory(account=account, raised_at=eod - dt.timedelta(hours=24))
    # One second later: not yet.
    factories.RequirementFactory(
        account=account, raised_at=eod - dt.timedelta(hours=24, seconds=-1)
    )
    # Answered before the end of the day: not overdue.
    factories.RequirementFactory(
        account=account,
        raised_at=eod - dt.timedelta(days=5),
        first_response_at=eod - dt.timedelta(hours=1),
    )
    # Answered only after the day: overdue on D.
    factories.RequirementFactory(
        account=account,
        raised_at=eod - dt.timedelta(days=5),
        first_response_at=eod + dt.timedelta(hours=1),
    )
    # Declined: never counts.
    factories.RequirementFactory(
        account=account, raised_at=eod - dt.timedelta(days=5), status="declined"
    )
    factories.VisitFactory(account=account, visited_on=D)
    factories.VisitFactory(account=account, visited_on=D + dt.timedelta(days=1))  # after D: ignored
    row = status_of(account)
    assert row.overdue_requirements == 2
    assert row.days_since_visit == 0
    assert row.points_recency == 15
    assert row.points_requirements == pytest.approx(10 * (1 - 2 / 3))


def test_never_visited_gives_no_recency_points(account):
    row = status_of(account)
    assert (row.days_since_visit, row.points_recency) == (None, 0)
    assert (row.score, row.color) == (10, "red")  # only "no overdue requirements"


@pytest.mark.parametrize(
    ("days_ago", "points"), [(30, 15.0), (31, 15 * 89 / 90), (119, 15 / 90), (120, 0.0)]
)
def test_recency_edges(account, days_ago, points):
    factories.VisitFactory(account=account, visited_on=D - dt.timedelta(days=days_ago))
    assert status_of(account).points_recency == pytest.approx(points)


def test_each_colour_at_its_threshold(account):
    policy = MetricPolicy.objects.latest()
    factories.VisitFactory(account=account, visited_on=D)  # 15 recency + 10 requirements = 25
    usage(account, D, chat=1, docs=1, mail=1, hr=1, projects=1, approval=1)  # +15 breadth = 40
    assert (status_of(account).score, status_of(account).color) == (40, "yellow")
    policy.yellow_min_score = 41
    policy.green_min_score = 41
    services.save_policy_version(policy=policy)
    assert status_of(account).color == "red"
    policy.green_min_score = 40
    policy.yellow_min_score = 40
    services.save_policy_version(policy=policy)
    assert status_of(account).color == "green"


def test_recompute_is_idempotent(account):
    dag_day(account, D)
    factories.connector_usage(account, D, "sap_s4", 10)
    compute_days(D - dt.timedelta(days=1), D)
    first = list(AccountDailyStatus.objects.order_by("day").values())
    assert compute_days(D - dt.timedelta(days=1), D) == 0  # nothing changed: nothing rewritten
    assert list(AccountDailyStatus.objects.order_by("day").values()) == first


def test_recompute_limited_to_accounts(account):
    other = factories.AccountFactory(external_id="ent-y")
    assert compute.recompute(start=D, end=D, account_ids=[other.pk]) == 1
    assert list(AccountDailyStatus.objects.values_list("account_id", flat=True)) == [other.pk]
    assert compute.recompute(start=D, end=D, account_id_range=(account.pk, account.pk)) == 1
    assert AccountDailyStatus.objects.count() == 2


def test_policy_change_recomputes_the_current_window(account, django_capture_on_commit_callbacks):
    yesterday = last_complete_day()
    usage(account, yesterday, chat=15, docs=15, mail=15)  # 45 minutes, 3 apps
    compute.recompute(start=yesterday, end=yesterday)
    old = AccountDailyStatus.objects.get(account=account, day=yesterday)
    assert old.is_dag is False
    policy = MetricPolicy.objects.latest()
    policy.dag_min_minutes = 45
    with django_capture_on_commit_callbacks(execute=True):
        new_policy = services.save_policy_version(policy=policy)
    assert MetricPolicy.objects.count() == 2  # the history keeps the old version
    new = AccountDailyStatus.objects.get(account=account, day=yesterday)
    assert (new.is_dag, new.policy_id) == (True, new_policy.pk)
    assert AccountDailyStatus.objects.filter(account=account).count() == new_policy.window_days
    assert not PendingRecompute.objects.exists()


def test_ingest_then_commit_recomputes_the_affected_days(
    account, django_capture_on_commit_callbacks
):
    yesterday = last_complete_day()
    rows = [
        (
            i,
            {
                "account": "ent-x",
                "date": yesterday.isoformat(),
                "app": app,
                "minutes": 20,
                "active_users": 2,
            },
        )
        for i, app in enumerate(["chat", "docs", "bi"])
    ]
    with django_capture_on_commit_callbacks(execute=True):
        ingest.import_app_usage(rows=rows, skip_invalid=False)
    row = AccountDailyStatus.objects.get(account=account, day=yesterday)
    assert (row.minutes, row.apps_used, row.is_dag, row.analytics_days) == (60, 3, True, 1)
    assert not PendingRecompute.objects.exists()


def test_requirement_created_now_does_not_break_today(account):
    factories.RequirementFactory(account=account, raised_at=timezone.now())
    today = business_today()
    assert status_of(account, today).overdue_requirements == 0
