"""Fixtures of the events tests: a real receiver on loopback, private and http receivers allowed."""

from __future__ import annotations

import pytest

from .receiver import Receiver


@pytest.fixture
def allow_loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_RETRY_SCHEDULE = [10, 60, 300]


@pytest.fixture
def receiver(allow_loopback):
    running = Receiver().start()
    yield running
    running.stop()
