"""The visit planner names an account's open CTAs among its reasons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reports import planner
from tests import factories

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() - dt.timedelta(days=1)


def test_open_ctas_are_a_reason_closed_ones_are_not(coo):
    busy = factories.AccountFactory(name="Busy Co")
    quiet = factories.AccountFactory(name="Quiet Co")
    factories.cta(busy, "turned_red", opened_on=DAY - dt.timedelta(days=2))
    factories.cta(busy, "connector_silent", opened_on=DAY - dt.timedelta(days=1))
    factories.cta(
        quiet, "near_deep", opened_on=DAY - dt.timedelta(days=9), status="done", closed_on=DAY
    )
    entries = {e.account.name: e for e in planner.visit_plan(user=coo, day=DAY)}
    assert entries["Busy Co"].open_ctas == ["connector_silent", "turned_red"]
    assert "2 open CTAs: Connector fell silent, Health turned red" in entries["Busy Co"].reasons
    assert entries["Quiet Co"].open_ctas == []
    assert not any("CTA" in reason for reason in entries["Quiet Co"].reasons)


def test_the_plan_page_shows_the_cta_reason(client, coo):
    account = factories.AccountFactory(name="Busy Co")
    factories.cta(account, "turned_red", opened_on=DAY - dt.timedelta(days=2))
    client.force_login(coo)
    html = client.get("/plan/", {"date": DAY.isoformat()}).content.decode()
    assert "1 open CTA: Health turned red" in html
