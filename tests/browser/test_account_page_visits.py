"""The account page lists a visit logged a minute ago, and "Log a visit" comes back to it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.days import business_today
from tests import factories
from tests.browser.conftest import login
from visits.models import Visit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_visit_logged_from_the_account_page_shows_on_it_at_once(page, live_server):
    csm = factories.person("csm", "manufacturing", username="csm_page")
    account = factories.AccountFactory(name="Sany Heavy", external_id="sany", owner_csm=csm)
    login(page, live_server, "csm_page", "pw-frontline-1")
    page.goto(f"{live_server.url}/accounts/sany/")
    today = business_today().isoformat()
    assert f"visits and requirements up to {today}" in page.inner_text("#as-of")
    page.click("#log-visit")
    page.wait_for_selector("#visit_form")
    page.fill("#id_purpose", "Kick-off after the contract")
    page.click("input[name=_save]")
    page.wait_for_url("**/accounts/sany/**")
    assert Visit.objects.get(account=account).visited_on.isoformat() == today
    assert "Kick-off after the contract" in page.inner_text("#timeline")


@pytest.mark.django_db
def test_log_a_visit_ignores_a_next_that_leaves_the_site(client):
    csm = factories.person("csm", "manufacturing", username="csm_next")
    account = factories.AccountFactory(owner_csm=csm)
    client.force_login(csm)
    data = {
        "account": str(account.pk),
        "visited_on": business_today().isoformat(),
        "visit_type": "check_in",
        "author": str(csm.pk),
        "sentiment": "neutral",
        "requirements-TOTAL_FORMS": "0",
        "requirements-INITIAL_FORMS": "0",
        "action_items-TOTAL_FORMS": "0",
        "action_items-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    add = reverse("admin:visits_visit_add")
    response = client.post(f"{add}?account={account.pk}&next=https://evil.example/", data)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_account_change", args=[account.pk])
