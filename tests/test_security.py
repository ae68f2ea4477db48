"""Security controls that no feature test covers: login throttling and logging of refused API keys."""

import logging

import pytest
from django.core.management import call_command

from tests import factories

pytestmark = pytest.mark.django_db


def test_repeated_failed_logins_lock_the_username_and_address(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    factories.person("csm", "manufacturing", username="wang")
    for _ in range(3):
        client.post("/admin/login/", {"username": "wang", "password": "wrong-password"})
    locked = client.post("/admin/login/", {"username": "wang", "password": "pw-frontline-1"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_refused_api_key_is_logged_without_the_key(client, caplog, capsys):
    factories.person("csm", "manufacturing", username="api_csm")
    call_command("create_api_token", "api_csm")
    key = capsys.readouterr().out.strip()
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    with caplog.at_level(logging.WARNING, logger="frontline.api"):
        response = client.get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {forged}")
    assert response.status_code == 401
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "api auth failed" in logged
    assert forged not in logged and key not in logged
