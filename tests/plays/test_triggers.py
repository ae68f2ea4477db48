"""Every trigger at its boundary: it holds, and one unit short it does not."""

from __future__ import annotations

import datetime as dt

import pytest

from core.days import end_of_day
from plays import reasons
from tests import factories

from .conftest import DAY, run, status

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@pytest.mark.parametrize(("level_before", "holds"), [(3, True), (2, False)])
def test_level_dropped(level_before, holds):
    account = factories.AccountFactory()
    status(account, DAY - days(7), deep_integration_level=level_before)
    status(account, DAY, deep_integration_level=2, dag_rate=0.6, analytics_days=2)
    _result, ctas = run("level_dropped")
    assert len(ctas) == int(holds)
    if holds:
        words = reasons.render("level_dropped", ctas[0].reason_numbers)
        assert words == (
            "deep-integration level fell from 3 to 2 since 2026-11-13: "
            "analytics used on 2 of 4 days"
        )


def test_level_dropped_looks_back_exactly_lookback_days():
    account = factories.AccountFactory()
    status(account, DAY - days(6), deep_integration_level=3)
    status(account, DAY, deep_integration_level=2)
    assert run("level_dropped")[1] == []


@pytest.mark.parametrize(("color_before", "holds"), [("yellow", True), ("red", False)])
def test_turned_red(color_before, holds):
    account = factories.AccountFactory()
    status(account, DAY - days(7), color=color_before, score=50)
    status(account, DAY, color="red", score=30)
    assert len(run("turned_red")[1]) == int(holds)


def test_turned_red_needs_red_on_the_day():
    account = factories.AccountFactory()
    status(account, DAY - days(7), color="green")
    status(account, DAY, color="yellow")
    assert run("turned_red")[1] == []


@pytest.mark.parametrize(("rate_now", "holds"), [(0.3, True), (0.31, False)])
def test_dag_rate_fell_by_min_drop(rate_now, holds):
    account = factories.AccountFactory()
    status(account, DAY - days(28), dag_rate=0.5)
    status(account, DAY, dag_rate=rate_now)
    _result, ctas = run("dag_rate_fell")
    assert len(ctas) == int(holds)
    if holds:
        assert reasons.render("dag_rate_fell", ctas[0].reason_numbers) == (
            "DAG rate fell from 50% to 30% since 2026-10-23"
        )


def _connector_days(account, first: dt.date, last: dt.date, code="sap_s4", records=100):
    day = first
    while day <= last:
        factories.connector_usage(account, day, code, records)
        day += days(1)


def test_connector_silent_holds_after_active_days_then_silent_days():
    account = factories.AccountFactory()
    # Active on the 7 days before the last 3 days (DAY-9 … DAY-3), silent DAY-2 … DAY.
    _connector_days(account, DAY - days(9), DAY - days(3))
    factories.connector_usage(account, DAY - days(1), "sap_s4", 0)  # a zero row is silence
    _result, ctas = run("connector_silent")
    assert len(ctas) == 1
    assert reasons.render("connector_silent", ctas[0].reason_numbers) == (
        "SAP S/4HANA connector silent for 3 days after 7 active days"
    )


def test_connector_silent_needs_every_active_day():
    account = factories.AccountFactory()
    _connector_days(account, DAY - days(8), DAY - days(3))  # 6 active days
    assert run("connector_silent")[1] == []


def test_connector_silent_not_while_records_still_flow():
    account = factories.AccountFactory()
    _connector_days(account, DAY - days(9), DAY - days(3))
    factories.connector_usage(account, DAY, "sap_s4", 1)
    assert run("connector_silent")[1] == []


@pytest.mark.parametrize(("analytics_days", "holds"), [(3, True), (2, False), (4, False)])
def test_near_deep_analytics_within_margin(analytics_days, holds):
    account = factories.AccountFactory()
    # Default policy: deep needs dag_rate 0.5 and 4 analytics days; margin 0.25 -> 3 days.
    status(account, DAY, deep_integration_level=2, dag_rate=0.5, analytics_days=analytics_days)
    _result, ctas = run("near_deep")
    assert len(ctas) == int(holds)
    if holds:
        assert reasons.render("near_deep", ctas[0].reason_numbers) == (
            "one criterion short of deep integration: analytics used on 3 of 4 days"
        )


@pytest.mark.parametrize(("dag_rate", "holds"), [(0.375, True), (0.37, False)])
def test_near_deep_dag_rate_within_margin(dag_rate, holds):
    account = factories.AccountFactory()
    status(account, DAY, deep_integration_level=2, dag_rate=dag_rate, analytics_days=4)
    assert len(run("near_deep")[1]) == int(holds)


def test_near_deep_not_with_two_criteria_missing():
    account = factories.AccountFactory()
    status(account, DAY, deep_integration_level=2, dag_rate=0.45, analytics_days=3)
    assert run("near_deep")[1] == []


@pytest.mark.parametrize(
    ("renewal_in", "color", "holds"),
    [(90, "yellow", True), (91, "yellow", False), (90, "green", False), (0, "red", False)],
)
def test_renewal_at_risk(renewal_in, color, holds):
    account = factories.AccountFactory(renewal_date=DAY + days(renewal_in))
    status(account, DAY, color=color, score=50)
    _result, ctas = run("renewal_at_risk")
    assert len(ctas) == int(holds)
    if holds:
        assert reasons.render("renewal_at_risk", ctas[0].reason_numbers) == (
            "renewal on 2027-02-18 (in 90 days) with health Yellow (score 50)"
        )


@pytest.mark.parametrize(
    ("before_end", "priority", "holds"),
    [
        (dt.timedelta(hours=24), "high", True),
        (dt.timedelta(hours=24) - dt.timedelta(seconds=1), "high", False),
        (dt.timedelta(hours=48), "medium", False),
        (dt.timedelta(hours=48), "critical", True),
    ],
)
def test_requirement_overdue(before_end, priority, holds):
    account = factories.AccountFactory()
    factories.RequirementFactory(
        account=account, priority=priority, raised_at=end_of_day(DAY) - before_end
    )
    assert len(run("requirement_overdue")[1]) == int(holds)


def test_requirement_answered_by_the_end_of_the_day_is_not_overdue():
    account = factories.AccountFactory()
    raised = end_of_day(DAY) - dt.timedelta(hours=30)
    factories.RequirementFactory(
        account=account,
        priority="high",
        raised_at=raised,
        first_response_at=raised + dt.timedelta(hours=25),
    )
    assert run("requirement_overdue")[1] == []


@pytest.mark.parametrize(
    ("headcount", "last_visit_ago", "holds"),
    [
        (10_000, 45, True),
        (10_000, 44, False),
        (9_999, 45, False),
        (10_000, None, True),
    ],
)
def test_no_recent_visit(headcount, last_visit_ago, holds):
    account = factories.AccountFactory(headcount=headcount)
    if last_visit_ago is not None:
        factories.VisitFactory(account=account, visited_on=DAY - days(last_visit_ago))
    factories.VisitFactory(account=account, visited_on=DAY + days(1))  # after the day: no matter
    _result, ctas = run("no_recent_visit")
    assert len(ctas) == int(holds)


def test_level_dropped_by_two_levels_names_the_missing_criteria_of_each():
    account = factories.AccountFactory()
    status(account, DAY - days(7), deep_integration_level=3)
    status(
        account,
        DAY,
        deep_integration_level=1,
        connectors=1,
        records=20_000,
        dag_rate=0.6,
        analytics_days=1,
    )
    [cta] = run("level_dropped")[1]
    # Default policy: integrated needs 2 connectors and 10,000 records; deep 0.5 and 4 days.
    assert cta.reason_numbers["missing"] == [
        {"criterion": "connectors", "have": 1, "need": 2},
        {"criterion": "analytics_days", "have": 1, "need": 4},
    ]
    assert reasons.render("level_dropped", cta.reason_numbers) == (
        "deep-integration level fell from 3 to 1 since 2026-11-13: "
        "1 of 2 connectors with data; analytics used on 1 of 4 days"
    )


def test_connector_silent_names_every_silent_connector_in_code_order():
    account = factories.AccountFactory()
    for code in ("sap_s4", "kingdee_k3"):
        _connector_days(account, DAY - days(9), DAY - days(3), code=code)
    [cta] = run("connector_silent")[1]
    assert [c["code"] for c in cta.reason_numbers["connectors"]] == ["kingdee_k3", "sap_s4"]
    assert (cta.reason_numbers["active_days"], cta.reason_numbers["silent_days"]) == (7, 3)


def test_requirement_overdue_names_the_business_day_the_oldest_was_raised():
    account = factories.AccountFactory()
    # 2026-11-18 20:00 UTC is 2026-11-19 04:00 in Asia/Shanghai, the business day.
    raised = dt.datetime(2026, 11, 18, 20, 0, tzinfo=dt.UTC)
    for hours in (0, 5):
        factories.RequirementFactory(
            account=account, priority="high", raised_at=raised + dt.timedelta(hours=hours)
        )
    [cta] = run("requirement_overdue")[1]
    assert cta.reason_numbers == {
        "count": 2,
        "min_priority": "high",
        "sla_hours": 24,
        "oldest_raised": "2026-11-19",
    }
    assert reasons.render("requirement_overdue", cta.reason_numbers) == (
        "2 requirements of priority High or higher have had no first response within the "
        "24-hour SLA (the oldest raised 2026-11-19)"
    )


def test_no_recent_visit_numbers_say_when_the_last_visit_was():
    seen, never = (factories.AccountFactory(headcount=20_000) for _ in range(2))
    factories.VisitFactory(account=seen, visited_on=DAY - days(60))
    numbers = {c.account_id: c.reason_numbers for c in run("no_recent_visit")[1]}
    assert numbers == {
        seen.id: {"days": 45, "last_visit": (DAY - days(60)).isoformat()},
        never.id: {"days": 45, "last_visit": None},
    }
