"""No SSRF: receivers on loopback, private, link-local or plain-http URLs are refused (docs/events.md)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from events import services
from events.receiver_address import UnsafeReceiver, check_receiver


@pytest.fixture(autouse=True)
def _strict(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_ALLOW_HTTP = False


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.8.9.10/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://172.31.255.254/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/hook",
        "https://[fc00::1]/hook",
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://100.64.0.1/hook",
        "https://localhost/hook",
        "https://LOCALHOST.:8443/hook",
    ],
)
def test_private_and_loopback_receivers_are_refused(url):
    with pytest.raises(UnsafeReceiver):
        check_receiver(url)


def test_plain_http_is_refused_unless_allowed(settings):
    with pytest.raises(UnsafeReceiver, match="https"):
        check_receiver("http://93.184.216.34/hook")
    settings.WEBHOOK_ALLOW_HTTP = True
    assert check_receiver("http://93.184.216.34/hook").address == "93.184.216.34"


def test_other_schemes_and_credentials_are_refused():
    for url in ("ftp://93.184.216.34/x", "file:///etc/passwd", "https://u:p@93.184.216.34/"):
        with pytest.raises(UnsafeReceiver):
            check_receiver(url)


def test_a_public_address_is_allowed_and_kept_for_the_connection():
    receiver = check_receiver("https://93.184.216.34:8443/robot/send?access_token=abc")
    assert receiver.address == "93.184.216.34"
    assert receiver.port == 8443
    assert receiver.target == "/robot/send?access_token=abc"
    assert receiver.host_header == "93.184.216.34:8443"


def test_private_receivers_are_allowed_with_the_setting(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert check_receiver("https://localhost/hook").address == "127.0.0.1"
    assert check_receiver("https://[::1]/hook").address == "::1"


def test_the_save_time_check_names_the_url_field():
    with pytest.raises(ValidationError) as refused:
        services.check_subscription_url("https://127.0.0.1/hook")
    assert "url" in refused.value.message_dict
