"""The COO previews a metric policy change in the admin (real headless Chromium); nothing is saved."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from core.days import last_complete_day
from demo.seed import DEMO_PASSWORD
from metrics import whatif
from metrics.models import AccountDailyStatus, MetricPolicy
from tests.browser.conftest import login, to_docs

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def demo(db):
    """A small demo (its named large customers plus 40 generated) with its status computed."""
    call_command("seed_demo", "--accounts", "40", verbosity=0)
    call_command("recompute_metrics", verbosity=0)
    return last_complete_day()


def test_coo_previews_a_stricter_dag_threshold(page, live_server, screenshot_dir, demo):
    policy = MetricPolicy.objects.latest()
    versions = MetricPolicy.objects.count()
    stored = AccountDailyStatus.objects.filter(day=demo).count()
    # The first of a few stricter DAG thresholds that loses some DAG accounts on the demo data.
    candidates = [("dag_min_apps", policy.dag_min_apps + n) for n in (1, 2, 3, 4, 6)] + [
        ("dag_min_minutes", policy.dag_min_minutes * n) for n in (10, 100, 1000)
    ]
    for setting, value in candidates:
        expected = whatif.what_if(day=demo, proposed={setting: value})
        if expected["proposed"]["dag_accounts"] < expected["current"]["dag_accounts"]:
            break

    login(page, live_server, "coo", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/admin/metrics/metricpolicy/{policy.pk}/change/")
    assert page.input_value("#id_preview_day") == demo.isoformat()
    page.fill(f"#id_{setting}", str(value))
    page.click("#policy-preview")
    page.wait_for_selector("#preview-totals")

    total = page.locator("#preview-total-row td")
    assert total.nth(0).inner_text() == str(expected["current"]["dag_accounts"])
    assert total.nth(1).inner_text() == str(expected["proposed"]["dag_accounts"])
    assert expected["proposed"]["dag_accounts"] < expected["current"]["dag_accounts"]
    assert page.locator("#preview-totals tbody tr").count() == 1 + len(
        expected["current"]["by_vertical"]
    )
    assert page.locator("#preview-changed tbody tr").count() == min(len(expected["changed"]), 500)
    assert page.input_value(f"#id_{setting}") == str(value)
    page.screenshot(path=str(screenshot_dir / "policy-preview.png"), full_page=True)
    to_docs(screenshot_dir / "policy-preview.png", "policy-preview.png")

    # A changed account's link opens its admin page.
    page.locator("#preview-changed a").first.click()
    page.wait_for_selector("#account_form")
    assert MetricPolicy.objects.count() == versions
    assert AccountDailyStatus.objects.filter(day=demo).count() == stored


def test_every_edit_is_carried_from_the_preview_to_the_save(page, live_server, demo):
    """Green score, SLA hours, a weight and the reason survive the preview; the page says they
    were not previewed."""
    policy = MetricPolicy.objects.latest()
    edits = {
        "dag_min_apps": str(policy.dag_min_apps + 1),
        "green_min_score": str(policy.green_min_score + 5),
        "requirement_sla_hours": str(policy.requirement_sla_hours + 12),
        "weight_recency": str(policy.weight_recency + 3),
        "note": "Stricter DAG and a longer SLA",
    }
    login(page, live_server, "coo", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/admin/metrics/metricpolicy/{policy.pk}/change/")
    for name, value in edits.items():
        page.fill(f"#id_{name}", value)
    page.click("#policy-preview")
    page.wait_for_selector("#preview-totals")
    not_previewed = page.inner_text("#preview-not-previewed")
    for name in ("green_min_score", "requirement_sla_hours", "weight_recency", "note"):
        label = str(MetricPolicy._meta.get_field(name).verbose_name)
        assert label in not_previewed, (label, not_previewed)
    assert str(MetricPolicy._meta.get_field("dag_min_apps").verbose_name) not in not_previewed

    # Previewing again from the preview's own form keeps the carried edits too.
    page.click("#preview-submit")
    page.wait_for_selector("#preview-totals")
    page.click("#preview-save")
    page.wait_for_selector("#metricpolicy_form")
    for name, value in edits.items():
        assert page.input_value(f"#id_{name}") == value, name
    assert MetricPolicy.objects.count() == 1
