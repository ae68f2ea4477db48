"""The plan refuses what it cannot answer, as the pipeline does, and leads to every account."""

from __future__ import annotations

import datetime as dt

import pytest

from core.days import business_today
from metrics.models import AccountDailyStatus, MetricPolicy
from reports import plan_views as views
from tests import factories

pytestmark = pytest.mark.django_db

DAY = business_today() - dt.timedelta(days=1)


def alerts(html: str) -> str:
    start = html.find('id="plan-errors"')
    assert start != -1, "no refusal shown"
    return html[start : html.find("</ul>", start)]


def test_a_future_day_is_refused_with_a_message(client, coo):
    client.force_login(coo)
    response = client.get("/plan/", {"date": "2030-01-01"})
    assert response.status_code == 200
    assert "The day cannot be in the future." in alerts(response.content.decode())
    assert response.context["day"] <= business_today()


def test_a_vertical_not_yours_is_refused_with_a_message(client):
    lead = factories.person("lead", "consumer_retail", username="lead_r")
    factories.AccountFactory(name="Mine In Retail", vertical=factories.vertical("consumer_retail"))
    client.force_login(lead)
    response = client.get("/plan/", {"vertical": "manufacturing"})
    message = alerts(response.content.decode())
    assert "manufacturing" in message and "not one of your verticals" in message


def test_the_rest_of_a_region_is_a_link_away(client, coo):
    policy = MetricPolicy.objects.latest()
    for i in range(views.PER_REGION + 3):
        account = factories.AccountFactory(name=f"North {i:02d}", region="North China")
        AccountDailyStatus.objects.create(
            account=account, day=DAY, policy=policy, color="yellow", score=50 + i
        )
    client.force_login(coo)
    html = client.get("/plan/", {"date": DAY.isoformat()}).content.decode()
    assert html.count('class="plan-row') == views.PER_REGION
    assert 'class="more-accounts"' in html
    assert "region=North+China" in html
    html = client.get("/plan/", {"date": DAY.isoformat(), "region": "North China"}).content.decode()
    assert html.count('class="plan-row') == views.PER_REGION + 3
