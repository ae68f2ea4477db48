"""A vertical's account list sorted by a status column: order, ties, accounts without a status.

Sorted by score the list is read in two parts (the accounts with a status
that day in score order, then those without one); these tests hold the
whole order, page after page, to the one a single sort would give.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import AccountDailyStatus
from tests import factories
from tests.reports.data import status_row

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)
URL = f"/pipeline/manufacturing/?date={DAY}"
# The accounts with nothing stored on DAY, by name: Twin 1, Twin 2, Twin 3, Twin 4.
UNSCORED_BY_NAME = ["m-11", "m-27", "m-03", "m-19"]


@pytest.fixture
def accounts(manufacturing, retail):
    """30 manufacturing accounts: scores with ties, names with ties, 4 with no status on DAY."""
    made = {}
    for n in range(30):
        # Names repeat ("Twin 0".."Twin 4"): the accounts without a status tie on them.
        account = factories.AccountFactory(
            external_id=f"m-{n:02d}", name=f"Twin {n % 5}", vertical=manufacturing
        )
        made[account.external_id] = account
        if n % 8 == 3:  # m-03, m-11, m-19, m-27: nothing stored on DAY (one the day before)
            status_row(account, DAY - dt.timedelta(days=1), score=99)
            continue
        status_row(account, DAY, score=(n * 7) % 4 * 25)  # 0, 25, 50 or 75: many ties
    # Another vertical's account never shows.
    other = factories.AccountFactory(external_id="r-1", name="Twin 0", vertical=retail)
    status_row(other, DAY, score=100)
    return made


def expected(accounts, *, descending: bool) -> list[str]:
    """Score then account id, both in the sort's direction; no status on DAY last, by name."""
    scores = dict(
        AccountDailyStatus.objects.filter(
            day=DAY, account__vertical__code="manufacturing"
        ).values_list("account__external_id", "score")
    )
    scored = sorted(
        (a for a in accounts.values() if a.external_id in scores),
        key=lambda a: (scores[a.external_id], a.pk),
        reverse=descending,
    )
    unscored = sorted(
        (a for a in accounts.values() if a.external_id not in scores),
        key=lambda a: (a.name, a.external_id),
    )
    return [a.external_id for a in scored + unscored]


def walk(client, url: str) -> list[list[str]]:
    pages, number = [], 1
    while True:
        response = client.get(f"{url}&page={number}")
        assert response.status_code == 200
        pages.append([row["account"].external_id for row in response.context["account_rows"]])
        if not response.context["page"].has_next():
            return pages
        number += 1


@pytest.mark.parametrize("sort", ["-score", "score"])
def test_pages_by_score_follow_one_order_with_no_status_last(client, coo, accounts, sort):
    client.force_login(coo)
    pages = walk(client, f"{URL}&sort={sort}")
    assert [len(page) for page in pages] == [25, 5]
    assert sum(pages, []) == expected(accounts, descending=sort.startswith("-"))
    # The second page straddles the two parts: the last scored account, then the 4 unscored
    # by name (Twin 1, 2, 3, 4).
    assert pages[1][1:] == UNSCORED_BY_NAME
    rows = client.get(f"{URL}&sort={sort}&page=2").context["account_rows"]
    assert [row["status"] is None for row in rows] == [False] + [True] * 4


def test_rows_without_a_status_show_as_such(client, coo, accounts):
    client.force_login(coo)
    response = client.get(f"{URL}&sort=-score&page=2")
    unscored = [row for row in response.context["account_rows"] if row["status"] is None]
    assert [row["account"].external_id for row in unscored] == UNSCORED_BY_NAME
    assert all(row["account"].day_score is None for row in unscored)


def test_a_status_filter_keeps_the_score_order(client, coo, accounts):
    client.force_login(coo)
    response = client.get(f"{URL}&sort=-score&color=red")
    ids = [row["account"].external_id for row in response.context["account_rows"]]
    red = [
        external_id
        for external_id in expected(accounts, descending=True)
        if accounts[external_id].daily_statuses.filter(day=DAY, color="red").exists()
    ]
    assert ids == red and ids


def test_the_csv_follows_the_page_order(client, coo, accounts):
    client.force_login(coo)
    response = client.get(f"{URL}&sort=score&format=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in body[1:]] == expected(accounts, descending=False)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_sorting_by_score_runs_the_queries_of_sorting_by_name(client, coo, accounts):
    client.force_login(coo)
    by_name = _queries(client, URL)
    assert _queries(client, f"{URL}&sort=-score") == by_name
    assert _queries(client, f"{URL}&sort=score") == by_name
    # The page that straddles the two parts reads the second part too: one query more.
    assert _queries(client, f"{URL}&sort=-score&page=2") == by_name + 1
