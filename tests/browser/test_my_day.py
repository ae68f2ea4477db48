"""My day's action items are three separate lists: overdue, due this week, later (real Chromium)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.days import business_today
from tests import factories
from tests.browser.conftest import login
from visits.selectors import week_bounds

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_overdue_this_week_and_later_are_separate_lists(page, live_server):
    csm = factories.person("csm", "manufacturing", username="csm_day")
    account = factories.AccountFactory(owner_csm=csm)
    today = business_today()
    _, sunday = week_bounds(today)
    factories.ActionItemFactory(
        account=account, owner=csm, title="Months old", due_on=today - dt.timedelta(days=90)
    )
    factories.ActionItemFactory(account=account, owner=csm, title="This week", due_on=sunday)
    factories.ActionItemFactory(
        account=account, owner=csm, title="Next week", due_on=sunday + dt.timedelta(days=3)
    )
    login(page, live_server, "csm_day", "pw-frontline-1")
    page.goto(f"{live_server.url}/admin/")
    assert page.inner_text("#my-actions-overdue-count") == "1"
    assert page.inner_text("#my-actions-week-count") == "1"
    assert page.inner_text("#my-actions-later-count") == "1"
    for link, shown, hidden in (
        ("#my-actions-overdue", "Months old", ("This week", "Next week")),
        ("#my-actions-week", "This week", ("Months old", "Next week")),
        ("#my-actions-later", "Next week", ("Months old", "This week")),
    ):
        page.goto(f"{live_server.url}/admin/")
        page.click(link)
        page.wait_for_selector("#result_list")
        listed = page.inner_text("#result_list")
        assert shown in listed
        assert not any(title in listed for title in hidden), (link, listed)
