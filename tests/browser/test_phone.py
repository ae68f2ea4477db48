"""A CSM on a phone (390×844) right after the meeting: no page scrolls sideways, and a visit logs.

With FRONTLINE_DOCS_SCREENSHOTS=1 the visit form's screenshot is also copied to
docs/screenshots/ for the README.
"""

from __future__ import annotations

import pytest

from core.days import business_today
from core.days import last_complete_day as default_day
from tests import factories
from tests.browser.conftest import login, to_docs
from tests.reports.data import realistic_data_set
from visits.models import ActionItem, Requirement, Visit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
SIDEWAYS = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-US"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def assert_fits(page, what: str) -> None:
    scroll_width, viewport = page.evaluate(SIDEWAYS)
    assert scroll_width <= viewport, f"{what} is {scroll_width} px wide on a {viewport} px phone"


def test_a_csm_logs_a_visit_on_the_phone(phone, live_server, screenshot_dir):
    page = phone
    data = realistic_data_set(day=default_day())
    csm = factories.person("csm", "manufacturing", username="csm_phone", first_name="Li Na")
    account = data["deep"]
    account.owner_csm = csm
    account.save(update_fields=["owner_csm"])
    login(page, live_server, "csm_phone", "pw-frontline-1")

    page.goto(f"{live_server.url}/admin/visits/visit/add/?account={account.pk}")
    page.wait_for_selector("#visit_form")
    # Logging does not ask for the requirement's timestamps; its own page keeps them.
    assert page.locator("#id_requirements-0-raised_at_0").count() == 0
    assert page.locator("#id_requirements-0-first_response_at_0").count() == 0
    assert_fits(page, "the visit form")
    # Logged by: the CSM's name, as the rest of the site names her, not her username.
    author = page.locator(".field-author .select2-selection__rendered").inner_text()
    assert "Li Na" in author and "csm_phone" not in author
    page.select_option("#id_visit_type", "business_review")
    page.fill("#id_purpose", "Quarterly business review")
    page.fill("#id_summary", "They want their ERP connected before year end.")
    page.fill("#id_requirements-0-title", "Connect Kingdee K/3 ERP")
    page.select_option("#id_requirements-0-category", "integration")
    page.fill("#id_action_items-0-title", "Send the connector plan")
    due = page.locator("#id_action_items-0-due_on")
    due.fill(business_today().isoformat())
    # The follow-up's owner and due date are on the screen, not off to the right.
    for field in ("#id_action_items-0-due_on", ".field-owner .select2-selection"):
        box = page.locator(f".inline-group {field}").last.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], field
    assert_fits(page, "the filled visit form")
    shot = screenshot_dir / "phone-visit.png"
    page.screenshot(path=str(shot), full_page=True)
    to_docs(shot, "phone-visit.png")
    page.click("input[name=_save]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".errornote").count() == 0, page.locator(".errornote").inner_text()

    visit = Visit.objects.get(account=account, author=csm)
    requirement = Requirement.objects.get(visit=visit)
    assert requirement.title == "Connect Kingdee K/3 ERP"
    assert requirement.raised_at is not None  # filled for the CSM, not asked of her
    assert ActionItem.objects.get(visit=visit).title == "Send the connector plan"

    # The pipeline is not a CSM's page: she gets the site's own 403 page, with a way back.
    page.goto(f"{live_server.url}/pipeline/")
    assert page.locator("h1").inner_text() == "This page is not for your role"
    assert page.locator(".error-page a.button").get_attribute("href") == "/admin/"
    assert_fits(page, "the 403 page")


def test_the_pages_fit_the_phone(phone, live_server):
    page = phone
    data = realistic_data_set(day=default_day())
    login(page, live_server, "coo_demo", "pw-frontline-1")
    deep = data["deep"]
    for path in ("/pipeline/", "/plan/", f"/accounts/{deep.external_id}/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert_fits(page, path)
        logout = page.locator(".topbar button", has_text="Log out")
        box = logout.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], path
