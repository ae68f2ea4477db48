"""A known data set for the what-if: five accounts in three verticals, each near one threshold."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics import compute
from tests import factories

D = dt.date(2025, 3, 31)  # the day asked about; the rollup covers the 60 days ending on it
FIRST = D - dt.timedelta(days=59)


def dag_day(account, day, *, minutes_each=20, analytics=False):
    """Three apps of `minutes_each` minutes (60 by default: exactly a DAG day under the defaults)."""
    for code in ("chat", "docs", "bi" if analytics else "mail"):
        factories.app_usage(account, day, code, minutes_each)


@pytest.fixture
def data_set(db):
    """Accounts placed on the defaults' edges, rollup and status computed for [FIRST, D].

    - ent-a (manufacturing): exactly 60 minutes and 3 apps on D: DAG, lost at 61 minutes;
    - ent-b (manufacturing): 150 minutes, 3 apps on D: DAG under any nearby threshold;
    - ent-c (consumer_retail): deep (2 connectors, 10,000 records, 16 DAG days, 4 analytics
      days, 75 minutes a day): level 2 when analytics_days needs 5, level 1 when records need 20,000;
    - ent-d (consumer_retail): no usage at all: level 0, never DAG;
    - ent-e (energy_resources): 1 connector with 50,000 records: level 1, level 2 when one
      connector is enough; DAG days 40..21 days ago only (outside a 20-day window).
    """
    manufacturing = factories.vertical("manufacturing")
    retail = factories.vertical("consumer_retail")
    energy = factories.vertical("energy_resources")
    a = factories.AccountFactory(external_id="ent-a", vertical=manufacturing)
    b = factories.AccountFactory(external_id="ent-b", vertical=manufacturing)
    c = factories.AccountFactory(external_id="ent-c", vertical=retail)
    d = factories.AccountFactory(external_id="ent-d", vertical=retail)
    e = factories.AccountFactory(external_id="ent-e", vertical=energy)
    dag_day(a, D)
    dag_day(b, D, minutes_each=50)
    for n in range(16):
        dag_day(c, D - dt.timedelta(days=n), minutes_each=25, analytics=n < 4)
    factories.connector_usage(c, D, "yonyou_u8", 5_000)
    factories.connector_usage(c, D - dt.timedelta(days=3), "salesforce", 5_000)
    factories.connector_usage(e, D - dt.timedelta(days=2), "kingdee_k3", 50_000)
    for n in range(21, 41):
        dag_day(e, D - dt.timedelta(days=n))
    compute.recompute(start=FIRST, end=D)
    return {"a": a, "b": b, "c": c, "d": d, "e": e}
