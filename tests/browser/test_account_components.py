"""The account page's health table: values with units, and no "raised" at full points."""

from __future__ import annotations

import pytest

from core.days import last_complete_day
from metrics.models import MetricPolicy
from tests import factories
from tests.browser.conftest import login
from tests.reports.data import status_row

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_components_say_their_units_and_what_they_earned(page, live_server):
    policy = MetricPolicy.objects.latest()
    csm = factories.person("csm", "manufacturing", username="csm_health")
    account = factories.AccountFactory(external_id="gree", owner_csm=csm)
    status_row(
        account,
        last_complete_day(),
        dag_rate=0.73,
        deep_integration_level=2,
        max_apps_used=6,
        days_since_visit=12,
        overdue_requirements=0,
        points_dag_rate=policy.weight_dag_rate,  # full
        points_integration=policy.weight_integration / 2,
        points_breadth=policy.weight_breadth - 2,
        points_recency=0.0,
        points_requirements=policy.weight_requirements,  # full
    )
    login(page, live_server, "csm_health", "pw-frontline-1")
    page.goto(f"{live_server.url}/accounts/gree/")

    def row(component):
        return page.inner_text(f'#components-table tr[data-component="{component}"]')

    assert "73% of the window's days DAG" in row("dag_rate")
    assert "full points" in row("dag_rate") and "raised" not in row("dag_rate")
    assert "level 2 (" in row("integration")
    assert "6 apps used" in row("breadth")
    assert "2 points short" in row("breadth")
    assert "12 days since the last visit" in row("recency")
    assert "no points" in row("recency")
    assert "0 requirements overdue" in row("requirements")
    assert "full points" in row("requirements")
