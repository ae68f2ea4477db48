"""CTAs where people work: the account page, the pipeline and its vertical pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.days import business_today
from tests import factories
from tests.reports.test_pages import cell_numbers

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(csm, manufacturing, retail):
    """Manufacturing: 2 open CTAs (1 overdue), closed ones taking 2, 4 and 9 days (and one of 100
    days ago, outside the median's window). Retail: 1 open CTA."""
    today = business_today()
    ago = lambda days: today - dt.timedelta(days=days)  # noqa: E731
    alpha = factories.AccountFactory(name="Alpha Motors", external_id="m-alpha", owner_csm=csm)
    beta = factories.AccountFactory(name="Beta Steel", external_id="m-beta", owner_csm=csm)
    shop = factories.AccountFactory(name="Retail One", external_id="r-one", vertical=retail)
    ctas = {
        "late": factories.cta(alpha, owner=csm, opened_on=ago(10), due_in=7),
        "fresh": factories.cta(beta, "turned_red", owner=csm, opened_on=ago(1), due_in=7),
        "retail": factories.cta(shop, opened_on=ago(2)),
        "done": factories.cta(
            alpha, "turned_red", owner=csm, opened_on=ago(12), status="done", closed_on=ago(10)
        ),
        "dismissed": factories.cta(
            alpha,
            "renewal_at_risk",
            owner=csm,
            opened_on=ago(20),
            status="dismissed",
            closed_on=ago(16),
            note="Renewal signed last week",
        ),
        "resolved": factories.cta(
            beta, "dag_rate_fell", opened_on=ago(30), status="resolved", closed_on=ago(21)
        ),
        "old": factories.cta(
            beta, "near_deep", opened_on=ago(150), status="done", closed_on=ago(100)
        ),
    }
    return ctas


def test_the_account_page_lists_open_and_recently_closed_ctas(client, coo, csm, work):
    client.force_login(coo)
    response = client.get("/accounts/m-alpha/")
    ctas = response.context["ctas"]
    assert [c.pk for c in ctas["open"]] == [work["late"].pk]
    assert [c.pk for c in ctas["closed"]] == [work["done"].pk, work["dismissed"].pk]
    html = response.content.decode()
    assert 'id="account-ctas"' in html
    assert "no visit in the last 45 days (never visited)" in html
    assert "Renewal signed last week" in html
    assert "Dismissed" in html and "overdue" in html
    assert (csm.get_full_name() or csm.username) in html


def test_the_account_page_says_why_a_cta_resolved_itself(client, coo, work):
    client.force_login(coo)
    html = client.get("/accounts/m-beta/").content.decode()
    assert "resolved on" in html and "3 consecutive evaluated days" in html
    assert "Health turned red" in html  # the open one


def test_the_pipeline_counts_open_and_overdue_ctas_and_the_median_days_to_close(client, coo, work):
    client.force_login(coo)
    response = client.get("/pipeline/")
    by_code = {row["vertical"].code: row["ctas"] for row in response.context["review"]["verticals"]}
    manufacturing = by_code["manufacturing"]
    assert (manufacturing.open, manufacturing.overdue) == (2, 1)
    assert (manufacturing.closed, manufacturing.median_days_to_close) == (3, 4)
    assert (by_code["consumer_retail"].open, by_code["consumer_retail"].overdue) == (1, 0)
    assert by_code["consumer_retail"].median_days_to_close is None
    html = response.content.decode()
    assert 'data-line="open_ctas"' in html and 'data-line="median_days_to_close"' in html


def test_the_vertical_page_lists_its_open_ctas_overdue_first(client, coo, work):
    client.force_login(coo)
    response = client.get("/pipeline/manufacturing/")
    assert [c.pk for c in response.context["ctas"]] == [work["late"].pk, work["fresh"].pk]
    html = response.content.decode()
    assert cell_numbers(html, "open_ctas") == ["2"]
    assert cell_numbers(html, "overdue_ctas") == ["1"]
    assert cell_numbers(html, "median_days_to_close") == ["4"]
    assert 'id="cta-list"' in html and "Retail One" not in html


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("url", ["/pipeline/", "/pipeline/manufacturing/", "/accounts/m-alpha/"])
def test_cta_reads_do_not_grow_with_the_number_of_ctas(
    client, coo, work, url, django_assert_num_queries
):
    client.force_login(coo)
    _queries(client, url)  # warm the session and caches
    before = _queries(client, url)
    today = business_today()
    alpha = work["late"].account
    for n, code in enumerate(
        ["manufacturing", "consumer_retail", "agri_food", "manufacturing"] * 5
    ):
        account = factories.AccountFactory(vertical=factories.vertical(code))
        factories.cta(account, opened_on=today - dt.timedelta(days=n % 9))
        factories.cta(
            account,
            "turned_red",
            opened_on=today - dt.timedelta(days=20),
            status="done",
            closed_on=today - dt.timedelta(days=n % 15),
        )
        factories.cta(
            alpha,
            "dag_rate_fell",
            opened_on=today - dt.timedelta(days=40),
            status="resolved",
            closed_on=today - dt.timedelta(days=30 + n),
        )
    with django_assert_num_queries(before):
        assert client.get(url).status_code == 200
