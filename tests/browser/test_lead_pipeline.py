"""A lead's /pipeline/ speaks of her one vertical, and counts the COO's visits as the COO's does."""

from __future__ import annotations

import datetime as dt

import pytest

from core.days import last_complete_day
from tests import factories
from tests.browser.conftest import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_lead_and_coo_see_the_same_visits_for_the_coo(page, live_server):
    day = last_complete_day()
    factories.person("lead", "manufacturing", username="lead_one")
    coo = factories.person("coo", None, username="coo_one")
    manufacturing = factories.AccountFactory(vertical=factories.vertical("manufacturing"))
    retail = factories.AccountFactory(vertical=factories.vertical("consumer_retail"))
    factories.VisitFactory(account=manufacturing, author=coo, visited_on=day)
    for back in (1, 2):
        factories.VisitFactory(account=retail, author=coo, visited_on=day - dt.timedelta(days=back))

    def coo_visits() -> tuple[str, str]:
        cell = page.locator('[data-visits="coo_one"]')
        return cell.inner_text(), cell.locator("xpath=..").inner_text()

    login(page, live_server, "coo_one", "pw-frontline-1")
    page.goto(f"{live_server.url}/pipeline/?date={day.isoformat()}")
    as_coo = coo_visits()
    assert "Every vertical" in page.inner_text(".page-head")
    page.context.clear_cookies()

    login(page, live_server, "lead_one", "pw-frontline-1")
    page.goto(f"{live_server.url}/pipeline/?date={day.isoformat()}")
    assert coo_visits() == as_coo
    assert as_coo[0] == "3" and "on the aim" in as_coo[1]
    scope = page.inner_text("#pipeline-scope")
    assert "Every vertical" not in scope and "Manufacturing" in scope
    assert "side by side" not in page.inner_text("#side-title")
