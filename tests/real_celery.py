"""A real Celery worker (a thread of this process) on the real Redis, for the celery_real tests.

Used only when FRONTLINE_TEST_BROKER_URL is set (scripts/run_tests.sh sets it in
the PostgreSQL pass). The worker consumes a queue of its own, so parallel test
processes on the same Redis do not take each other's tasks.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app

BROKER_URL = os.environ.get("FRONTLINE_TEST_BROKER_URL", "")

requires_broker = [
    pytest.mark.celery_real,
    pytest.mark.skipif(not BROKER_URL, reason="FRONTLINE_TEST_BROKER_URL is not set"),
]

_KEYS = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")


def _forget_connections() -> None:
    """Drop the app's cached pools, result backend and queue routing, built under the old settings."""
    app._pool = None
    # The result backend is cached per thread; an eager test may have cached the disabled one.
    app._local.__dict__.pop("backend", None)
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
        for name in ("queues", "default_queue", "router"):
            amqp.__dict__.pop(name, None)


@contextmanager
def running_worker(queue_prefix: str) -> Iterator[None]:
    """Point the app at Redis (not eager) with a worker on a fresh queue; restore everything after."""
    saved = {key: app.conf[key] for key in _KEYS}
    queue = f"{queue_prefix}-{uuid.uuid4().hex[:8]}"
    app.conf.update(
        broker_url=BROKER_URL,
        result_backend=BROKER_URL,
        task_always_eager=False,
        task_default_queue=queue,
    )
    _forget_connections()
    try:
        with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            yield
    finally:
        app.conf.update(saved)
        _forget_connections()


def wait_for(predicate, seconds: float = 60.0) -> bool:
    """Poll `predicate` until it is true or `seconds` pass; the worker runs in another thread."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False
