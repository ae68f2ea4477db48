"""The what-if's own SQL against what the engine stores once the proposal is saved, on the edges
it handles apart: one read of each table for both policies over the longer window, and DAG days
counted only for accounts at level 2 under either policy (metrics/whatif.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics import compute, whatif
from metrics.models import AccountDailyStatus
from tests import factories

from .conftest import FIRST, D, dag_day
from .test_whatif import recompute_under, stored_side

pytestmark = pytest.mark.django_db


@pytest.fixture
def edges(db):
    """Accounts whose answer depends on which window, and which rows, the what-if reads.

    - far (manufacturing): 2 connectors with 6,000 records each 45 days ago, zero-record rows
      inside 30 days: level 0 now, level 2 with a 60-day window;
      DAG days 31..50 days ago only (so level 3 needs the longer window too);
    - zero (manufacturing): one connector at 20,000 records, another with 0 records on D:
      1 connector, level 1; level 2 when one connector is enough;
    - bare (consumer_retail): connectors and records (level 2) but no app usage at all;
    - newly (energy_resources): level 1 now (1 connector, 12,000 records), 20 DAG days and
      5 analytics days: level 3 once one connector is enough (its DAG days are needed
      only under the proposal);
    - user (energy_resources): DAG on D, no connector.
    """
    manufacturing = factories.vertical("manufacturing")
    retail = factories.vertical("consumer_retail")
    energy = factories.vertical("energy_resources")
    far = factories.AccountFactory(external_id="edge-far", vertical=manufacturing)
    zero = factories.AccountFactory(external_id="edge-zero", vertical=manufacturing)
    bare = factories.AccountFactory(external_id="edge-bare", vertical=retail)
    newly = factories.AccountFactory(external_id="edge-newly", vertical=energy)
    user = factories.AccountFactory(external_id="edge-user", vertical=energy)
    old = D - dt.timedelta(days=45)
    factories.connector_usage(far, old, "yonyou_u8", 6_000)
    factories.connector_usage(far, old, "salesforce", 6_000)
    factories.connector_usage(far, D - dt.timedelta(days=3), "yonyou_u8", 0)
    for n in range(31, 51):
        dag_day(far, D - dt.timedelta(days=n), analytics=n < 36)
    factories.connector_usage(zero, D, "kingdee_k3", 20_000)
    factories.connector_usage(zero, D, "salesforce", 0)
    dag_day(zero, D)
    factories.connector_usage(bare, D - dt.timedelta(days=1), "yonyou_u8", 5_000)
    factories.connector_usage(bare, D - dt.timedelta(days=2), "salesforce", 5_000)
    factories.connector_usage(newly, D - dt.timedelta(days=4), "kingdee_k3", 12_000)
    for n in range(20):
        dag_day(newly, D - dt.timedelta(days=n), analytics=n < 5)
    dag_day(user, D, minutes_each=40)
    compute.recompute(start=FIRST, end=D)
    return {"far": far, "zero": zero, "bare": bare, "newly": newly, "user": user}


PROPOSALS = [
    {"window_days": 60},
    {"window_days": 60, "deep_min_dag_rate": 0.3, "deep_min_analytics_days": 5},
    {"integrated_min_connectors": 1},
    {"integrated_min_connectors": 1, "window_days": 20, "dag_min_minutes": 120},
    {"integrated_min_records": 0, "deep_min_dag_rate": 0.0, "deep_min_analytics_days": 0},
]


@pytest.mark.parametrize("proposed", PROPOSALS, ids=lambda p: ",".join(p))
def test_answer_equals_what_the_engine_stores_under_the_proposal(edges, proposed):
    before_side, before_flags = stored_side(D)
    assert len(before_flags) == 5
    answer = whatif.what_if(day=D, proposed=proposed)
    assert answer["current"] == before_side

    recompute_under(proposed)
    after_side, after_flags = stored_side(D)
    assert answer["proposed"] == after_side
    assert answer["changed"] == [
        {"external_id": key, "before": before_flags[key], "after": after_flags[key]}
        for key in sorted(before_flags)
        if before_flags[key] != after_flags[key]
    ]
    assert answer["changed"], "every proposal here changes someone"


def test_known_levels_on_the_edges(edges):
    levels = dict(
        AccountDailyStatus.objects.filter(day=D).values_list(
            "account__external_id", "deep_integration_level"
        )
    )
    assert levels == {
        "edge-far": 0,
        "edge-zero": 1,
        "edge-bare": 2,
        "edge-newly": 1,
        "edge-user": 0,
    }
    longer = whatif.what_if(
        day=D, proposed={"window_days": 60, "deep_min_dag_rate": 0.3, "deep_min_analytics_days": 5}
    )
    assert {c["external_id"]: c["after"]["level"] for c in longer["changed"]} == {"edge-far": 3}
    one_connector = whatif.what_if(day=D, proposed={"integrated_min_connectors": 1})
    assert {c["external_id"]: c["after"]["level"] for c in one_connector["changed"]} == {
        "edge-zero": 2,
        "edge-newly": 3,
    }
