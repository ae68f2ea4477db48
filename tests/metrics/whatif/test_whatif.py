"""The what-if against a real recompute: same totals, same changed accounts, nothing written."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from metrics import compute, services, whatif
from metrics.models import (
    AccountDailyStatus,
    AccountDayUsage,
    MetricPolicy,
    PendingRecompute,
)
from tests import factories
from verticals.models import Vertical

from .conftest import FIRST, D

pytestmark = pytest.mark.django_db


def stored_side(day: dt.date) -> tuple[dict, dict]:
    """The what-if's counts from the stored status rows, and each account's (is_dag, level)."""
    codes = Vertical.objects.order_by("position", "code").values_list("code", flat=True)
    side = {
        "dag_accounts": 0,
        "deep_customers": 0,
        "by_vertical": {code: {"dag_accounts": 0, "deep_customers": 0} for code in codes},
    }
    flags = {}
    rows = AccountDailyStatus.objects.filter(day=day).values_list(
        "account__external_id", "account__vertical__code", "is_dag", "deep_integration_level"
    )
    for external_id, code, is_dag, level in rows:
        flags[external_id] = {"is_dag": bool(is_dag), "level": level}
        for counts in (side, side["by_vertical"][code]):
            counts["dag_accounts"] += int(bool(is_dag))
            counts["deep_customers"] += int(level == 3)
    return side, flags


def recompute_under(proposed: dict) -> MetricPolicy:
    """Save the proposal as the new policy version (as the admin does) and recompute its window."""
    policy = MetricPolicy.objects.latest()
    for name, value in proposed.items():
        setattr(policy, name, value)
    policy = services.save_policy_version(policy=policy)
    compute.recompute(start=FIRST, end=D, policy=policy)
    return policy


def snapshot() -> tuple:
    return (
        sorted(AccountDailyStatus.objects.values_list()),
        sorted(AccountDayUsage.objects.values_list()),
        MetricPolicy.objects.count(),
        PendingRecompute.objects.count(),
    )


PROPOSALS = [
    {"dag_min_minutes": 61},
    {"dag_min_apps": 4, "dag_min_minutes": 30},
    {"deep_min_analytics_days": 5},
    {"integrated_min_records": 20_000},
    {"integrated_min_connectors": 1},
    {"window_days": 20, "deep_min_dag_rate": 0.85},
    {"window_days": 60, "deep_min_dag_rate": 0.3},
    {},
]


@pytest.mark.parametrize("proposed", PROPOSALS, ids=lambda p: ",".join(p) or "nothing")
def test_preview_equals_a_real_recompute_under_the_proposal(data_set, proposed):
    before_side, before_flags = stored_side(D)
    answer = whatif.what_if(day=D, proposed=proposed)
    assert answer["current"] == before_side

    recompute_under(proposed)
    after_side, after_flags = stored_side(D)
    assert answer["proposed"] == after_side
    expected_changed = [
        {"external_id": key, "before": before_flags[key], "after": after_flags[key]}
        for key in sorted(before_flags)
        if before_flags[key] != after_flags[key]
    ]
    assert answer["changed"] == expected_changed
    if proposed:
        assert answer["changed"], "every proposal of the data set changes someone"


def test_known_answer_for_a_stricter_dag(data_set):
    answer = whatif.what_if(day=D, proposed={"dag_min_minutes": 61})
    assert answer["current"]["dag_accounts"] == 3  # a, b, c
    assert answer["proposed"]["dag_accounts"] == 2  # a falls below 61 minutes
    assert answer["current"]["by_vertical"]["manufacturing"] == {
        "dag_accounts": 2,
        "deep_customers": 0,
    }
    assert answer["proposed"]["by_vertical"]["manufacturing"]["dag_accounts"] == 1
    assert answer["changed"] == [
        {
            "external_id": "ent-a",
            "before": {"is_dag": True, "level": 0},
            "after": {"is_dag": False, "level": 0},
        }
    ]
    assert set(answer["current"]["by_vertical"]) == set(
        Vertical.objects.values_list("code", flat=True)
    )


def test_levels_change_both_ways(data_set):
    looser = whatif.what_if(day=D, proposed={"integrated_min_connectors": 1})
    assert [c["external_id"] for c in looser["changed"]] == ["ent-e"]
    assert looser["changed"][0]["after"]["level"] == 2
    stricter = whatif.what_if(day=D, proposed={"deep_min_analytics_days": 5})
    assert stricter["current"]["deep_customers"] == 1
    assert stricter["proposed"]["deep_customers"] == 0
    assert stricter["changed"][0] == {
        "external_id": "ent-c",
        "before": {"is_dag": True, "level": 3},
        "after": {"is_dag": True, "level": 2},
    }


def test_current_is_recomputed_not_read_from_stale_rows(data_set):
    """A stored row out of date (e.g. a policy recompute still queued) does not leak into "current"."""
    AccountDailyStatus.objects.filter(account=data_set["d"], day=D).update(
        is_dag=True, deep_integration_level=3
    )
    answer = whatif.what_if(day=D, proposed={})
    assert answer["current"]["deep_customers"] == 1
    assert answer["changed"] == []


def test_what_if_writes_nothing(data_set):
    before = snapshot()
    for proposed in PROPOSALS:
        whatif.what_if(day=D, proposed=proposed)
    assert snapshot() == before


def test_accounts_qs_limits_the_counts(data_set):
    from accounts.models import Account

    answer = whatif.what_if(
        day=D,
        proposed={"dag_min_minutes": 61},
        accounts_qs=Account.objects.filter(vertical__code="consumer_retail"),
    )
    assert answer["current"]["dag_accounts"] == 1
    assert answer["current"]["by_vertical"]["manufacturing"]["dag_accounts"] == 0
    assert answer["changed"] == []


@pytest.mark.parametrize(
    ("proposed", "field", "words"),
    [
        ({"dag_minutes": 5}, "dag_minutes", "Unknown setting"),
        ({"weight_dag_rate": 10}, "weight_dag_rate", "Unknown setting"),
        ({"window_days": 0}, "window_days", "out of range"),
        ({"window_days": 367}, "window_days", "out of range"),
        ({"dag_min_apps": 0}, "dag_min_apps", "out of range"),
        ({"dag_min_minutes": -1}, "dag_min_minutes", "out of range"),
        ({"deep_min_dag_rate": 1.5}, "deep_min_dag_rate", "out of range"),
        ({"deep_min_dag_rate": float("nan")}, "deep_min_dag_rate", "finite"),
        ({"integrated_min_connectors": 2.5}, "integrated_min_connectors", "whole number"),
        ({"deep_min_analytics_days": "4"}, "deep_min_analytics_days", "number"),
        ({"deep_min_analytics_days": True}, "deep_min_analytics_days", "number"),
        ({"deep_min_analytics_days": 40_000}, "deep_min_analytics_days", "out of range"),
    ],
)
def test_bad_proposals_name_the_setting(db, proposed, field, words):
    with pytest.raises(whatif.PolicyProposalError) as raised:
        whatif.what_if(day=D, proposed=proposed)
    assert list(raised.value.errors) == [field]
    assert words in raised.value.errors[field]
    assert field in raised.value.errors[field]


def test_whole_floats_and_ints_are_accepted(data_set):
    assert whatif.validate_proposal({"window_days": 30.0, "deep_min_dag_rate": 1}) == {
        "window_days": 30,
        "deep_min_dag_rate": 1.0,
    }


def test_a_chain_of_random_proposals_matches_recomputes(db):
    """Seeded random accounts and proposals: after each what-if, save it, recompute, compare."""
    rng = random.Random(20261125)
    codes = list(Vertical.objects.values_list("code", flat=True))
    apps = ["chat", "docs", "mail", "approval", "bi", "reports"]
    connectors = ["yonyou_u8", "kingdee_k3", "salesforce"]
    for n in range(30):
        account = factories.AccountFactory(
            external_id=f"rnd-{n:02d}", vertical=factories.vertical(rng.choice(codes))
        )
        for back in rng.sample(range(60), rng.randint(0, 40)):
            for code in rng.sample(apps, rng.randint(1, 5)):
                factories.app_usage(account, D - dt.timedelta(days=back), code, rng.randint(1, 60))
        for code in rng.sample(connectors, rng.randint(0, 3)):
            back = rng.randint(0, 59)
            factories.connector_usage(
                account, D - dt.timedelta(days=back), code, rng.randint(0, 9000)
            )
    compute.recompute(start=FIRST, end=D)
    ranges = {
        "window_days": (7, 60),
        "dag_min_minutes": (30, 150),
        "dag_min_apps": (1, 5),
        "integrated_min_connectors": (1, 3),
        "integrated_min_records": (0, 15_000),
        "deep_min_analytics_days": (0, 10),
    }
    changed_somewhere = False
    for _ in range(8):
        proposed = {
            name: rng.randint(*ranges[name])
            for name in rng.sample(sorted(ranges), rng.randint(1, 3))
        }
        if rng.random() < 0.5:
            proposed["deep_min_dag_rate"] = round(rng.uniform(0.0, 0.6), 2)
        before_side, before_flags = stored_side(D)
        answer = whatif.what_if(day=D, proposed=proposed)
        assert answer["current"] == before_side, proposed
        recompute_under(proposed)
        after_side, after_flags = stored_side(D)
        assert answer["proposed"] == after_side, proposed
        assert [c["external_id"] for c in answer["changed"]] == sorted(
            key for key in before_flags if before_flags[key] != after_flags[key]
        ), proposed
        changed_somewhere |= bool(answer["changed"])
    assert changed_somewhere
