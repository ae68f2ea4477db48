"""A large recompute runs its statements a slice of account ids at a time (compute.account_slices).

The slices must cover every account exactly once, keep a chunk's open upper bound,
and give the very rows one statement over every account gives.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from metrics import compute, signals
from metrics.models import AccountDailyStatus, AccountDayUsage
from metrics.status_sql import STATUS_COLUMNS, AccountFilter
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="slices are cut on PostgreSQL only"
    ),
]

START = dt.date(2025, 6, 1)
DAYS = 4


@pytest.fixture
def accounts(db):
    made = factories.AccountFactory.create_batch(7)
    for n, account in enumerate(made):
        for offset in range(DAYS):
            day = START + dt.timedelta(days=offset)
            factories.app_usage(account, day, "chat", 30 + 10 * n + offset)
            factories.app_usage(account, day, "bi", 15 * ((n + offset) % 3))
            if n % 2:
                factories.connector_usage(account, day, "sap_s4", 5000 * (offset % 2))
    return made


def rows() -> dict:
    return {
        (row["account_id"], row["day"]): row
        for row in AccountDailyStatus.objects.values(*STATUS_COLUMNS)
    }


def covered(slices: list[AccountFilter], ids: list[int]) -> list[int]:
    return sorted(i for i in ids for part in slices if part.id_range[0] <= i <= part.id_range[1])


def test_slices_cover_every_account_once(accounts, monkeypatch):
    monkeypatch.setattr(compute, "SLICE_ACCOUNTS", 2)
    ids = sorted(a.id for a in accounts)
    slices = compute.account_slices(AccountFilter())
    assert len(slices) >= 3
    assert covered(slices, ids) == ids
    assert slices[-1].id_range[1] == compute._BIGINT_MAX  # an account created later is in one

    chunk = AccountFilter(id_range=(ids[2], compute._BIGINT_MAX))
    parts = compute.account_slices(chunk)
    assert parts[0].id_range[0] == ids[2] and parts[-1].id_range[1] == compute._BIGINT_MAX
    assert covered(parts, ids) == ids[2:]


def test_a_small_recompute_is_one_slice(accounts, monkeypatch):
    assert compute.account_slices(AccountFilter()) == [AccountFilter()]
    listed = AccountFilter(account_ids=(accounts[0].id,))
    assert compute.account_slices(listed) == [listed]
    monkeypatch.setattr(compute, "SLICE_ACCOUNTS", 2)
    # Two ids, whether or not a multiple of 2 lies between them: narrower than a slice.
    for low in (accounts[0].id, accounts[1].id):
        narrow = AccountFilter(id_range=(low, low + 1))
        assert compute.account_slices(narrow) == [narrow]


def test_sliced_recompute_writes_the_rows_of_one_statement(
    accounts, monkeypatch, django_capture_on_commit_callbacks
):
    end = START + dt.timedelta(days=DAYS - 1)
    compute.recompute(start=START, end=end)
    whole = rows()
    assert len(whole) == len(accounts) * DAYS

    AccountDailyStatus.objects.all().delete()
    AccountDayUsage.objects.all().delete()
    monkeypatch.setattr(compute, "SLICE_ACCOUNTS", 2)
    announced = []

    def receiver(sender, *, day, accounts, **kwargs):
        announced.append((day, accounts))

    signals.day_recomputed.connect(receiver, dispatch_uid="test-slices")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            written = compute.recompute(start=START, end=end)
    finally:
        signals.day_recomputed.disconnect(dispatch_uid="test-slices")
    assert written == len(accounts) * DAYS
    assert rows() == whole
    # Once a day, for the accounts recomputed, not once a slice.
    assert announced == [(START + dt.timedelta(days=n), AccountFilter()) for n in range(DAYS)]
