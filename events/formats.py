"""The four wire formats of a delivery: signed JSON, DingTalk's and Feishu's robots, Slack's webhook.

`render(subscription, event, now=)` answers the URL to POST to, the headers and
the body bytes. Signatures (docs/events.md):

- json: `X-Frontline-Signature: t=UNIX_SECONDS,v1=HEX`, HEX = HMAC-SHA256(secret, "{t}.{body}");
- DingTalk custom robot: query `timestamp` (ms) and `sign` =
  base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")), URL-encoded;
- Feishu/Lark custom bot: `timestamp` (s) and `sign` =
  base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg="")) in the body;
- Slack incoming webhook: unsigned (the URL is the secret).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import quote_plus, urlsplit, urlunsplit

from .messages import Message, message_for, worded_data
from .models import Event, Format, Subscription


@dataclass(frozen=True)
class Request:
    url: str
    headers: dict[str, str]
    body: bytes


def payload(event: Event, language: str = "en") -> dict:
    """The JSON payload of DESIGN.md: id, type, occurred_at, account and data (worded in `language`)."""
    occurred_at = event.occurred_at
    if isinstance(occurred_at, dt.datetime):
        occurred_at = occurred_at.isoformat()
    return {
        "id": str(event.uuid),
        "type": event.type,
        "occurred_at": occurred_at,
        "account": {
            "external_id": event.account_external_id,
            "name": event.account_name,
            "vertical": event.vertical.code if event.vertical_id else event.vertical_code,
        },
        "data": worded_data(event, language),
    }


def _json_bytes(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's `sign` before URL-encoding."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def feishu_sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _with_query(url: str, extra: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _markdown(message: Message) -> str:
    lines = [f"#### {message.title}", *message.details, f"[{message.link_text}]({message.link})"]
    return "\n\n".join(lines)


def _dingtalk(subscription: Subscription, message: Message, now: dt.datetime) -> Request:
    timestamp_ms = int(now.timestamp() * 1000)
    sign = quote_plus(dingtalk_sign(subscription.secret, timestamp_ms))
    body = {"msgtype": "markdown", "markdown": {"title": message.title, "text": _markdown(message)}}
    return Request(
        url=_with_query(subscription.url, f"timestamp={timestamp_ms}&sign={sign}"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        body=_json_bytes(body),
    )


def _feishu(subscription: Subscription, message: Message, now: dt.datetime) -> Request:
    timestamp = int(now.timestamp())
    card = {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": message.title}},
        "elements": [
            *(
                {"tag": "div", "text": {"tag": "plain_text", "content": line}}
                for line in message.details
            ),
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": message.link_text},
                        "url": message.link,
                        "type": "default",
                    }
                ],
            },
        ],
    }
    body = {
        "timestamp": str(timestamp),
        "sign": feishu_sign(subscription.secret, timestamp),
        "msg_type": "interactive",
        "card": card,
    }
    return Request(
        url=subscription.url,
        headers={"Content-Type": "application/json; charset=utf-8"},
        body=_json_bytes(body),
    )


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack(subscription: Subscription, message: Message) -> Request:
    details = "\n".join(_slack_escape(line) for line in message.details)
    text = f"*{_slack_escape(message.title)}*"
    body = {
        "text": message.title,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            *(
                [{"type": "section", "text": {"type": "mrkdwn", "text": details}}]
                if details
                else []
            ),
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"<{message.link}|{message.link_text}>"},
            },
        ],
    }
    return Request(
        url=subscription.url,
        headers={"Content-Type": "application/json; charset=utf-8"},
        body=_json_bytes(body),
    )


def render(subscription: Subscription, event: Event, *, now: dt.datetime) -> Request:
    if subscription.format == Format.JSON:
        body = _json_bytes(payload(event, subscription.language))
        return Request(
            url=subscription.url,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Frontline-Event": event.type,
                "X-Frontline-Delivery": str(event.uuid),
                "X-Frontline-Signature": json_signature(
                    subscription.secret, int(now.timestamp()), body
                ),
            },
            body=body,
        )
    message = message_for(event, subscription.language)
    if subscription.format == Format.DINGTALK:
        return _dingtalk(subscription, message, now)
    if subscription.format == Format.FEISHU:
        return _feishu(subscription, message, now)
    return _slack(subscription, message)
