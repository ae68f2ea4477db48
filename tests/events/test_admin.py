"""Webhooks in the admin, as people use them: add (SSRF refused, secret shown once), scoping, send again."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from events import services
from events.models import Delivery, Subscription
from tests import factories
from visits.services import log_visit

pytestmark = pytest.mark.django_db

ADD = reverse("admin:events_subscription_add")


def _form(url, **extra):
    return {
        "name": "Group",
        "url": url,
        "events": ["*"],
        "format": "dingtalk",
        "language": "zh-hans",
        "secret": "",
        "active": "on",
        **extra,
    }


def test_the_coo_adds_a_subscription_and_sees_the_secret_once(client, coo, allow_loopback):
    client.force_login(coo)
    response = client.post(ADD, _form("http://127.0.0.1:9/robot"), follow=True)
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.created_by == coo and len(subscription.secret) >= 32
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(subscription.secret in m for m in shown)
    change = client.get(reverse("admin:events_subscription_change", args=[subscription.pk]))
    assert subscription.secret not in change.content.decode()


def test_the_admin_refuses_a_private_url(client, coo, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(coo)
    response = client.post(ADD, _form("https://169.254.169.254/latest"))
    assert response.status_code == 200  # the form again, with the error
    assert "link-local" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_lead_sees_only_her_subscriptions_and_the_csm_none(client, coo, csm, allow_loopback):
    lead = factories.person("lead", "manufacturing", username="lead_m")
    others = Subscription.objects.create(url="http://127.0.0.1:9/", events=["*"], created_by=coo)
    hers = Subscription.objects.create(url="http://127.0.0.1:9/", events=["*"], created_by=lead)
    client.force_login(lead)
    listing = client.get(reverse("admin:events_subscription_changelist")).content.decode()
    assert f"/{hers.pk}/change/" in listing and f"/{others.pk}/change/" not in listing
    other_page = client.get(reverse("admin:events_subscription_change", args=[others.pk]))
    assert other_page.status_code in (302, 404)
    client.force_login(csm)
    assert client.get(reverse("admin:events_subscription_changelist")).status_code == 403


def test_send_again_from_the_delivery_log(client, coo, csm, receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = []
    Subscription.objects.create(url=receiver.url, events=["*"], created_by=coo)
    receiver.answers.append(500)
    log_visit(account=factories.AccountFactory(), author=csm)
    services.deliver_due()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    client.force_login(coo)
    page = client.get(reverse("admin:events_delivery_change", args=[delivery.pk]))
    assert page.status_code == 200 and "500" in page.content.decode()
    client.post(
        reverse("admin:events_delivery_changelist"),
        {"action": "send_again", "_selected_action": [delivery.pk]},
    )
    services.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert len(receiver.received) == 2
