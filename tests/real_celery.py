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
from events import dispatch

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
def queue_without_worker(queue_prefix: str) -> Iterator[str]:
    """Point the app at Redis (not eager) with a fresh queue nobody consumes; yields its name."""
    import redis

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
        yield queue
    finally:
        # Tasks this process still has to send go to this test's queue, not the next test's.
        dispatch.flush()
        app.conf.update(saved)
        _forget_connections()
        redis.Redis.from_url(BROKER_URL).delete(queue)


@contextmanager
def running_worker(queue_prefix: str) -> Iterator[None]:
    """Point the app at Redis (not eager) with a worker on a fresh queue; restore everything after."""
    with (
        queue_without_worker(queue_prefix) as queue,
        start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30),
    ):
        yield


def wait_for(predicate, seconds: float = 60.0) -> bool:
    """Poll `predicate` until it is true or `seconds` pass; the worker runs in another thread."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@contextmanager
def worker_processes(
    queue_prefix: str, count: int, log_dir, *, broker: str = BROKER_URL
) -> Iterator[list]:
    """`count` real worker processes (`celery -A config worker --pool solo`) on a fresh queue.

    They use the test database of this process (its tables must be committed:
    `django_db(transaction=True)`). This process's app sends to their queue. Yields
    each worker's log file (Path); every worker is stopped by its pid file after.
    """
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings as django_settings
    from django.db import connection

    saved = {key: app.conf[key] for key in _KEYS}
    queue = f"{queue_prefix}-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_DEFAULT_QUEUE": queue,  # the chunks the sweep sends stay on this queue
        "DJANGO_DEBUG": "1",
        "FEED_RETENTION_DAYS": str(django_settings.FEED_RETENTION_DAYS),
    }
    root = Path(__file__).resolve().parent.parent
    processes, logs, pidfiles, names = [], [], [], []
    app.conf.update(
        broker_url=broker, result_backend=broker, task_always_eager=False, task_default_queue=queue
    )
    _forget_connections()
    try:
        for n in range(count):
            name = f"{queue}-{n}@127.0.0.1"
            log = Path(log_dir) / f"worker-{n}.log"
            pidfile = Path(log_dir) / f"worker-{n}.pid"
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own interpreter and Celery
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "config",
                        "worker",
                        "--pool",
                        "solo",
                        "--concurrency",
                        "1",
                        "-Q",
                        queue,
                        "-n",
                        name,
                        "--without-gossip",
                        "--without-mingle",
                        "--loglevel",
                        "INFO",
                        "--logfile",
                        str(log),
                        "--pidfile",
                        str(pidfile),
                    ],
                    cwd=root,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            logs.append(log)
            pidfiles.append(pidfile)
            names.append(name)
        ready = wait_for(
            lambda: len(app.control.ping(destination=names, timeout=1.0) or []) == count, 90
        )
        assert ready, "the worker processes did not answer a ping"
        yield logs
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        app.conf.update(saved)
        _forget_connections()
