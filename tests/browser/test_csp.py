"""The Content-Security-Policy holds and the pages still work under it, in real Chromium.

Every violation shows up twice in the browser: as a `securitypolicyviolation`
event (recorded by a script Playwright injects before the page's own) and as
a console error. The pipeline page (charts), an account page, the visit plan,
the admin (index, a change list, the visit form with its autocomplete) and
the Swagger docs page must load with neither.
"""

from __future__ import annotations

import pytest

from core.days import last_complete_day as default_day
from tests.browser.conftest import login
from tests.browser.test_pipeline import assert_drawn_with_data, charts_on
from tests.reports.data import realistic_data_set

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched_page(page):
    console = []
    page.on(
        "console",
        lambda message: console.append(message.text) if message.type == "error" else None,
    )
    page.add_init_script(RECORD_VIOLATIONS)
    page.console_errors = console
    return page


def assert_no_violation(page, url: str) -> None:
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__cspViolations")
    policy_errors = [m for m in page.console_errors if "Content Security Policy" in m]
    assert violations == [] and policy_errors == [], (url, violations, policy_errors)


def test_pages_the_admin_and_the_docs_load_with_no_policy_violation(watched_page, live_server):
    page = watched_page
    data = realistic_data_set(day=default_day())
    login(page, live_server, "coo_demo", "pw-frontline-1")
    assert_no_violation(page, "/admin/login/")

    response = page.goto(f"{live_server.url}/pipeline/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    for chart in charts_on(page).values():
        assert_drawn_with_data(chart)
    assert_no_violation(page, "/pipeline/")

    deep = data["deep"]
    page.goto(f"{live_server.url}/accounts/{deep.external_id}/")
    for chart in charts_on(page).values():
        assert_drawn_with_data(chart)
    assert_no_violation(page, "account page")

    page.goto(f"{live_server.url}/plan/")
    page.wait_for_load_state("networkidle")
    assert_no_violation(page, "/plan/")

    # The language menu submits without an inline handler.
    page.goto(f"{live_server.url}/pipeline/")
    with page.expect_navigation():
        page.select_option("#language", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    with page.expect_navigation():
        page.select_option("#language", "en")
    assert_no_violation(page, "language switch")

    for path in (
        "/admin/",
        "/admin/visits/visit/",
        "/admin/accounts/account/",
        "/admin/visits/requirement/export/",
        "/admin/visits/requirement/import/",
        f"/admin/accounts/account/{deep.pk}/history/",
        "/admin/metrics/metricpolicy/preview/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert_no_violation(page, path)

    # The export page's "Select all" (a third-party inline handler, allowed by its hash).
    page.goto(f"{live_server.url}/admin/visits/requirement/export/")
    page.locator("input.select-toggle").uncheck()
    boxes = page.locator('.selectable-field-export-row input[type="checkbox"]:visible')
    assert boxes.count() >= 5 and all(not box.is_checked() for box in boxes.all())
    assert_no_violation(page, "export select-all")

    # The visit form: its autocomplete (select2) works under the policy.
    page.goto(f"{live_server.url}/admin/visits/visit/add/")
    page.wait_for_load_state("networkidle")
    page.locator("#id_account + .select2").click()
    page.wait_for_selector(".select2-results__option")
    assert page.locator(".select2-results__option").count() >= 1
    assert_no_violation(page, "/admin/visits/visit/add/")

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() >= 5
    assert_no_violation(page, "/api/docs/")
