"""The CTA part of the admin index's "my day" panel: my open CTAs, overdue flagged, links."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.days import business_today
from plays.models import Play
from tests import factories

pytestmark = pytest.mark.django_db


def open_cta(account, trigger="no_recent_visit", *, owner, due_in=7, opened_ago=3):
    today = business_today()
    return factories.cta(
        account,
        trigger,
        owner=owner,
        opened_on=today - dt.timedelta(days=opened_ago),
        due_in=opened_ago + due_in,
    )


def test_my_day_lists_my_open_ctas_with_overdue_flagged(client, csm, other_csm):
    mine = factories.AccountFactory(owner_csm=csm, name="Mine Co")
    late = open_cta(mine, owner=csm, due_in=-2, opened_ago=10)
    soon = open_cta(mine, "turned_red", owner=csm, due_in=3)
    colleague = factories.AccountFactory(owner_csm=csm, name="Lead Co")
    open_cta(colleague, owner=factories.person("lead", "manufacturing", username="lead_m"))
    client.force_login(csm)
    response = client.get(reverse("admin:index"))
    ctas = response.context["ctas"]
    assert (ctas.open, ctas.overdue) == (2, 1)
    assert [c.pk for c in ctas.ctas] == [late.pk, soon.pk]
    body = response.content.decode()
    assert 'id="my-ctas"' in body and 'id="my-ctas-overdue"' in body
    assert reverse("admin:plays_cta_change", args=[late.pk]) in body
    assert reverse("admin:plays_cta_changelist") + "?state=overdue" in body
    assert "no visit in the last 45 days (never visited)" in body
    assert "Lead Co" not in body


def test_my_day_shows_no_cta_row_without_cta_permission(client, csm):
    user = factories.UserFactory(username="plain", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:index")).context.get("ctas") is None


def test_my_day_queries_do_not_grow_with_ctas(client, csm, django_assert_num_queries):
    account = factories.AccountFactory(owner_csm=csm)
    open_cta(account, owner=csm)
    client.force_login(csm)
    url = reverse("admin:index")
    client.get(url)  # warm the session and content types
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    few = len(captured)
    triggers = [t for t in Play.objects.values_list("trigger", flat=True)]
    for i in range(15):
        account = factories.AccountFactory(owner_csm=csm)
        open_cta(account, triggers[i % len(triggers)], owner=csm, due_in=i - 7, opened_ago=10)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert response.context["ctas"].open == 16
    assert "All 16 open CTAs in My CTAs" in response.content.decode()
