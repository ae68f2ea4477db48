"""Fixtures of the fault suite: a private Redis, real Celery worker processes, manage.py subprocesses.

Everything here runs real processes against the pytest-django test database
(PostgreSQL only) so that a worker can be killed with SIGKILL and a Redis
restarted without touching the shared services other suites use: each test
process starts its own `redis-server` on a free loopback port, with no
persistence (`--save "" --appendonly no`), exactly like the machine's Redis.

The suite runs only when FRONTLINE_TEST_BROKER_URL is set (scripts/run_tests.sh
sets it in its PostgreSQL pass when Redis answers) and the database is
PostgreSQL. Every wait is bounded; every process started is stopped at teardown.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CELERY = str(VENV_BIN / "celery")
MANAGE = [sys.executable, str(ROOT / "manage.py")]
BROKER_GATE = os.environ.get("FRONTLINE_TEST_BROKER_URL", "")
REDIS_SERVER = shutil.which("redis-server")


def pytest_collection_modifyitems(config, items):
    """Skip the fault tests unless PostgreSQL and Redis are there (the PostgreSQL pass of make test)."""
    reason = None
    if not BROKER_GATE:
        reason = "FRONTLINE_TEST_BROKER_URL is not set (fault tests need Redis and PostgreSQL)"
    elif settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        reason = "the fault tests need PostgreSQL"
    elif REDIS_SERVER is None:
        reason = "redis-server is not installed"
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.skip(reason=reason))


def wait_for(predicate: Callable[[], bool], *, seconds: float, interval: float = 0.1) -> bool:
    """Poll `predicate` until it is true or `seconds` have passed; never waits longer."""
    deadline = time.monotonic() + seconds
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test process, which the tests may stop and restart at will."""

    def __init__(self, workdir: Path):
        self.port = _free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            try:
                return bool(self.client().ping())
            except Exception:
                return False

        if not wait_for(answers, seconds=10):
            self.stop()
            raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        """Stop and start again on the same port: with no persistence, every queued message is gone."""
        self.stop()
        self.start()


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def database_url_of_tests() -> str:
    """The URL of the test database pytest-django created (what subprocesses must use)."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def subprocess_env(*, broker_url: str = "") -> dict[str, str]:
    """Environment of a worker or command: the test database, the private broker (or none: in-process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CELERY_"))}
    env.pop("CACHE_URL", None)
    env.update(
        DATABASE_URL=database_url_of_tests(),
        FRONTLINE_TESTING="1",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    return env


class Worker:
    """A real `celery -A config worker` process (in its own process group, so it can be killed whole)."""

    def __init__(self, broker_url: str, log: Path):
        self.log_path = log
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                CELERY,
                "-A",
                "config",
                "worker",
                "--loglevel",
                "INFO",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--hostname",
                f"faults-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=subprocess_env(broker_url=broker_url),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the main process and its pool children at once: no chance to clean up or ack."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture
def start_worker(tmp_path) -> Iterator[Callable[[str], Worker]]:
    started: list[Worker] = []

    def start(broker_url: str) -> Worker:
        worker = Worker(broker_url, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def send_task(broker_url: str, name: str, *args) -> None:
    """Send a task by name to the broker, as beat (or another process) would."""
    from celery import Celery

    client = Celery("frontline-faults", broker=broker_url)
    try:
        client.send_task(name, args=list(args))
    finally:
        client.close()


def manage(*args: str, broker_url: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `manage.py ARGS` against the test database; bounded by `timeout` seconds."""
    return subprocess.run(
        [*MANAGE, *args],
        cwd=ROOT,
        env=subprocess_env(broker_url=broker_url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_manage(*args: str, broker_url: str = "") -> subprocess.Popen:
    """Start `manage.py ARGS` in the background (the caller waits with a timeout)."""
    return subprocess.Popen(
        [*MANAGE, *args],
        cwd=ROOT,
        env=subprocess_env(broker_url=broker_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def fetch(sql: str, params=None) -> list[tuple]:
    """Run one statement on the test's connection; its rows (none for a command)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
