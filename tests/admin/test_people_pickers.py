"""People pickers name people as the rest of the site does (full name), not by username."""

from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_autocomplete_offers_full_names(client, csm):
    factories.person("sa", "manufacturing", username="sa_manufacturing", first_name="Wang Fang")
    client.force_login(csm)
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "visits", "model_name": "visit", "field_name": "author", "term": "wang"},
    )
    assert response.status_code == 200
    texts = [r["text"] for r in response.json()["results"]]
    assert texts == ["Wang Fang"]


def test_the_chosen_person_is_shown_by_name(client):
    csm = factories.person("csm", "manufacturing", username="csm_named", first_name="Li Na")
    client.force_login(csm)
    html = client.get("/admin/visits/visit/add/").content.decode()
    assert f'<option value="{csm.pk}" selected>Li Na</option>' in html


def test_the_account_list_names_the_owner(client, coo):
    owner = factories.person("csm", "manufacturing", username="csm_owner", first_name="Zhao Lei")
    factories.AccountFactory(name="Owned", owner_csm=owner)
    client.force_login(coo)
    html = client.get("/admin/accounts/account/").content.decode()
    assert "Zhao Lei" in html
    assert ">csm_owner<" not in html


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/admin/visits/visit/", lambda user: factories.VisitFactory(author=user)),
        ("/admin/visits/requirement/", lambda user: factories.RequirementFactory(owner=user)),
        ("/admin/visits/actionitem/", lambda user: factories.ActionItemFactory(owner=user)),
    ],
)
def test_the_visit_requirement_and_action_item_lists_name_the_person(client, coo, path, make):
    person = factories.person(
        "csm", "manufacturing", username="csm_liu", first_name="Liu", last_name="Yang"
    )
    make(person)
    client.force_login(coo)
    html = client.get(path).content.decode()
    assert "Liu Yang" in html
    assert ">csm_liu<" not in html


def test_the_visit_list_still_sorts_by_the_authors_name(client, coo):
    for username, name in [("zz_first", "Ai Lin"), ("aa_last", "Zhou Min")]:
        factories.VisitFactory(author=factories.UserFactory(username=username, first_name=name))
    client.force_login(coo)
    html = client.get("/admin/visits/visit/", {"o": "4"}).content.decode()
    assert html.index("Ai Lin") < html.index("Zhou Min")
