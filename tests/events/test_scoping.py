"""Nobody receives events of accounts outside what the subscription's creator may see."""

from __future__ import annotations

import json

import pytest

from events import services
from events.models import Delivery, Subscription
from tests import factories
from visits.services import log_visit

pytestmark = pytest.mark.django_db


def test_a_leads_subscription_never_carries_another_verticals_account(
    receiver, coo, csm, other_csm
):
    lead = factories.person("lead", "manufacturing", username="lead_m")
    # "Every vertical" for a lead still means the verticals she may see.
    Subscription.objects.create(url=receiver.url, events=["*"], created_by=lead)
    mine = factories.AccountFactory(external_id="m-1")
    theirs = factories.AccountFactory(
        external_id="r-1", vertical=factories.vertical("consumer_retail")
    )
    log_visit(account=mine, author=csm)
    log_visit(account=theirs, author=other_csm)
    services.deliver_due()
    accounts = [json.loads(r.body)["account"]["external_id"] for r in receiver.received]
    assert accounts == ["m-1"]


def test_a_subscriptions_verticals_narrow_what_it_gets(receiver, coo, csm, other_csm):
    subscription = Subscription.objects.create(url=receiver.url, events=["*"], created_by=coo)
    subscription.verticals.set([factories.vertical("consumer_retail")])
    log_visit(account=factories.AccountFactory(external_id="m-1"), author=csm)
    log_visit(
        account=factories.AccountFactory(
            external_id="r-1", vertical=factories.vertical("consumer_retail")
        ),
        author=other_csm,
    )
    services.deliver_due()
    assert [json.loads(r.body)["account"]["external_id"] for r in receiver.received] == ["r-1"]


def test_event_types_not_asked_for_are_not_sent(receiver, coo, csm):
    Subscription.objects.create(url=receiver.url, events=["requirement.raised"], created_by=coo)
    log_visit(account=factories.AccountFactory(), author=csm)
    services.deliver_due()
    assert receiver.received == []
    assert not Delivery.objects.exists()


def test_the_url_is_checked_again_at_send_time(receiver, coo, csm, settings):
    Subscription.objects.create(url=receiver.url, events=["*"], created_by=coo)
    log_visit(account=factories.AccountFactory(), author=csm)
    settings.WEBHOOK_ALLOW_PRIVATE = False  # as if the name now resolved to a private address
    services.deliver_due()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "127.0.0.1" in delivery.log.get().error
    assert receiver.received == []
