"""The pipeline pages and the account page: numbers against stored metrics, scoping, query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Stage
from core.days import last_complete_day
from tests import factories
from tests.reports.data import at, status_row

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


def cell_numbers(html: str, attribute: str) -> list[str]:
    """The text of every element carrying data-number="attribute"."""
    return [
        re.sub(r"<[^>]+>", "", m).strip()
        for m in re.findall(rf'data-number="{attribute}"[^>]*>(.*?)</span>', html, re.S)
    ]


@pytest.fixture
def lead(db):
    return factories.person("lead", "manufacturing", username="lead_m")


@pytest.fixture
def small(manufacturing, retail):
    """Known stored metrics: manufacturing has 3 accounts (1 deep, 2 DAG), retail 1 (deep, DAG)."""
    a = factories.AccountFactory(
        name="Alpha Motors", external_id="m-alpha", vertical=manufacturing, stage=Stage.EXPANDING
    )
    b = factories.AccountFactory(
        name="Beta Steel", external_id="m-beta", vertical=manufacturing, stage=Stage.ADOPTING
    )
    c = factories.AccountFactory(
        name="Gamma Chemicals", external_id="m-gamma", vertical=manufacturing, stage=Stage.AT_RISK
    )
    r = factories.AccountFactory(
        name="Retail One", external_id="r-one", vertical=retail, stage=Stage.ONBOARDING
    )
    status_row(a, DAY, is_dag=True, deep_integration_level=3, connectors=3, records=50_000)
    status_row(b, DAY, is_dag=True, deep_integration_level=2, connectors=2, records=12_000)
    status_row(
        c, DAY - dt.timedelta(days=7), deep_integration_level=1, connectors=1
    )  # green a week before
    status_row(
        c,
        DAY,
        deep_integration_level=1,
        connectors=1,
        records=500,
        points_dag_rate=5.0,
        points_integration=10.0,
        points_breadth=10.0,
        points_recency=0.0,
        points_requirements=5.0,
    )
    status_row(r, DAY, is_dag=True, deep_integration_level=3)
    for weeks_back in (1, 2):
        status_row(a, DAY - dt.timedelta(weeks=weeks_back), is_dag=True, deep_integration_level=2)
    return {"a": a, "b": b, "c": c, "r": r}


# --- Who may open what ---------------------------------------------------------------------


def test_anonymous_people_go_to_the_admin_login(client):
    for url in ("/pipeline/", "/pipeline/manufacturing/", "/accounts/anything/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


def test_a_csm_without_the_lead_role_is_refused_the_pipeline(client, csm):
    client.force_login(csm)
    assert client.get("/pipeline/").status_code == 403
    assert client.get("/pipeline/manufacturing/").status_code == 403


def test_an_api_client_has_no_pages(client, small):
    robot = factories.person("api_client", None, username="robot")
    client.force_login(robot)
    assert client.get("/pipeline/").status_code == 403
    assert client.get("/accounts/m-alpha/").status_code == 403


def test_a_lead_sees_only_her_vertical(client, lead, small):
    client.force_login(lead)
    response = client.get(f"/pipeline/?date={DAY}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Manufacturing" in html
    assert "Consumer" not in html
    assert [row["vertical"].code for row in response.context["review"]["verticals"]] == [
        "manufacturing"
    ]
    assert client.get("/pipeline/manufacturing/").status_code == 200
    assert client.get("/pipeline/consumer_retail/").status_code == 404
    assert client.get("/pipeline/no-such-vertical/").status_code == 404


def test_a_lead_in_one_vertical_and_csm_in_another_reviews_only_the_first(client, lead, small):
    lead = factories.person("csm", "consumer_retail", username="lead_m")
    client.force_login(lead)
    assert client.get("/pipeline/consumer_retail/").status_code == 404
    # The account pages follow the account scoping: both of her verticals.
    assert client.get("/accounts/r-one/").status_code == 200


def test_the_account_page_is_scoped_to_the_users_verticals(client, csm, other_csm, small):
    client.force_login(csm)
    assert client.get(f"/accounts/m-alpha/?date={DAY}").status_code == 200
    assert client.get("/accounts/r-one/").status_code == 404
    client.force_login(other_csm)
    assert client.get("/accounts/m-alpha/").status_code == 404
    assert client.get("/accounts/r-one/").status_code == 200


# --- The numbers on the pages ----------------------------------------------------------------


def test_overview_shows_the_stored_numbers_of_all_five_verticals(client, coo, small):
    client.force_login(coo)
    response = client.get(f"/pipeline/?date={DAY}")
    assert response.status_code == 200
    html = response.content.decode()
    review = response.context["review"]
    assert [row["vertical"].code for row in review["verticals"]] == [
        "manufacturing",
        "consumer_retail",
        "energy_resources",
        "agri_food",
        "conglomerate_services",
    ]
    # The headline cards, in vertical order.
    assert cell_numbers(html, "deep_customers") == ["1", "1", "0", "0", "0"]
    manufacturing = review["verticals"][0]
    assert manufacturing["numbers"]["dag_accounts"] == 2
    assert manufacturing["numbers"]["stages"]["at_risk"] == 1
    assert manufacturing["deep_trend"][-3:] == [0, 0, 1]
    assert manufacturing["deep_change"] == 1
    assert cell_numbers(html, "deep_change") == [
        "▲ +1 in 2 weeks"
    ]  # only manufacturing has history, stored 2 weeks back
    assert manufacturing["levels"] == {0: 0, 1: 1, 2: 1, 3: 1}
    # Gamma turned red; its recency earned nothing.
    red = manufacturing["turned_red"]
    assert red["count"] == 1
    assert red["accounts"][0]["account"].external_id == "m-gamma"
    assert "Gamma Chemicals" in html
    # Its own reason is what fell; the weakest component now only when nothing fell.
    assert "fell most: DAG rate (−15.0 points in 7 days)" in html
    # The chart data is embedded next to each canvas, with the same numbers.
    charts = response.context["charts"]
    assert charts["deep_trend"]["config"]["datasets"][0]["data"][-1] == 1
    assert charts["stages"]["rows"][0][0] == "Manufacturing"
    assert 'id="chart-deep-trend-data"' in html
    assert "<details" in html


def test_vertical_page_shows_its_numbers_and_accounts_on_the_path(client, coo, small):
    client.force_login(coo)
    response = client.get(f"/pipeline/manufacturing/?date={DAY}")
    assert response.status_code == 200
    html = response.content.decode()
    assert cell_numbers(html, "deep_customers") == ["1"]
    assert cell_numbers(html, "dag_accounts") == ["2"]
    assert cell_numbers(html, "accounts") == ["3"]
    rows = response.context["account_rows"]
    assert [row["account"].external_id for row in rows] == ["m-alpha", "m-beta", "m-gamma"]
    path_of = {
        row["account"].external_id: [step["reached"] for step in row["path"]] for row in rows
    }
    assert path_of["m-alpha"] == [True, True, True, True]
    assert path_of["m-beta"] == [True, True, True, False]
    assert path_of["m-gamma"] == [True, True, False, False]
    gamma = rows[2]
    assert gamma["next_level"]["level"] == 2
    assert {m["criterion"] for m in gamma["next_level"]["missing"]} == {"connectors", "records"}
    assert "Retail One" not in html


def test_account_list_sorts_filters_and_pages(client, coo, small, manufacturing):
    client.force_login(coo)
    ids = lambda r: [row["account"].external_id for row in r.context["account_rows"]]  # noqa: E731
    response = client.get(f"/pipeline/manufacturing/?date={DAY}&sort=-level")
    assert ids(response) == ["m-alpha", "m-beta", "m-gamma"]
    response = client.get(f"/pipeline/manufacturing/?date={DAY}&sort=score")
    assert ids(response)[0] == "m-gamma"
    assert ids(client.get(f"/pipeline/manufacturing/?date={DAY}&color=red")) == ["m-gamma"]
    assert ids(client.get(f"/pipeline/manufacturing/?date={DAY}&level=2")) == ["m-beta"]
    assert ids(client.get(f"/pipeline/manufacturing/?date={DAY}&q=beta")) == ["m-beta"]
    assert ids(client.get(f"/pipeline/manufacturing/?date={DAY}&stage=at_risk")) == ["m-gamma"]
    assert ids(client.get(f"/pipeline/manufacturing/?date={DAY}&dag=no")) == ["m-gamma"]
    for n in range(30):
        factories.AccountFactory(name=f"Zeta {n:02d}", vertical=manufacturing)
    response = client.get(f"/pipeline/manufacturing/?date={DAY}&page=2")
    assert response.context["page"].number == 2
    assert len(response.context["account_rows"]) == 33 - 25


def test_bad_input_is_named_not_a_500(client, coo, small):
    client.force_login(coo)
    response = client.get("/pipeline/?date=2026-13-40")
    assert response.status_code == 200
    assert "Day: Enter a valid date." in response.content.decode()
    assert response.context["day"] == last_complete_day()
    response = client.get("/pipeline/?date=2999-01-01")
    assert "The day cannot be in the future." in response.content.decode()
    response = client.get(
        f"/pipeline/manufacturing/?date={DAY}&level=9&sort=evil&page=abc&stage=at_risk"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Level: Select a valid choice. 9 is not one of the available choices." in html
    assert "sort: Select a valid choice." in html
    # The valid filter still applies; the bad page number falls back to the first page.
    assert [row["account"].external_id for row in response.context["account_rows"]] == ["m-gamma"]


def test_account_page_shows_the_stored_status_and_its_components(client, coo, small):
    account = small["c"]
    author = factories.person("csm", "manufacturing", username="csm_visit")
    visit = factories.VisitFactory(
        account=account, author=author, visited_on=DAY - dt.timedelta(days=2), purpose="QBR"
    )
    factories.RequirementFactory(
        account=account, visit=visit, title="Sync the MES", raised_at=at(DAY - dt.timedelta(days=2))
    )
    factories.AccountTeamMemberFactory(account=account, user=author, role="csm")
    factories.connector_usage(account, DAY - dt.timedelta(days=1), "kingdee_k3", 500)
    client.force_login(coo)
    response = client.get(f"/accounts/m-gamma/?date={DAY}")
    assert response.status_code == 200
    html = response.content.decode()
    review = response.context["review"]
    assert review["status"].day == DAY
    assert cell_numbers(html, "score") == ["30"]
    assert review["culprit"]["component"] == "recency"
    assert [c["points"] for c in review["components"]] == [5.0, 10.0, 10.0, 0.0, 5.0]
    assert len(review["history"]) == 90
    assert review["history"][-1]["deep_integration_level"] == 1
    assert review["history"][-8]["deep_integration_level"] == 1  # the week before
    assert review["history"][0] is None
    assert review["connectors"][0]["total_records"] == 500
    assert "QBR" in html and "Sync the MES" in html
    assert "overdue: no first response within the SLA" in html
    assert f'href="/admin/visits/visit/add/?account={account.pk}&amp;next=' in html
    usage = response.context["charts"]["usage"]
    assert usage["config"]["datasets"][0]["data"][-1] == 0
    assert len(usage["rows"]) == 90


# --- Bounded queries --------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize(
    "url", [f"/pipeline/?date={DAY}", f"/pipeline/manufacturing/?date={DAY}", "/accounts/m-alpha/"]
)
def test_pages_run_the_same_number_of_queries_whatever_the_number_of_accounts(
    client, coo, small, manufacturing, url, django_assert_max_num_queries
):
    client.force_login(coo)
    before = _queries(client, url)
    for n in range(40):
        account = factories.AccountFactory(name=f"Extra {n:02d}", vertical=manufacturing)
        status_row(account, DAY, is_dag=n % 2 == 0, deep_integration_level=n % 4, score=10)
        status_row(account, DAY - dt.timedelta(days=7), score=90)
        factories.VisitFactory(account=account, author=coo, visited_on=DAY)
        factories.RequirementFactory(account=account, raised_at=at(DAY - dt.timedelta(days=3)))
    with django_assert_max_num_queries(30):
        after = _queries(client, url)
    assert after == before


def test_pages_read_in_chinese(client, coo, small):
    from django.utils import translation

    client.force_login(coo)
    response = client.get(f"/pipeline/?date={DAY}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    with translation.override("zh-hans"):
        title = translation.gettext("Pipeline review")
        deep_trend = translation.gettext("Deep-integration customers, weekly over 12 weeks")
    assert title != "Pipeline review"  # the catalog translates it
    assert f"<h1>{title}</h1>" in html
    charts = response.context["charts"]
    assert charts["deep_trend"]["title"] == deep_trend
    # Vertical names in the chart legends are the local names.
    assert charts["deep_trend"]["config"]["datasets"][0]["label"] == "制造"
    response = client.get(f"/accounts/m-gamma/?date={DAY}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert '<html lang="zh-hans">' in response.content.decode()


def test_people_who_review_no_pipeline_are_not_offered_the_link(client, csm, lead, small):
    client.force_login(csm)
    html = client.get("/accounts/m-alpha/").content.decode()
    assert 'href="/pipeline/"' not in html
    client.force_login(lead)
    html = client.get("/accounts/m-alpha/").content.decode()
    assert 'href="/pipeline/"' in html
    assert 'href="/pipeline/manufacturing/?date=' in html


def test_the_filtered_account_list_downloads_as_csv(
    client, coo, small, django_assert_max_num_queries
):
    import csv
    import io

    client.force_login(coo)
    with django_assert_max_num_queries(12):
        response = client.get(f"/pipeline/manufacturing/?date={DAY}&sort=-level&format=csv")
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="manufacturing-accounts-{DAY}.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["external_id"], r["deep_integration_level"], r["color"]) for r in rows] == [
        ("m-alpha", "3", "green"),
        ("m-beta", "2", "green"),
        ("m-gamma", "1", "red"),
    ]
    assert client.get("/pipeline/consumer_retail/?format=csv").status_code == 200
    factories.AccountFactory(
        name="=HYPERLINK(1)", external_id="m-evil", vertical=small["a"].vertical
    )
    response = client.get(f"/pipeline/manufacturing/?date={DAY}&q=m-evil&format=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body
    lead = factories.person("lead", "manufacturing", username="lead_csv")
    client.force_login(lead)
    assert client.get("/pipeline/consumer_retail/?format=csv").status_code == 404
