"""A CSM logs a visit from the account page in real headless Chromium and finds it in "my day"."""

from __future__ import annotations

import pytest

from core.days import business_today
from tests import factories
from tests.browser.conftest import login
from visits.models import ActionItem, Requirement, Visit

# serialized_rollback: the migrations' groups and verticals come back for the next live-server test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_csm_logs_a_visit_with_a_requirement_and_an_action_item(page, live_server, screenshot_dir):
    csm = factories.person("csm", "manufacturing", username="csm_browser")
    account = factories.AccountFactory(
        name="Haier Smart Home", local_name="海尔智家", owner_csm=csm
    )
    factories.ContactFactory(account=account, name="Zhou Yun", title="CIO")
    factories.ContactFactory(name="Someone Elsewhere")  # another account's contact
    login(page, live_server, "csm_browser", "pw-frontline-1")

    page.goto(f"{live_server.url}/admin/accounts/account/{account.pk}/change/")
    page.click("#log-visit")
    page.wait_for_selector("#visit_form")
    # Prefilled: the account, the current user as author, today.
    assert page.input_value("#id_account") == str(account.pk)
    assert page.input_value("#id_author") == str(csm.pk)
    assert page.input_value("#id_visited_on") == business_today().isoformat()

    page.select_option("#id_visit_type", "business_review")
    page.fill("#id_purpose", "Quarterly business review")
    page.fill("#id_summary", "They want their Kingdee ERP connected before year end.")
    page.select_option("#id_sentiment", "positive")
    # Customer attendees: the autocomplete offers only this account's contacts.
    page.click(".field-contact_attendees .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "Z")
    option = page.locator(".select2-results__option", has_text="Zhou Yun")
    option.wait_for()
    assert page.locator(".select2-results__option", has_text="Someone Elsewhere").count() == 0
    option.click()

    page.fill("#id_requirements-0-title", "Connect Kingdee K/3 ERP")
    page.select_option("#id_requirements-0-category", "integration")
    page.select_option("#id_requirements-0-priority", "high")
    page.fill("#id_action_items-0-title", "Send the connector plan")
    page.fill("#id_action_items-0-due_on", business_today().isoformat())
    page.click("input[name=_save]")
    # Back on the account's page, with the news that the visit was saved.
    page.wait_for_selector("#account_form")
    assert page.url.endswith(f"/admin/accounts/account/{account.pk}/change/")
    assert page.locator(".messagelist .success").count() == 1

    visit = Visit.objects.get(account=account)
    assert visit.author == csm
    assert [c.name for c in visit.contact_attendees.all()] == ["Zhou Yun"]
    requirement = Requirement.objects.get(visit=visit)
    assert (requirement.account, requirement.title) == (account, "Connect Kingdee K/3 ERP")
    assert ActionItem.objects.get(visit=visit).account == account

    page.goto(f"{live_server.url}/admin/")
    row = page.locator("#my-day tr", has=page.locator("#my-open-requirements"))
    assert row.locator("td").inner_text().strip() == "1"
    page.screenshot(path=str(screenshot_dir / "csm-my-day.png"))
    page.click("#my-open-requirements")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Connect Kingdee K/3 ERP" in rows.first.inner_text()
    page.screenshot(path=str(screenshot_dir / "csm-my-open-requirements.png"), full_page=True)
