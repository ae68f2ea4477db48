"""The webhooks API: who manages what, the secret shown once, SSRF refused at save, the delivery log."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from events import services
from events.models import Subscription
from tests import factories
from tests.api.conftest import token_client
from visits.services import log_visit

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()


@pytest.fixture
def lead(db):
    return factories.person("lead", "manufacturing", username="lead_m")


def test_the_coo_creates_a_subscription_and_sees_its_secret_once(coo, allow_loopback):
    client = token_client(coo, write=True)
    response = client.post(
        URL,
        {"url": "http://127.0.0.1:9/hook", "events": ["visit.logged"], "format": "json"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["secret"]) >= 32
    assert body["created_by"] == "coo" and body["verticals"] == []
    assert Subscription.objects.get().secret == body["secret"]
    again = client.get(f"{URL}{body['id']}/").json()
    assert "secret" not in again
    assert "secret" not in client.get(URL).json()["results"][0]


def test_a_given_secret_is_kept(coo, allow_loopback):
    client = token_client(coo, write=True)
    secret = "my-own-secret-0123456789"
    response = client.post(
        URL, {"url": "http://127.0.0.1:9/", "events": ["*"], "secret": secret}, format="json"
    )
    assert response.json()["secret"] == secret


def test_writes_need_a_write_token(coo, allow_loopback):
    response = token_client(coo).post(
        URL, {"url": "http://127.0.0.1:9/", "events": ["*"]}, format="json"
    )
    assert response.status_code == 403
    assert not Subscription.objects.exists()


def test_people_who_are_not_coo_or_lead_get_403(csm):
    assert token_client(csm, write=True).get(URL).status_code == 403


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://169.254.169.254/", "link-local"),
        ("http://93.184.216.34/hook", "https"),
    ],
)
def test_ssrf_urls_are_refused_at_save(coo, url, reason):
    response = token_client(coo, write=True).post(URL, {"url": url, "events": ["*"]}, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "url" and reason in error["reason"]
    assert not Subscription.objects.exists()


def test_unknown_event_types_are_refused(coo, allow_loopback):
    response = token_client(coo, write=True).post(
        URL, {"url": "http://127.0.0.1:9/", "events": ["visit.deleted"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].startswith("events")


def test_a_lead_manages_her_verticals_only(lead, coo, allow_loopback):
    client = token_client(lead, write=True)
    refused = client.post(
        URL,
        {"url": "http://127.0.0.1:9/", "events": ["*"], "verticals": ["consumer_retail"]},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "verticals"
    mine = client.post(
        URL,
        {"url": "http://127.0.0.1:9/", "events": ["*"], "verticals": ["manufacturing"]},
        format="json",
    )
    assert mine.status_code == 201
    everything = Subscription.objects.create(
        url="http://127.0.0.1:9/", events=["*"], created_by=coo
    )
    listed = [s["id"] for s in client.get(URL).json()["results"]]
    assert listed == [mine.json()["id"]]
    assert client.get(f"{URL}{everything.pk}/").status_code == 404
    assert (
        client.patch(f"{URL}{everything.pk}/", {"active": False}, format="json").status_code == 404
    )
    assert client.delete(f"{URL}{everything.pk}/").status_code == 404
    # The COO manages any.
    assert token_client(coo, write=True).delete(f"{URL}{mine.json()['id']}/").status_code == 204


def test_patch_switches_on_again_and_rechecks_the_url(coo, allow_loopback, settings):
    subscription = Subscription.objects.create(
        url="http://127.0.0.1:9/",
        events=["*"],
        created_by=coo,
        active=False,
        consecutive_failures=50,
    )
    client = token_client(coo, write=True)
    response = client.patch(f"{URL}{subscription.pk}/", {"active": True}, format="json")
    assert response.status_code == 200
    assert response.json()["active"] and response.json()["consecutive_failures"] == 0
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = client.patch(f"{URL}{subscription.pk}/", {"url": "http://10.0.0.1/"}, format="json")
    assert response.status_code == 400


def test_the_delivery_log(receiver, coo, csm):
    subscription = Subscription.objects.create(url=receiver.url, events=["*"], created_by=coo)
    log_visit(account=factories.AccountFactory(external_id="ent-7"), author=csm)
    services.deliver_due()
    response = token_client(coo).get(f"{URL}{subscription.pk}/deliveries/")
    assert response.status_code == 200
    (delivery,) = response.json()["results"]
    assert delivery["type"] == "visit.logged" and delivery["account"] == "ent-7"
    assert delivery["status"] == "delivered"
    assert delivery["log"][0]["status_code"] == 200
    assert token_client(coo).get(f"{URL}999999/deliveries/").status_code == 404
