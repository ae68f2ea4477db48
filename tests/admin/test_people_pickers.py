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
