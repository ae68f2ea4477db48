"""Deliveries to a real receiver on 127.0.0.1: signature, retries, order, once per success."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import ssl
import subprocess
import threading
from http.server import ThreadingHTTPServer

import pytest
from django.utils import timezone

from events import services
from events.models import Delivery, DeliveryStatus, Event, Subscription
from tests import factories
from tests.events.receiver import Receiver
from visits.services import log_visit

pytestmark = pytest.mark.django_db


def subscribe(url, *, creator, events=("*",), fmt="json", verticals=(), **kwargs):
    subscription = Subscription.objects.create(
        url=url, events=list(events), format=fmt, created_by=creator, **kwargs
    )
    subscription.verticals.set(verticals)
    return subscription


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's check, exactly as docs/events.md tells receivers to write it."""
    fields = dict(part.split("=", 1) for part in headers["X-Frontline-Signature"].split(","))
    expected = hmac.new(
        secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def test_a_logged_visit_reaches_the_receiver_signed(receiver, coo, csm):
    account = factories.AccountFactory(external_id="ent-1", name="Sany")
    subscription = subscribe(receiver.url, creator=coo)
    visit = log_visit(
        account=account,
        author=csm,
        purpose="MES pilot",
        requirements=[{"title": "SSO with AD", "priority": "high"}],
    )
    assert services.deliver_due() == 2
    assert [r.headers["X-Frontline-Event"] for r in receiver.received] == [
        "visit.logged",
        "requirement.raised",
    ]
    first = receiver.received[0]
    assert verify(subscription.secret, first.headers, first.body)
    assert not verify("another secret", first.headers, first.body)
    payload = json.loads(first.body)
    assert payload["type"] == "visit.logged"
    assert payload["account"] == {
        "external_id": "ent-1",
        "name": "Sany",
        "vertical": "manufacturing",
    }
    assert payload["data"]["visit"]["id"] == visit.pk
    assert payload["data"]["visit"]["purpose"] == "MES pilot"
    assert first.headers["X-Frontline-Delivery"] == payload["id"]
    assert str(Event.objects.get(type="visit.logged").uuid) == payload["id"]
    assert json.loads(receiver.received[1].body)["data"]["requirement"]["title"] == "SSO with AD"
    # Delivered once: another sweep sends nothing.
    assert services.deliver_due() == 0
    assert len(receiver.received) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_no_subscription_writes_no_event(coo, csm):
    log_visit(account=factories.AccountFactory(), author=csm)
    assert not Event.objects.exists()


def test_retries_follow_the_schedule_then_fail(receiver, coo, csm, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [10, 60]
    subscription = subscribe(receiver.url, creator=coo, events=["visit.logged"])
    receiver.default_status = 503
    log_visit(account=factories.AccountFactory(), author=csm)
    started = timezone.now()
    services.deliver_due()
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1 and delivery.status == DeliveryStatus.PENDING
    assert dt.timedelta(seconds=9) < delivery.next_attempt_at - started < dt.timedelta(seconds=12)
    # Not due yet: nothing is sent.
    assert services.deliver_due() == 0
    Delivery.objects.update(next_attempt_at=timezone.now())
    services.deliver_due()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert (
        dt.timedelta(seconds=59)
        < delivery.next_attempt_at - timezone.now()
        < dt.timedelta(seconds=61)
    )
    Delivery.objects.update(next_attempt_at=timezone.now())
    services.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3
    assert len(receiver.received) == 3
    log = list(delivery.log.order_by("attempted_at"))
    assert [a.status_code for a in log] == [503, 503, 503]
    assert len(log[0].answer) == 1024
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 3


def test_a_redirect_is_not_followed(receiver, coo, csm):
    subscribe(receiver.url, creator=coo)
    receiver.answers.extend([302])
    log_visit(account=factories.AccountFactory(), author=csm)
    services.deliver_due()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.log.get().status_code == 302
    assert len(receiver.received) == 1


def test_receiver_down_then_up_gets_everything_once_in_order(receiver, coo, csm):
    subscribe(receiver.url, creator=coo, events=["visit.logged"])
    account = factories.AccountFactory()
    port = receiver.port
    receiver.stop()
    visits = [log_visit(account=account, author=csm, purpose=f"visit {n}") for n in range(3)]
    services.deliver_due()
    # Only the first was tried: the later ones wait behind it (order per account).
    assert Delivery.objects.filter(attempts=1).count() == 1
    assert Delivery.objects.get(attempts=1).log.get().error
    receiver.port = port
    receiver.start()
    Delivery.objects.update(next_attempt_at=timezone.now())
    services.deliver_due()
    received = [json.loads(r.body)["data"]["visit"]["id"] for r in receiver.received]
    assert received == [v.pk for v in visits]
    assert services.deliver_due() == 0
    assert len(receiver.received) == 3


def test_fifty_failures_switch_the_subscription_off_and_tell_its_creator(
    receiver, coo, csm, mailoutbox, django_capture_on_commit_callbacks
):
    coo.email = "coo@example.com"
    coo.save()
    subscription = subscribe(receiver.url, creator=coo, consecutive_failures=49)
    receiver.default_status = 500
    log_visit(account=factories.AccountFactory(), author=csm)
    with django_capture_on_commit_callbacks() as after_commit:
        services.deliver_due()
    assert mailoutbox == []  # nothing is told before the switch-off commits
    for callback in after_commit:
        callback()
    subscription.refresh_from_db()
    assert not subscription.active
    assert subscription.disabled_reason
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["coo@example.com"]
    assert subscription.url in mailoutbox[0].body


def test_send_again_delivers_a_failed_delivery(receiver, coo, csm, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = []
    subscribe(receiver.url, creator=coo)
    receiver.answers.extend([500])
    log_visit(account=factories.AccountFactory(), author=csm)
    services.deliver_due()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    services.send_again(deliveries=[delivery])
    services.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [a.status_code for a in delivery.log.order_by("attempted_at")] == [500, 200]


def test_an_https_receiver_with_an_untrusted_certificate_is_not_delivered(
    tmp_path, coo, csm, allow_loopback
):
    """The POST goes to the checked IP address, yet TLS still verifies the certificate."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    plain = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), plain._handler())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        subscribe(f"https://localhost:{port}/hook", creator=coo)
        log_visit(account=factories.AccountFactory(), author=csm)
        services.deliver_due()
    finally:
        server.shutdown()
        server.server_close()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "certificate" in delivery.log.get().error.lower()
    assert plain.received == []
