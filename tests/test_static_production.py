"""The production static pipeline: collectstatic under the production storage, served by gunicorn.

Debug off, whitenoise's CompressedManifestStaticFilesStorage: every CSS/JS
reference (source maps included) must resolve, files get hashed names, a
far-future cache header and a compressed variant. Nothing else in the suite
runs collectstatic under that storage, so this is what keeps `make prod`
from failing at its collectstatic step. It runs once, in the SQLite pass.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.test_deploy import ROOT, production_env, run

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="runs once, in the SQLite pass (it uses no database server)",
)

GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, **headers) -> tuple[int, dict, bytes]:
    # Behind the load balancer the request arrives as HTTPS (SECURE_PROXY_SSL_HEADER).
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback only)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def served_static(tmp_path):
    """collectstatic into a temporary STATIC_ROOT, then gunicorn on a free loopback port."""
    static_root = tmp_path / "static"
    env = production_env(
        tmp_path / "db.sqlite3",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    collected = run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    migrated = run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env)
    assert migrated.returncode == 0, migrated.stderr

    port = _free_port()
    server = subprocess.Popen(
        [
            GUNICORN,
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer /healthz within 30 s")
        yield base, static_root
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def test_collectstatic_and_whitenoise_serve_hashed_compressed_files(served_static):
    base, static_root = served_static
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    # The vendored Chart.js names its source map; the map is shipped, so its reference resolves.
    assert "vendor/chartjs/chart.umd.js.map" in manifest

    status, _, body = _get(base + "/admin/login/")
    assert status == 200
    page = body.decode()
    admin_css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page)
    assert admin_css, "the admin login page links its CSS by a hashed name"

    for name in ("frontline/frontline.css", "vendor/chartjs/chart.umd.js", admin_css.group(1)):
        hashed = name if name.startswith("/") else "/static/" + manifest[name]
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", hashed)
        status, headers, plain = _get(base + hashed)
        assert status == 200, hashed
        assert "max-age=315360000" in headers.get("Cache-Control", ""), headers
        status, headers, packed = _get(base + hashed, **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers.get("Content-Encoding") == "gzip", f"no gzip variant of {hashed}"
        assert len(packed) < len(plain)
