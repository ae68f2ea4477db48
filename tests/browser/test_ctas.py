"""A CSM works her CTAs in real headless Chromium; the COO sees the counts move on /pipeline/.

Screenshots go to artifacts/screenshots/; with FRONTLINE_DOCS_SCREENSHOTS=1 "My CTAs" and the
pipeline's CTA rows are also copied to docs/screenshots/ for the README.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.days import business_today
from core.days import last_complete_day as default_day
from plays.evaluation import evaluate
from plays.models import CTA
from tests import factories
from tests.browser.conftest import login, to_docs
from tests.browser.test_pipeline import save
from tests.reports.data import realistic_data_set

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OPEN_IN_COLUMN = """(code) => {
    const heads = [...document.querySelectorAll('#side-by-side thead th')];
    const column = heads.findIndex((th) => th.querySelector(`a[href*="/pipeline/${code}/"]`));
    const read = (line) => {
        const row = document.querySelector(`#side-by-side tr[data-line="${line}"]`);
        return Number(row.children[column].innerText.trim().replace(/,/g, '')) || 0;
    };
    return {open: read('open_ctas'), overdue: read('overdue_ctas')};
}"""


def pipeline_ctas(page, live_server) -> dict:
    page.goto(f"{live_server.url}/pipeline/")
    page.wait_for_selector('#side-by-side tr[data-line="open_ctas"]')
    return page.evaluate(OPEN_IN_COLUMN, "manufacturing")


def test_a_csm_works_her_ctas_and_the_coo_sees_the_counts_move(
    browser, page, live_server, screenshot_dir
):
    day = default_day()
    data = realistic_data_set(day=day)
    evaluate(day=day)
    csm = type(data["coo"]).objects.get(username="csm_manufacturing")
    account = data["accounts"][0] if data["accounts"][0].owner_csm_id == csm.pk else None
    account = account or factories.AccountFactory(owner_csm=csm, name="Qingdao Harbour Cranes")
    taken = set(
        CTA.objects.filter(account=account, status="open").values_list("play__trigger", flat=True)
    )
    trigger = next(
        t for t in ("requirement_overdue", "renewal_at_risk", "level_dropped") if t not in taken
    )
    today = business_today()
    work = factories.cta(
        account,
        trigger,
        owner=csm,
        opened_on=today - dt.timedelta(days=10),
        due_in=7,
        numbers={
            "count": 2,
            "min_priority": "high",
            "sla_hours": 48,
            "oldest_raised": str(today - dt.timedelta(days=12)),
        }
        if trigger == "requirement_overdue"
        else None,
        steps=["Call the customer's IT lead", "Agree a date for the fix"],
    )

    # The COO's pipeline before.
    coo_context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US")
    coo_page = coo_context.new_page()
    coo_page.set_default_timeout(15_000)
    login(coo_page, live_server, "coo_demo", "pw-frontline-1")
    before = pipeline_ctas(coo_page, live_server)
    assert before["open"] >= 1 and before["overdue"] >= 1

    # The CSM: my day → My CTAs → the CTA; tick a step, save; mark it done.
    login(page, live_server, "csm_manufacturing", "pw-frontline-1")
    page.goto(f"{live_server.url}/admin/")
    assert int(page.inner_text("#my-ctas-count").split()[0]) >= 1
    page.click("#my-ctas")
    page.wait_for_selector("#result_list")
    assert "frontline-overdue" in page.content()
    page.click("#toggle-nav-sidebar")  # the whole list in view, overdue flag and steps included
    save(page, screenshot_dir, "my-ctas.png", docs_name="my-ctas.png")
    page.click(f'#result_list a[href$="/plays/cta/{work.pk}/change/"]')
    page.check('input[name="done_steps"][value="0"]')
    page.click('input[name="_save"]')
    page.wait_for_selector("#result_list")
    work.refresh_from_db()
    assert [s["done"] for s in work.steps] == [True, False]
    page.check(f'input.action-select[value="{work.pk}"]')
    page.select_option('select[name="action"]', "mark_done")
    page.click('button[name="index"]')
    page.wait_for_selector(".messagelist")
    assert "1 CTA done." in page.inner_text(".messagelist")
    work.refresh_from_db()
    assert (work.status, work.closed_by_id) == ("done", csm.pk)

    # The COO's pipeline after: one open and one overdue fewer in manufacturing.
    after = pipeline_ctas(coo_page, live_server)
    assert after == {"open": before["open"] - 1, "overdue": before["overdue"] - 1}
    # The side-by-side table alone: the CTA rows are what this screenshot is about.
    path = screenshot_dir / "pipeline-ctas.png"
    coo_page.locator("#side-by-side").screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    to_docs(path, "pipeline-ctas.png")
    coo_context.close()
