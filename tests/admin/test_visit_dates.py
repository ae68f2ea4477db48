"""A visit is dated between 10 years ago and today (business time zone): admin, import and API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core.days import business_today
from tests import factories
from tests.admin.test_import_export import csv_dataset, errors_of
from tests.api.conftest import token_client
from visits.models import Visit, visit_date_bounds
from visits.resources import VisitResource

pytestmark = pytest.mark.django_db

TOMORROW = business_today() + dt.timedelta(days=1)
LONG_AGO = dt.date(1999, 1, 1)


def visit_form(own, author, visited_on: dt.date) -> dict:
    return {
        "account": str(own.account.pk),
        "visited_on": visited_on.isoformat(),
        "visit_type": "check_in",
        "author": str(author.pk),
        "sentiment": "neutral",
        "purpose": "Dated visit",
        "requirements-TOTAL_FORMS": "0",
        "requirements-INITIAL_FORMS": "0",
        "action_items-TOTAL_FORMS": "0",
        "action_items-INITIAL_FORMS": "0",
    }


@pytest.mark.parametrize("day", [TOMORROW, dt.date(2027, 3, 1), LONG_AGO])
def test_the_admin_form_refuses_a_future_or_ancient_date(client, csm, own, day):
    client.force_login(csm)
    response = client.post(reverse("admin:visits_visit_add"), visit_form(own, csm, day))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["visited_on"]
    assert day.isoformat() in errors[0]
    assert not Visit.objects.filter(purpose="Dated visit").exists()


def test_the_admin_form_takes_today_and_the_earliest_day(client, csm, own):
    client.force_login(csm)
    earliest, today = visit_date_bounds()
    for day in (today, earliest):
        response = client.post(reverse("admin:visits_visit_add"), visit_form(own, csm, day))
        assert response.status_code == 302, response.context["adminform"].form.errors
    assert Visit.objects.filter(purpose="Dated visit").count() == 2


def test_the_import_refuses_an_ancient_date(csm, own):
    header = "account,visited_on,visit_type,author,purpose,summary,sentiment"
    text = f"{header}\n{own.account.external_id},1999-01-01,,csm_m,,,\n"
    messages = errors_of(VisitResource().import_data(csv_dataset(text), dry_run=False, user=csm))
    earliest, _today = visit_date_bounds()
    assert messages == [
        "line 2: visited_on: 1999-01-01 is more than 10 years ago: a visit is dated "
        f"{earliest.isoformat()} at the earliest."
    ]


@pytest.mark.parametrize("day", [TOMORROW, LONG_AGO])
def test_the_api_refuses_a_future_or_ancient_date(csm, day):
    factories.AccountFactory(external_id="ent-1")
    response = token_client(csm, write=True).post(
        "/api/v1/visits/", {"account": "ent-1", "visited_on": day.isoformat()}, format="json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert error["field"] == "visited_on"
    assert day.isoformat() in error["reason"]
    assert not Visit.objects.exists()


def test_editing_an_old_visits_notes_keeps_its_date(client, csm, own):
    earliest, _today = visit_date_bounds()
    visit = factories.VisitFactory(
        account=own.account, author=csm, visited_on=earliest - dt.timedelta(days=3)
    )
    client.force_login(csm)
    data = visit_form(own, csm, visit.visited_on)
    data["purpose"] = "Notes fixed"
    response = client.post(reverse("admin:visits_visit_change", args=[visit.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
