"""Smoke of the documented production start: `make prod` on loopback, as a user runs it.

Starts `make prod` (check --deploy, migrate, collectstatic, honcho with gunicorn,
a Celery worker and beat) against its own PostgreSQL database and Redis db,
waits for /readyz, then checks that the admin login page, one of our static
files and /pipeline/ for a signed-in user are served with debug off. Stops
everything by the process group of the `make` it started. Exits non-zero on
any failure, so `.ci/run` fails when `make prod` cannot start.

    .venv/bin/python scripts/prod_smoke.py [--pg postgres://postgres@127.0.0.1:5432] [--redis redis://127.0.0.1:6379/9]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "frontline_prod_smoke"
START_SECONDS = 300  # migrate + collectstatic (compresses every file) on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """HTTP to the stack as it arrives from the TLS-terminating load balancer, with a cookie jar."""

    def __init__(self, base: str):
        self.base = base
        self.origin = "https://" + urllib.parse.urlsplit(base).netloc
        self.cookies: dict[str, str] = {}

    def request(self, path: str, data: dict | None = None, **headers) -> tuple[int, dict, bytes]:
        headers = {"X-Forwarded-Proto": "https", **headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310 (loopback)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            response = opener.open(request, timeout=15)
        except urllib.error.HTTPError as error:
            response = error
        # The cookies are Secure; the load balancer would carry them, so the jar does too.
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, dict(response.headers), response.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check(condition: bool, what: str) -> None:
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        raise SystemExit(1)


def wait_ready(client: Client, make: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if make.poll() is not None:
            check(False, f"make prod exited with {make.returncode} before /readyz answered")
        try:
            if client.request("/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    check(False, f"/readyz answered 200 within {START_SECONDS} s")


def smoke(client: Client, env: dict) -> None:
    status, _, body = client.request("/readyz")
    check(status == 200 and json.loads(body)["database"], "/readyz 200 with the database up")

    status, headers, body = client.request("/admin/login/")
    check(status == 200, "/admin/login/ 200")
    css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', body.decode())
    check(css is not None, "the login page links its CSS by a hashed name")
    status, headers, _ = client.request(css.group(1), **{"Accept-Encoding": "gzip"})
    check(status == 200 and headers.get("Content-Encoding") == "gzip", "the admin CSS, gzipped")
    check("max-age=315360000" in headers.get("Cache-Control", ""), "a far-future cache header")

    password = secrets.token_urlsafe(16)
    created = subprocess.run(
        [".venv/bin/python", "manage.py", "createsuperuser", "--noinput"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **env,
            "DJANGO_SUPERUSER_USERNAME": "smoke",
            "DJANGO_SUPERUSER_EMAIL": "smoke@example.com",
            "DJANGO_SUPERUSER_PASSWORD": password,
        },
    )
    check(created.returncode == 0, "a superuser created (" + created.stderr.strip()[-200:] + ")")
    status, _, _ = client.request(
        "/admin/login/?next=/pipeline/",
        {
            "username": "smoke",
            "password": password,
            "next": "/pipeline/",
            "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
        },
    )
    check(status == 302, f"signing in redirects (got {status})")
    status, _, body = client.request("/pipeline/")
    check(
        status == 200 and b"</html>" in body,
        f"/pipeline/ 200 for the signed-in user (got {status})",
    )
    stylesheet = re.search(
        r'href="(/static/frontline/frontline\.[0-9a-f]{12}\.css)"', body.decode()
    )
    check(stylesheet is not None, "/pipeline/ links our CSS by a hashed name")
    check(client.request(stylesheet.group(1))[0] == 200, "our CSS served")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()

    with psycopg.connect(args.pg + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FRONTLINE_"))}
    env.update(
        DATABASE_URL=f"{args.pg}/{DATABASE}",
        CELERY_BROKER_URL=args.redis,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        FRONTLINE_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        CELERY_CONCURRENCY="1",
        DJANGO_STATIC_ROOT=str(ROOT / "artifacts" / "prod-smoke-static"),
    )
    log = open(ROOT / "artifacts" / "prod-smoke.log", "w")  # noqa: SIM115 (lives as long as make)
    make = subprocess.Popen(  # noqa: S603 (our own Makefile)
        [shutil.which("make") or "make", "prod"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    print(f"make prod started (pid {make.pid}) on 127.0.0.1:{port}; log: artifacts/prod-smoke.log")
    try:
        client = Client(f"http://127.0.0.1:{port}")
        wait_ready(client, make)
        smoke(client, env)
        return 0
    except SystemExit as exit_:
        print((ROOT / "artifacts" / "prod-smoke.log").read_text()[-3000:])
        return int(exit_.code or 1)
    finally:
        # make, honcho, gunicorn, the worker and beat share the process group of `make`.
        try:
            os.killpg(make.pid, signal.SIGTERM)
            make.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait(timeout=10)
        except ProcessLookupError:
            pass
        log.close()
        with psycopg.connect(args.pg + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    (ROOT / "artifacts").mkdir(exist_ok=True)
    sys.exit(main())
