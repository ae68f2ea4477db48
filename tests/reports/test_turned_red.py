"""The turned-red list: each account with its own reason, and a way to the ones not listed."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from reports import pipeline
from tests import factories
from tests.reports.data import status_row

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)
WEEK_BEFORE = DAY - dt.timedelta(days=pipeline.TURNED_RED_LOOKBACK_DAYS)


def red_items(html: str) -> list[str]:
    listing = html[html.index('class="red-list"') :]
    listing = listing[: listing.index("</ul>")]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", li)) for li in listing.split("<li>")[1:]]


def turned_red(account, *, lost: str) -> None:
    """Green a week before, red now; no integration either day; `lost` is what fell."""
    before = {"points_integration": 0.0, "points_dag_rate": 30.0, "points_recency": 15.0}
    now = dict(before, **{f"points_{lost}": 0.0}, points_breadth=0.0, points_requirements=0.0)
    status_row(account, WEEK_BEFORE, **before, color="green", score=65)
    status_row(account, DAY, **now, color="red", score=15)


def test_each_account_gives_its_own_reason(client, coo, manufacturing):
    turned_red(factories.AccountFactory(name="Alpha", vertical=manufacturing), lost="dag_rate")
    turned_red(factories.AccountFactory(name="Beta", vertical=manufacturing), lost="recency")
    client.force_login(coo)
    items = red_items(client.get(f"/pipeline/manufacturing/?date={DAY}").content.decode())
    assert len(items) == 2
    alpha, beta = items
    # Both have no integration at all: that explains neither turn, so it is not "the" reason.
    assert "DAG rate" in alpha and "Visit recency" not in alpha
    assert "Visit recency" in beta and "DAG rate" not in beta
    assert not any("Deep-integration level" in item for item in items)


def test_the_rest_of_the_turned_red_accounts_are_a_link_away(client, coo, manufacturing):
    for i in range(pipeline.TURNED_RED_OVERVIEW_LIMIT + 3):
        account = factories.AccountFactory(name=f"Red {i}", vertical=manufacturing)
        turned_red(account, lost="dag_rate")
    client.force_login(coo)
    html = client.get(f"/pipeline/?date={DAY}").content.decode()
    assert "The 5 lowest scores of 8." in html
    link = re.search(r'<a class="red-rest" href="([^"]+)"', html)
    assert link, "no link to the rest"
    rest = client.get(link.group(1).replace("&amp;", "&"))
    assert rest.status_code == 200
    listed = rest.content.decode().count('data-account="')
    assert listed == pipeline.TURNED_RED_OVERVIEW_LIMIT + 3
