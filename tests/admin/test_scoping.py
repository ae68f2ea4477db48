"""Scoping in the admin beyond changelists: autocomplete, choices, history pages, forged URLs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core.days import business_today
from tests import factories
from visits.models import Visit

pytestmark = pytest.mark.django_db

AUTOCOMPLETE = "/admin/autocomplete/"


def autocomplete(client, model_name, field_name, term="", **extra):
    response = client.get(
        AUTOCOMPLETE,
        {
            "app_label": "visits" if model_name in ("visit", "requirement") else "accounts",
            "model_name": model_name,
            "field_name": field_name,
            "term": term,
            **extra,
        },
    )
    assert response.status_code == 200, response.content
    return {int(r["id"]) for r in response.json()["results"]}


def test_autocomplete_offers_only_the_users_verticals(client, csm, own, other):
    client.force_login(csm)
    assert autocomplete(client, "visit", "account") == {own.account.pk}
    assert autocomplete(client, "visit", "contact_attendees") == {own.contact.pk}
    assert autocomplete(client, "requirement", "visit") == {own.visit.pk}
    assert autocomplete(client, "account", "vertical") == {own.account.vertical_id}
    assert other.account.owner_csm_id not in autocomplete(client, "account", "owner_csm")


def test_user_autocomplete_offers_people_of_my_verticals_and_the_coo(client, csm, other_csm, coo):
    colleague = factories.person("tech", "manufacturing", username="tech_m")
    stranger = factories.person("tech", "energy_resources", username="tech_e")
    client.force_login(csm)
    people = autocomplete(client, "visit", "staff_attendees")
    assert {csm.pk, colleague.pk, coo.pk} <= people
    assert other_csm.pk not in people
    assert stranger.pk not in people
    assert autocomplete(client, "requirement", "owner") == people


def test_the_coo_autocompletes_everyone_and_every_account(client, coo, own, other, other_csm):
    client.force_login(coo)
    assert autocomplete(client, "visit", "account") == {own.account.pk, other.account.pk}
    assert other_csm.pk in autocomplete(client, "visit", "staff_attendees")


def test_a_bd_person_may_pick_colleagues_but_not_open_the_people_list(client, other_csm):
    bd = factories.person("bd", "consumer_retail", username="bd_r")
    client.force_login(bd)
    assert other_csm.pk in autocomplete(client, "visit", "staff_attendees")
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_user_change", args=[bd.pk])).status_code == 403


def test_customer_attendees_narrow_to_the_account_being_visited(client, csm, own):
    second = factories.AccountFactory(owner_csm=csm)
    theirs = factories.ContactFactory(account=second, name="Second's CIO")
    client.force_login(csm)
    assert autocomplete(client, "visit", "contact_attendees") == {own.contact.pk, theirs.pk}
    narrowed = autocomplete(client, "visit", "contact_attendees", account=str(second.pk))
    assert narrowed == {theirs.pk}


def test_the_visit_form_refuses_another_verticals_account_and_strangers_as_attendees(
    client, csm, own, other
):
    client.force_login(csm)
    add = reverse("admin:visits_visit_add")
    form = client.get(add).context["adminform"].form
    assert set(form.fields["account"].queryset) == {own.account}
    assert other.contact not in form.fields["contact_attendees"].queryset

    second = factories.AccountFactory()
    visits_before = Visit.objects.count()
    data = {
        "account": str(second.pk),
        "visited_on": business_today().isoformat(),
        "visit_type": "check_in",
        "author": str(csm.pk),
        "sentiment": "neutral",
        "contact_attendees": [str(own.contact.pk)],
        "requirements-TOTAL_FORMS": "0",
        "requirements-INITIAL_FORMS": "0",
        "action_items-TOTAL_FORMS": "0",
        "action_items-INITIAL_FORMS": "0",
    }
    response = client.post(add, data)
    assert response.status_code == 200
    assert "contact_attendees" in response.context["adminform"].form.errors
    response = client.post(add, {**data, "account": str(other.account.pk), "contact_attendees": []})
    assert "account" in response.context["adminform"].form.errors
    assert Visit.objects.count() == visits_before


@pytest.mark.parametrize(
    "model", ["account", "contact", "visit", "requirement", "actionitem"], ids=str
)
def test_history_of_another_verticals_object_is_a_404(client, csm, own, other, model):
    objects = {
        "account": (other.account, own.account),
        "contact": (other.contact, own.contact),
        "visit": (other.visit, own.visit),
        "requirement": (other.requirement, own.requirement),
        "actionitem": (other.action_item, own.action_item),
    }
    theirs, mine = objects[model]
    label = f"admin:{theirs._meta.app_label}_{theirs._meta.model_name}"
    client.force_login(csm)
    assert client.get(reverse(f"{label}_history", args=[mine.pk])).status_code == 200
    assert client.get(reverse(f"{label}_history", args=[theirs.pk])).status_code == 404
    version = theirs.history.latest().history_id
    url = reverse(f"{label}_simple_history", args=[theirs.pk, version])
    assert client.get(url).status_code == 404
    # Deleted, the other vertical's history stays out of reach too.
    theirs.delete()
    assert client.get(reverse(f"{label}_history", args=[theirs.pk])).status_code == 404


def test_history_shows_who_changed_a_requirement(client, csm, own):
    client.force_login(csm)
    response = client.post(
        reverse("admin:visits_requirement_changelist"),
        {"action": "record_first_response", "_selected_action": [own.requirement.pk]},
    )
    assert response.status_code == 302
    latest = own.requirement.history.latest()
    assert latest.history_user == csm
    assert latest.first_response_at is not None
    page = client.get(reverse("admin:visits_requirement_history", args=[own.requirement.pk]))
    assert page.status_code == 200
    assert csm.username in page.content.decode()


def test_forged_urls_to_another_vertical_are_404(client, csm, other):
    client.force_login(csm)
    for obj in (other.account, other.visit, other.requirement, other.action_item, other.contact):
        label = f"admin:{obj._meta.app_label}_{obj._meta.model_name}"
        assert client.get(reverse(f"{label}_change", args=[obj.pk])).status_code == 404
        assert client.get(reverse(f"{label}_delete", args=[obj.pk])).status_code == 404
    assert (
        client.get(reverse("admin:accounts_account_history", args=["not-a-number"])).status_code
        == 404
    )


def test_vertical_filters_list_only_visible_verticals(client, csm, coo, own, other):
    url = reverse("admin:visits_requirement_changelist")
    client.force_login(coo)
    body = client.get(url).content.decode()
    mine = f"account__vertical__id__exact={own.account.vertical_id}"
    theirs = f"account__vertical__id__exact={other.account.vertical_id}"
    assert mine in body
    assert theirs in body
    client.force_login(csm)
    body = client.get(url).content.decode()
    assert theirs not in body


def test_the_cadence_page_is_for_leads_and_the_coo(client, csm, other_csm, coo, own, other):
    lead = factories.person("lead", "manufacturing", username="lead_m")
    url = reverse("admin:visits_visit_cadence")
    bd = factories.person("bd", "manufacturing", username="bd_m")
    for person in (csm, bd):
        client.force_login(person)
        assert client.get(url).status_code == 403
    client.force_login(lead)
    response = client.get(url)
    assert response.status_code == 200
    rows = response.context["rows"]
    # The manufacturing front line, the lead included, with or without visits; busiest first.
    assert [row["person"] for row in rows] == [csm, bd, lead]
    assert own.visit.author == csm
    # One visit this week (still open), none in the 7 finished weeks: those are under the aim.
    assert [below for _, _, below in rows[0]["weeks"]] == [True] * 7 + [False]
    assert [row["total"] for row in rows] == [1, 0, 0]
    client.force_login(coo)
    people = {row["person"] for row in client.get(url).context["rows"]}
    assert people == {csm, other_csm, bd, lead, coo}


def test_cadence_counts_authors_and_attendees_per_week(coo, csm, own):
    from visits.selectors import visit_cadence, week_bounds

    today = business_today()
    monday = week_bounds(today)[0]
    colleague = factories.person("sa", "manufacturing", username="sa_m")
    big = factories.AccountFactory(headcount=200_000)
    last_week = factories.VisitFactory(
        account=big, author=csm, visited_on=monday - dt.timedelta(days=3)
    )
    last_week.staff_attendees.add(colleague, csm)  # the author attending counts once
    cadence = visit_cadence(coo, weeks=2, today=today)
    assert cadence.weeks == [monday - dt.timedelta(weeks=1), monday]
    rows = {row.person: row for row in cadence.rows}
    assert rows[csm].visits == {monday - dt.timedelta(weeks=1): 1, monday: 1}
    assert rows[csm].large_visits == {monday - dt.timedelta(weeks=1): 1}
    assert rows[colleague].total == 1
