"""Hostile requests answer the JSON error envelope, never a 500 or an HTML page.

Deeply nested bodies, crafted cursors, lone surrogates, oversized bodies,
bad Host headers, CSRF refusals and unknown endpoints: each is a 4xx whose
body is `{"errors": [{"field", "reason"}]}`.
"""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests import factories
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


def _envelope(response, status: int) -> list[dict]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    errors = json.loads(response.content)["errors"]
    assert errors and all(e["reason"] for e in errors)
    return errors


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unknown_endpoint_answers_the_json_404_to_every_method(csm, method):
    client = Client(enforce_csrf_checks=True)
    client.force_login(csm)
    errors = _envelope(getattr(client, method)("/api/v1/no-such-thing/"), 404)
    assert "/api/v1/no-such-thing/" in errors[0]["reason"]
    # Without the slash too (no redirect can carry a POST body).
    _envelope(getattr(client, method)("/api/v1/no-such-thing"), 404)


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/visits/", "[" * 1200 + "]" * 1200),
        ("/api/v1/visits/", '{"a":' * 1200 + "1" + "}" * 1200),
        ("/api/v1/usage/", "[" * 1200 + "]" * 1200),
        (
            "/api/v1/policy/what-if/",
            '{"date": "2026-11-20", "policy": ' + "[" * 5000 + "]" * 5000 + "}",
        ),
    ],
)
def test_deeply_nested_bodies_are_a_400(coo, url, body):
    client = token_client(coo, write=True)
    response = client.post(url, body, content_type="application/json")
    errors = _envelope(response, 400)
    assert "nest" in errors[0]["reason"].lower()


def _cursor(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "payload",
    [
        '{"o": "name", "v": ' + "[" * 1200 + "]" * 1200 + ', "r": 0}',
        '{"o": "name", "v": ["\\ud800", "x"], "r": 0}',
        '{"o": "name", "v": ["a", "\\udfff"], "r": 0}',
    ],
)
def test_crafted_cursors_are_a_400_naming_the_cursor(csm, payload):
    factories.AccountFactory(external_id="ent-1")
    response = token_client(csm).get("/api/v1/accounts/", {"cursor": _cursor(payload)})
    assert _envelope(response, 400)[0]["field"] == "cursor"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/visits/", {"account": "\ud800"}, "account"),
        ("/api/v1/visits/", {"account": "ent-1", "visit_type": "\ud800"}, "visit_type"),
        ("/api/v1/visits/", {"account": "ent-1", "sentiment": "\udfff"}, "sentiment"),
        ("/api/v1/usage/", [{"account": "\ud800"}], "0.account"),
        ("/api/v1/usage/", [{"account": "ent-1", "minutes": "\ud800"}], "0.minutes"),
        ("/api/v1/policy/what-if/", {"date": "2026-11-20", "policy": {"\ud800": 1}}, "policy"),
    ],
)
def test_lone_surrogates_are_a_400_naming_the_field(coo, url, body, field):
    factories.AccountFactory(external_id="ent-1")
    client = token_client(coo, write=True)
    # ensure_ascii keeps the surrogate as the escape \ud800, as a hostile client sends it.
    response = client.post(url, json.dumps(body), content_type="application/json")
    errors = _envelope(response, 400)
    assert errors[0]["field"] == field, errors
    assert "surrogate" in errors[0]["reason"].lower() or "unicode" in errors[0]["reason"].lower()


def test_a_body_over_the_upload_limit_is_the_json_envelope(coo, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = token_client(coo, write=True)
    body = json.dumps({"account": "ent-1", "summary": "x" * 5000})
    errors = _envelope(client.post("/api/v1/visits/", body, content_type="application/json"), 400)
    assert "1000" in errors[0]["reason"]


def test_a_bad_host_is_the_json_envelope(coo):
    client = token_client(coo)
    errors = _envelope(client.get("/api/v1/accounts/", HTTP_HOST="evil.example"), 400)
    assert "host" in errors[0]["reason"].lower()


def test_other_paths_under_api_are_json_too(db):
    _envelope(APIClient().get("/api/nothing-here/"), 404)


def test_a_csrf_refusal_under_api_is_the_json_envelope(csm):
    client = Client(enforce_csrf_checks=True)
    client.force_login(csm)
    # A session write without the CSRF token: DRF's own check refuses it.
    errors = _envelope(
        client.post("/api/v1/visits/", {"account": "x"}, content_type="application/json"), 403
    )
    assert "csrf" in errors[0]["reason"].lower()


def test_html_pages_keep_their_html_errors(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_a_long_summary_is_refused_with_the_limit(csm):
    factories.AccountFactory(external_id="ent-1")
    client = token_client(csm, write=True)
    response = client.post(
        "/api/v1/visits/", {"account": "ent-1", "summary": "x" * 10_001}, format="json"
    )
    errors = _envelope(response, 400)
    assert errors[0]["field"] == "summary" and "10000" in errors[0]["reason"].replace(",", "")
    ok = client.post(
        "/api/v1/visits/", {"account": "ent-1", "summary": "x" * 10_000}, format="json"
    )
    assert ok.status_code == 201, ok.content


def test_failed_token_authentication_is_throttled_by_address(db, settings, caplog):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "auth_failure": "10/min",
        },
    }
    client = APIClient()
    statuses = []
    for n in range(30):
        client.credentials(HTTP_AUTHORIZATION=f"Token bad-key-{n:04d}-secret")
        statuses.append(client.get("/api/v1/accounts/").status_code)
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert _envelope(response, 429)
    assert "bad-key-" not in caplog.text and "secret" not in caplog.text
    assert "127.0.0.1" in caplog.text
    # Another address is not held back by this one's failures.
    other = APIClient(REMOTE_ADDR="10.0.0.9")
    other.credentials(HTTP_AUTHORIZATION="Token bad-key-x")
    assert other.get("/api/v1/accounts/").status_code == 401
