"""A requirement's SLA reads as a deadline in the admin, in view at 1440 px (real Chromium)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tests.browser.conftest import login
from visits.selectors import requirement_sla_hours

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_sla_is_a_deadline_on_the_list_and_the_page(page, live_server, screenshot_dir):
    csm = factories.person("csm", "manufacturing", username="csm_sla")
    account = factories.AccountFactory(name="Midea Group", owner_csm=csm)
    sla = requirement_sla_hours()
    now = timezone.now()
    fresh = factories.RequirementFactory(
        account=account, title="Fresh ask", raised_at=now - dt.timedelta(hours=sla - 5)
    )
    late = factories.RequirementFactory(
        account=account, title="Late ask", raised_at=now - dt.timedelta(hours=sla + 3)
    )
    answered = factories.RequirementFactory(
        account=account,
        title="Slow answer",
        raised_at=now - dt.timedelta(hours=60),
        first_response_at=now - dt.timedelta(hours=60) + dt.timedelta(hours=sla + 16.9),
    )
    login(page, live_server, "csm_sla", "pw-frontline-1")
    page.goto(f"{live_server.url}/admin/visits/requirement/")

    def row(title):
        return page.locator("#result_list tbody tr", has_text=title)

    assert "answer due by" in row("Fresh ask").inner_text()
    assert "h left" in row("Fresh ask").inner_text()
    assert "h late" in row("Late ask").inner_text()
    assert "Overdue" in row("Late ask").inner_text()
    slow = row("Slow answer").inner_text()
    assert f"answered in {answered.response_hours} h, late (SLA {sla} h)" in slow
    assert "Answered late" in slow
    for title in ("Fresh ask", "Late ask", "Slow answer"):
        for column in ("field-overdue", "field-response_time"):
            box = row(title).locator(f"td.{column}").bounding_box()
            assert box is not None and box["x"] + box["width"] <= 1440, (title, column, box)
    page.screenshot(path=str(screenshot_dir / "requirements-sla.png"), full_page=True)

    # Its own page shows the SLA as a deadline too.
    page.goto(f"{live_server.url}/admin/visits/requirement/{late.pk}/change/")
    sla_text = page.inner_text(".field-sla")
    assert "answer was due by" in sla_text and "h late" in sla_text
    page.goto(f"{live_server.url}/admin/visits/requirement/{fresh.pk}/change/")
    assert "h left" in page.inner_text(".field-sla")
