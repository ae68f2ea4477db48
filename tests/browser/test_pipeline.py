"""The COO opens the pipeline review, a vertical and an account page in real headless Chromium.

The charts must have drawn with data (read back from the Chart.js instances),
and each page is saved as a screenshot in artifacts/screenshots/. With
FRONTLINE_DOCS_SCREENSHOTS=1 they are also copied to docs/screenshots/ for the
README (opt-in, so an ordinary test run leaves the committed images alone).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from core.days import last_complete_day as default_day
from tests.browser.conftest import login, to_docs
from tests.reports.data import realistic_data_set

pytestmark = [
    pytest.mark.browser,
    # live_server needs committed data; serialized_rollback keeps the migrations' verticals.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


CHARTS_DRAWN = """() => Object.values(window.frontlineCharts || {}).map((chart) => ({
    id: chart.canvas.id,
    width: chart.width,
    height: chart.height,
    datasets: chart.data.datasets.map((ds, i) => ({
        label: ds.label,
        points: ds.data.filter((v) => v !== null && v !== undefined).length,
        nonzero: ds.data.filter((v) => typeof v === "number" && v > 0).length,
        drawn: chart.getDatasetMeta(i).data.length,
    })),
}))"""


def charts_on(page) -> dict[str, dict]:
    page.wait_for_function("document.documentElement.dataset.chartsReady === '1'")
    return {chart["id"]: chart for chart in page.evaluate(CHARTS_DRAWN)}


def assert_drawn_with_data(chart: dict) -> None:
    assert chart["width"] > 0 and chart["height"] > 0, chart
    assert chart["datasets"], chart
    assert any(ds["points"] and ds["drawn"] for ds in chart["datasets"]), chart
    assert any(ds["nonzero"] for ds in chart["datasets"]), chart


def save(page, screenshot_dir: Path, name: str, *, docs_name: str | None = None) -> Path:
    path = screenshot_dir / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if docs_name:
        to_docs(path, docs_name)
    return path


def test_the_coo_reviews_a_small_known_data_set(page, live_server, screenshot_dir):
    day = default_day()
    data = realistic_data_set(day=day)
    login(page, live_server, "coo_demo", "pw-frontline-1")

    # The five verticals side by side.
    page.goto(f"{live_server.url}/pipeline/")
    assert page.locator("h1").inner_text() == "Pipeline review"
    assert page.locator(".headline-card").count() == 5
    charts = charts_on(page)
    assert set(charts) == {"chart-deep-trend", "chart-dag-trend", "chart-stages", "chart-levels"}
    for chart in charts.values():
        assert_drawn_with_data(chart)
    assert len(charts["chart-deep-trend"]["datasets"]) == 5
    assert charts["chart-deep-trend"]["datasets"][0]["points"] == 12
    assert charts["chart-dag-trend"]["datasets"][0]["points"] == 30
    # The numbers of a chart are a click away.
    page.locator("#chart-deep-trend-card summary").click()
    assert page.locator("#chart-deep-trend-table tbody tr").count() == 12
    with page.expect_download() as download_info:
        page.locator('[data-csv-for="chart-deep-trend-table"]').click()
    csv_text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Day,Manufacturing")
    assert len(csv_text.splitlines()) == 13
    page.locator("#chart-deep-trend-card summary").click()
    assert page.locator(".red-list li").count() >= 1
    save(page, screenshot_dir, "pipeline-small.png")

    # One vertical, with its accounts on the path to deep integration.
    page.locator('.headline-card[data-vertical="manufacturing"]').click()
    page.wait_for_url("**/pipeline/manufacturing/**")
    charts = charts_on(page)
    for chart in charts.values():
        assert_drawn_with_data(chart)
    assert {"chart-deep-trend", "chart-dag-trend", "chart-levels", "chart-visits"} <= set(charts)
    rows = page.locator("#account-list tbody tr")
    assert rows.count() == 8
    assert page.locator("#account-list .path li.reached").count() > 6
    # Sorting by health puts the red account first.
    with page.expect_navigation():
        page.locator("#account-list thead a", has_text="Health").click()
    page.wait_for_load_state("networkidle")
    assert "sort=score" in page.url
    save(page, screenshot_dir, "pipeline-vertical-small.png")

    # The deep-integration account's page.
    deep = data["deep"]
    page.goto(f"{live_server.url}/pipeline/manufacturing/")
    page.locator(f'#account-list tr[data-account="{deep.external_id}"] a').first.click()
    page.wait_for_url(f"**/accounts/{deep.external_id}/**")
    charts = charts_on(page)
    assert {"chart-usage", "chart-components", "chart-connectors"} <= set(charts)
    for chart in charts.values():
        assert_drawn_with_data(chart)
    usage = charts["chart-usage"]
    assert usage["datasets"][0]["points"] == 90  # minutes on each of the 90 days
    assert page.locator("#timeline li").count() >= 1
    assert page.locator("#team li").count() >= 2
    log_visit = page.locator("#log-visit").get_attribute("href")
    assert log_visit.startswith(f"/admin/visits/visit/add/?account={deep.pk}&next=")
    save(page, screenshot_dir, "account-small.png")

    # The same review in Chinese, switched with the language menu as a person would.
    page.goto(f"{live_server.url}/pipeline/")
    # The menu posts a form and the page reloads: wait for that navigation, not for the old
    # page's network to go idle (which it may be before the post has started).
    with page.expect_navigation():
        page.select_option("#language", "zh-hans")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    charts = charts_on(page)
    for chart in charts.values():
        assert_drawn_with_data(chart)
    legends = [ds["label"] for ds in charts["chart-deep-trend"]["datasets"]]
    assert legends[0] == "制造"
    save(page, screenshot_dir, "pipeline-small-zh.png")


def test_the_coo_reviews_the_demo_data(page, live_server, screenshot_dir):
    """seed_demo's customers with their metrics computed by the real engine (recompute_metrics)."""
    call_command("seed_demo", verbosity=0)
    call_command("recompute_metrics", verbosity=0)
    login(page, live_server, "coo", "frontline-demo")

    page.goto(f"{live_server.url}/pipeline/")
    charts = charts_on(page)
    assert set(charts) == {"chart-deep-trend", "chart-dag-trend", "chart-stages", "chart-levels"}
    for chart in charts.values():
        assert_drawn_with_data(chart)
    headline = page.locator(
        '.headline-card[data-vertical="manufacturing"] [data-number="deep_customers"]'
    )
    assert int(headline.inner_text().replace(",", "")) > 0
    save(page, screenshot_dir, "pipeline.png", docs_name="pipeline.png")

    page.locator('.headline-card[data-vertical="manufacturing"]').click()
    page.wait_for_url("**/pipeline/manufacturing/**")
    for chart in charts_on(page).values():
        assert_drawn_with_data(chart)
    assert page.locator("#account-list tbody tr").count() == 25  # the first page
    assert page.locator(".pager").is_visible()
    save(page, screenshot_dir, "pipeline-vertical.png", docs_name="pipeline-vertical.png")

    # A named customer of the story: Shanghai Mitsubishi Elevator, found by the search.
    page.fill("input[name=q]", "Mitsubishi")
    with page.expect_navigation():
        page.locator(".filters button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.locator('#account-list tr[data-account="sh-mitsubishi-elevator"] a').first.click()
    page.wait_for_url("**/accounts/sh-mitsubishi-elevator/**")
    charts = charts_on(page)
    assert {"chart-usage", "chart-components", "chart-connectors"} <= set(charts)
    for chart in charts.values():
        assert_drawn_with_data(chart)
    assert charts["chart-usage"]["datasets"][0]["points"] == 90
    save(page, screenshot_dir, "account.png", docs_name="account.png")

    # The same review in Chinese, switched with the language menu: the README's pipeline-zh.png.
    page.goto(f"{live_server.url}/pipeline/")
    with page.expect_navigation():
        page.select_option("#language", "zh-hans")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "业务管线复盘"
    for chart in charts_on(page).values():
        assert_drawn_with_data(chart)
    save(page, screenshot_dir, "pipeline-zh.png", docs_name="pipeline-zh.png")
