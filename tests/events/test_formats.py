"""The robot formats: DingTalk's and Feishu's signatures (known answers), the messages they carry."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest

from core.days import last_complete_day
from events import services
from events.formats import dingtalk_sign, feishu_sign, json_signature
from events.models import Delivery, Subscription
from plays import outbox as plays_outbox
from plays.services import close_cta
from tests import factories
from visits.services import log_visit

pytestmark = pytest.mark.django_db

SECRET = "SEC1234567890abcdef"
TIMESTAMP_MS = 1700000000000


def openssl_hmac_b64(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 computed by openssl, independently of Python's hmac module."""
    digest = subprocess.run(
        ["openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", f"hexkey:{key.hex()}", "-binary"],
        input=message,
        capture_output=True,
        check=True,
    ).stdout
    return base64.b64encode(digest).decode()


def test_dingtalk_sign_known_answer():
    # DingTalk: base64(HMAC-SHA256(key=secret, msg="{timestamp}\n{secret}")), timestamp in ms.
    expected = openssl_hmac_b64(SECRET.encode(), f"{TIMESTAMP_MS}\n{SECRET}".encode())
    assert dingtalk_sign(SECRET, TIMESTAMP_MS) == expected


def test_feishu_sign_known_answer():
    # Feishu: base64(HMAC-SHA256(key="{timestamp}\n{secret}", msg="")), timestamp in seconds.
    expected = openssl_hmac_b64(f"1700000000\n{SECRET}".encode(), b"")
    assert feishu_sign(SECRET, 1700000000) == expected


def test_json_signature_known_answer():
    body = b'{"id":"x"}'
    expected = openssl_hmac_b64(SECRET.encode(), b"1700000000." + body)
    hexdigest = base64.b64decode(expected).hex()
    assert json_signature(SECRET, 1700000000, body) == f"t=1700000000,v1={hexdigest}"


def _delivered(receiver, coo, csm, fmt, language="en"):
    subscription = Subscription.objects.create(
        url=receiver.url + "?access_token=abc",
        events=["visit.logged"],
        format=fmt,
        language=language,
        created_by=coo,
        secret=SECRET,
    )
    account = factories.AccountFactory(external_id="ent-42", name="Sany Heavy")
    log_visit(account=account, author=csm, purpose="MES pilot", visited_on=dt.date(2026, 11, 24))
    services.deliver_due()
    assert Delivery.objects.get().status == "delivered"
    (request,) = receiver.received
    return subscription, request, json.loads(request.body)


def test_dingtalk_robot_message(receiver, coo, csm, settings):
    settings.FRONTLINE_BASE_URL = "https://frontline.example.com"
    _, request, body = _delivered(receiver, coo, csm, "dingtalk")
    query = parse_qs(urlsplit(request.path).query)
    assert query["access_token"] == ["abc"]
    timestamp = int(query["timestamp"][0])
    assert query["sign"][0] == dingtalk_sign(SECRET, timestamp)
    assert body["msgtype"] == "markdown"
    assert "Sany Heavy" in body["markdown"]["title"]
    assert "https://frontline.example.com/accounts/ent-42/" in body["markdown"]["text"]
    assert "MES pilot" in body["markdown"]["text"]


def test_feishu_robot_message_in_chinese(receiver, coo, csm):
    _, request, body = _delivered(receiver, coo, csm, "feishu", language="zh-hans")
    assert body["sign"] == feishu_sign(SECRET, int(body["timestamp"]))
    assert body["msg_type"] == "interactive"
    title = body["card"]["header"]["title"]["content"]
    assert "Sany Heavy" in title
    assert "拜访" in title
    button = body["card"]["elements"][-1]["actions"][0]
    assert button["url"].endswith("/accounts/ent-42/")


def test_slack_message(receiver, coo, csm):
    _, request, body = _delivered(receiver, coo, csm, "slack")
    assert "Sany Heavy" in body["text"]
    assert body["blocks"][0]["type"] == "section"
    assert "/accounts/ent-42/|" in body["blocks"][-1]["text"]["text"]
    assert "X-Frontline-Signature" not in request.headers


def _cta_events_delivered(receiver, coo, csm, fmt, language):
    """An evaluation's set-based cta.opened and cta.closed (resolved), sent to one subscription."""
    Subscription.objects.create(
        url=receiver.url,
        events=["cta.opened", "cta.closed"],
        format=fmt,
        language=language,
        created_by=coo,
        secret=SECRET,
    )
    day = last_complete_day()
    opened = factories.cta(factories.AccountFactory(name="Sany Heavy"), owner=csm, opened_on=day)
    resolved = factories.cta(
        factories.AccountFactory(name="XCMG"),
        owner=csm,
        opened_on=day,
        status="resolved",
        closed_on=day,
        numbers={"days": 45, "last_visit": "2026-09-01"},
    )
    assert plays_outbox.ctas_opened([opened.pk]) == 1
    assert plays_outbox.ctas_closed_by_evaluation([resolved.pk]) == 1
    assert services.deliver_due() == 2
    return [json.loads(r.body) for r in receiver.received]


def test_set_based_cta_events_carry_the_reason_in_words_in_json(receiver, coo, csm):
    opened, closed = _cta_events_delivered(receiver, coo, csm, "json", "en")
    assert opened["data"]["cta"]["reason"] == "no visit in the last 45 days (never visited)"
    assert opened["data"]["cta"]["reason_numbers"] == {"days": 45, "last_visit": None}
    assert closed["data"]["cta"]["reason"] == (
        "no visit in the last 45 days (last visit 2026-09-01)"
    )
    assert closed["data"]["cta"]["resolution"].startswith("resolved on ")


def test_set_based_cta_events_say_the_reason_in_the_robots_language(receiver, coo, csm):
    opened, closed = _cta_events_delivered(receiver, coo, csm, "dingtalk", "zh-hans")
    assert "最近 45 天内无拜访（从未拜访）" in opened["markdown"]["text"]
    assert "最近 45 天内无拜访（上次拜访 2026-09-01）" in closed["markdown"]["text"]
    assert "自动解决" in closed["markdown"]["text"]  # the resolution, in words


def test_a_cta_closed_by_a_person_is_sent_with_the_reason_in_the_robots_language(
    receiver, coo, csm
):
    Subscription.objects.create(
        url=receiver.url,
        events=["cta.closed"],
        format="slack",
        language="zh-hans",
        created_by=coo,
    )
    cta = factories.cta(factories.AccountFactory(), owner=csm, opened_on=last_complete_day())
    close_cta(cta=cta, status="dismissed", user=csm, note="Visited last week")  # in English
    assert services.deliver_due() == 1
    (request,) = receiver.received
    assert "最近 45 天内无拜访（从未拜访）" in json.loads(request.body)["blocks"][1]["text"]["text"]
