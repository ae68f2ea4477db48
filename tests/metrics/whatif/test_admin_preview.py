"""The MetricPolicy admin's preview: the what-if in pages, COO only, nothing written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from metrics.models import AccountDailyStatus, MetricPolicy, PendingRecompute
from tests import factories

from .conftest import D

pytestmark = pytest.mark.django_db
URL = "/admin/metrics/metricpolicy/preview/"


def snapshot():
    return (
        sorted(AccountDailyStatus.objects.values_list()),
        MetricPolicy.objects.count(),
        PendingRecompute.objects.count(),
    )


def query(**changes):
    policy = MetricPolicy.objects.latest()
    values = {name: getattr(policy, name) for name in MetricPolicy.DEFINITION_FIELDS}
    values.update(changes)
    return {"day": D.isoformat(), **values}


def test_get_shows_totals_per_vertical_and_changed_accounts(
    data_set, coo, client, django_assert_max_num_queries
):
    client.force_login(coo)
    before = snapshot()
    params = query(dag_min_minutes=61)
    # Session, user, roles, policy, verticals, (savepoints, work_mem,) the one what-if statement,
    # the changed accounts in one query, the sidebar's permissions: none per account.
    with django_assert_max_num_queries(14):
        response = client.get(URL, params)
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["changed_total"] == 1
    total = response.context["rows"][-1]
    assert (total["dag_now"], total["dag_new"], total["dag_delta"]) == (3, 2, -1)
    assert "loses DAG" in page
    account = data_set["a"]
    assert reverse("admin:accounts_account_change", args=[account.pk]) in page
    assert reverse("account-detail", args=["ent-a"]) in page
    assert "dag_min_minutes=61" in page  # the link that saves these values
    assert snapshot() == before


def test_first_visit_shows_the_form_with_the_current_policy_and_yesterday(data_set, coo, client):
    client.force_login(coo)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["answer"] is None
    assert response.context["form"]["dag_min_minutes"].value() == 60


def test_post_from_the_change_form_previews_the_unsaved_edit(data_set, coo, client):
    client.force_login(coo)
    policy = MetricPolicy.objects.latest()
    change_page = client.get(reverse("admin:metrics_metricpolicy_change", args=[policy.pk]))
    assert change_page.status_code == 200
    assert 'id="policy-preview"' in change_page.content.decode()
    before = snapshot()
    form = {**query(deep_min_analytics_days=5), "preview_day": D.isoformat(), "_preview": "1"}
    form.pop("day")
    form.update(weight_dag_rate=99, note="never saved")  # other fields of the form are ignored
    response = client.post(URL, form)
    assert response.status_code == 200
    assert [row["external_id"] for row in response.context["changed"]] == ["ent-c"]
    assert response.context["rows"][-1]["deep_delta"] == -1
    assert snapshot() == before


def test_out_of_range_value_is_an_error_on_the_form(data_set, coo, client):
    client.force_login(coo)
    before = snapshot()
    response = client.get(URL, query(window_days=0))
    assert response.status_code == 200
    assert response.context["answer"] is None
    assert "window_days" in response.context["form"].errors
    response = client.get(URL, {**query(), "day": "2999-01-01"})
    assert "day" in response.context["form"].errors
    assert snapshot() == before


def test_not_the_coo_gets_403(data_set, csm, client):
    client.force_login(csm)
    assert client.get(URL, query()).status_code == 403
    lead = factories.person("lead", "manufacturing", username="lead_m")
    client.force_login(lead)
    assert client.post(URL, query()).status_code == 403


def test_anonymous_is_sent_to_login(db, client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
