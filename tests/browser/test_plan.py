"""The COO opens the visit plan on the demo data in real headless Chromium and filters by region."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from core.days import last_complete_day
from demo.seed import DEMO_PASSWORD
from tests.browser.conftest import login, to_docs

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def demo(db):
    """A small demo (its named large customers plus 40 generated) with the status the plan reads."""
    call_command("seed_demo", "--accounts", "40", verbosity=0)
    call_command("recompute_metrics", verbosity=0)  # every day of the demo's feeds
    return last_complete_day()


def test_coo_plans_a_trip_by_region(page, live_server, screenshot_dir, demo):
    login(page, live_server, "coo", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/plan/")
    page.wait_for_selector("section.plan-region")
    assert page.input_value("input[name=date]") == demo.isoformat()
    regions = page.locator("section.plan-region").evaluate_all(
        "sections => sections.map(s => s.dataset.region)"
    )
    assert len(regions) >= 2
    first_row = page.locator("tr.plan-row").first
    assert first_row.locator("ul.reasons li").count() >= 1
    href = first_row.locator("a.log-visit").get_attribute("href")
    assert href.startswith("/admin/visits/visit/add/?account=")
    assert page.locator("#how-the-score-is-made").is_visible()
    page.screenshot(path=str(screenshot_dir / "plan-all-regions.png"), full_page=True)

    region = regions[1]
    page.select_option("#id_region", region)
    with page.expect_navigation():
        page.click("#plan-filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    shown = page.locator("section.plan-region").evaluate_all(
        "sections => sections.map(s => s.dataset.region)"
    )
    assert shown == [region]
    assert page.input_value("#id_region") == region
    page.screenshot(path=str(screenshot_dir / "plan-one-region.png"), full_page=True)
    for name in ("plan-all-regions.png", "plan-one-region.png"):
        to_docs(screenshot_dir / name, name)

    # Follow a row's link to log the visit: the admin's add form, prefilled with the account.
    page.locator("tr.plan-row a.log-visit").first.click()
    page.wait_for_selector("#visit_form")
    assert page.input_value("#id_account")
