"""Schemathesis against the API served by a real gunicorn process, with a real token.

The server runs on a temporary SQLite file database that is migrated and
filled here (tests/api/serve_seed.py); `st run` then exercises every
operation of /api/schema/ with its default checks (no server errors, status
codes, content types and bodies conforming to the schema, invalid input
rejected, valid input accepted, auth enforced, …).

One configuration choice, explained: valid-looking input that breaks a
business rule the schema cannot express — a feed row or visit naming an
account that does not exist (or belongs to another vertical), a date in the
future, a history range with start after end, a stale cursor — is answered
400 with the field and reason, as the API's error envelope specifies (core/api/errors.py). For those operations
400 is added to the statuses `positive_data_acceptance` accepts; every check
stays enabled.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.schemathesis

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
MAX_EXAMPLES = 25

CONFIG = """
[dictionaries.accounts]
values = ["ent-00", "ent-01", "ent-10", "ent-21", "ent-41"]
[dictionaries.verticals]
values = ["manufacturing", "consumer_retail", "agri_food"]

[parameters]
"path.external_id" = { dictionary = "accounts", probability = 0.6 }
"path.code" = { dictionary = "verticals", probability = 0.6 }
"query.account" = { dictionary = "accounts", probability = 0.5 }
"body.account" = { dictionary = "accounts", probability = 0.6 }

# Rules no OpenAPI schema can state, each answered 400 naming the field:
# an account the caller may see (feed rows, visits), a day with data (not after today),
# a cursor issued by the server (opaque), start not after end. Only these operations
# accept 400 for schema-valid input; everywhere else (visit plan, verticals, health, what-if
# policy) the schema declares every constraint and a 400 is a finding.
[[operations]]
include-path-regex = "/(usage|connector-usage|visits|policy/what-if)/$"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409, 429]

# Saving a webhook resolves its URL's host name (the SSRF check): generated names would send
# DNS queries off this machine, so these two are tested in tests/events/api/ instead.
[[operations]]
include-path-regex = "/webhooks/"
include-method-regex = "POST|PATCH"
enabled = false

[[operations]]
include-path-regex = "/(accounts|visits|health/history)/$"
include-method = "GET"
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409, 429]
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "CACHE_URL")}
    env.pop("FRONTLINE_TESTING", None)
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_DEBUG="1",
        API_THROTTLE_TOKEN="1000000/min",
        # ignored_auth sends made-up keys on purpose; the per-address limit is tested elsewhere.
        API_THROTTLE_AUTH_FAILURE="1000000/min",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def _run(args: list[str], env: dict, **kwargs) -> str:
    done = subprocess.run(
        args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False, **kwargs
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not come up in {timeout} s")


@pytest.mark.skipif(not (VENV_BIN / "st").exists(), reason="schemathesis (st) is not installed")
def test_schemathesis_finds_nothing_against_a_real_server(tmp_path):
    env = _server_env(tmp_path / "api.sqlite3")
    python = sys.executable
    _run([python, "manage.py", "migrate", "--noinput", "-v0"], env)
    key = _run([python, "-m", "tests.api.serve_seed"], env).strip()
    assert key and "\n" not in key

    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--no-control-socket",
            "--timeout",
            "60",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/healthz", server)
        config = tmp_path / "schemathesis.toml"
        config.write_text(CONFIG)
        work = tmp_path / "st"
        work.mkdir()
        done = subprocess.run(  # noqa: S603
            [
                str(VENV_BIN / "st"),
                "--config-file",
                str(config),
                "run",
                f"{base}/api/schema/",
                "-H",
                f"Authorization: Token {key}",
                # Every check, also those off by default (positive_data_acceptance: ST202).
                "--checks",
                "all",
                "--max-examples",
                str(MAX_EXAMPLES),
                # A fixed seed keeps `make test` reproducible; set another to explore further.
                "--seed",
                os.environ.get("FRONTLINE_SCHEMATHESIS_SEED", "20261125"),
                "--request-timeout",
                "30",
            ],
            cwd=work,
            env={**env, "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, (
            output + "\n--- server log ---\n" + (tmp_path / "server.log").read_text()[-5000:]
        )
        assert "Tested: " in output and "passed" in output
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        shutil.rmtree(tmp_path / "st", ignore_errors=True)
