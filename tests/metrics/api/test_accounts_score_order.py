"""GET /api/v1/accounts/?ordering=±score without a health filter: order, ties, no-status last.

The list is read in two parts (accounts with a status on the health day by
score, then those without one); walking the cursor both ways must give the
order one sort would, with the accounts without a status last either way.
"""

from __future__ import annotations

import pytest

from accounts.models import Account
from tests import factories
from tests.api.conftest import DAY, make_status, token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/accounts/"
UNSCORED = ["e03", "e08", "e13"]  # no status on DAY (one has an older one)


@pytest.fixture
def accounts(coo):
    scores = {}
    for n in range(16):
        # External ids against creation order: score ties go by account id, not external_id.
        account = factories.AccountFactory(external_id=f"e{15 - n:02d}", name=f"Name {n}")
        if account.external_id in UNSCORED:
            if account.external_id == "e08":
                make_status(account, DAY.replace(day=DAY.day - 1), score=99)
            continue
        scores[account.external_id] = (n * 5) % 3 * 40  # 0, 40 or 80: ties
        score = scores[account.external_id]
        make_status(account, score=score, color={0: "red", 40: "yellow", 80: "green"}[score])
    make_status(factories.AccountFactory(external_id="zz-other-day"), DAY.replace(day=1))
    return scores


def expected(scores, *, descending: bool) -> list[str]:
    """Score then account id, both in the sort's direction; no status on the day last."""
    ids = dict(Account.objects.values_list("external_id", "pk"))
    scored = sorted(scores, key=lambda e: (scores[e], ids[e]), reverse=descending)
    return scored + sorted([*UNSCORED, "zz-other-day"], key=ids.get, reverse=descending)


def walk(client, url: str) -> tuple[list[list[str]], list[dict]]:
    pages, bodies = [], []
    while url:
        body = client.get(url).json()
        pages.append([row["external_id"] for row in body["results"]])
        bodies.append(body)
        url = body["next"]
    return pages, bodies


@pytest.mark.parametrize("ordering", ["-score", "score"])
def test_cursor_walk_follows_one_order_with_no_status_last(coo, accounts, ordering):
    client = token_client(coo)
    pages, bodies = walk(client, f"{URL}?page_size=5&ordering={ordering}&date={DAY}")
    order = expected(accounts, descending=ordering.startswith("-"))
    assert sum(pages, []) == order
    assert [len(p) for p in pages] == [5, 5, 5, 2]
    # Page 3 straddles the parts: the last scored accounts, then the first without a status.
    assert [row["health"] is None for row in bodies[2]["results"]] == [False] * 3 + [True] * 2
    # And back across the boundary: the previous link of the last page gives page 3.
    back = client.get(bodies[3]["previous"]).json()
    assert [row["external_id"] for row in back["results"]] == pages[2]
    back = client.get(back["previous"]).json()
    assert [row["external_id"] for row in back["results"]] == pages[1]


def test_the_first_page_by_score_is_one_list_query(coo, accounts, django_assert_num_queries):
    client = token_client(coo)
    client.get(URL)  # the token's first use stamps last_used_at
    # Token, health day, the page (the first part fills it).
    with django_assert_num_queries(3):
        body = client.get(f"{URL}?page_size=5&ordering=-score").json()
    assert [row["health"]["score"] for row in body["results"]] == [80] * 4 + [40]
    # A page reaching the accounts without a status reads the second part too.
    with django_assert_num_queries(4):
        client.get(f"{URL}?page_size=50&ordering=score")


def test_a_health_filter_reads_only_accounts_with_a_status(coo, accounts):
    client = token_client(coo)
    got = [
        row["external_id"]
        for row in client.get(f"{URL}?page_size=50&ordering=score&color=yellow").json()["results"]
    ]
    assert got == [e for e in expected(accounts, descending=False) if accounts.get(e) == 40]
    assert len(got) == 4
