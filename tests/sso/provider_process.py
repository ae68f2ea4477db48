"""A real OpenID Connect provider process (tests/sso/provider/provider.mjs, npm's oidc-provider).

Started on 127.0.0.1 on a free port by a test module or session and stopped by its pid; people's
claims live in a JSON file the provider reads at every sign-in, so a test can change roles between
two sign-ins. `sign_in_at_provider` plays the person at the provider's login form over HTTP.
"""

from __future__ import annotations

import fcntl
import json
import re
import select
import shutil
import subprocess
import time
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

PROVIDER_DIR = Path(__file__).resolve().parent / "provider"
NODE = shutil.which("node")
NPM = shutil.which("npm")

CLIENT_ID = "frontline"
CLIENT_SECRET = "frontline-test-secret"
STARTUP_SECONDS = 20
SLOW_CLIENT_ID = "frontline-slow"  # ID tokens that have expired when they arrive (provider.mjs)


def ensure_node_modules() -> None:
    """`npm ci` once (under a lock: xdist workers start together); skip without node/npm."""
    if NODE is None or NPM is None:
        pytest.skip("node and npm are needed to run the test OpenID Connect provider")
    marker = PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json"
    with open(PROVIDER_DIR / ".npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            result = subprocess.run(
                [NPM, "ci", "--no-audit", "--no-fund", "--prefer-offline"],
                cwd=PROVIDER_DIR,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if result.returncode != 0:
                raise RuntimeError(f"npm ci failed: {result.stderr[-2000:]}")


class ProviderProcess:
    def __init__(self, workdir: Path, *, redirect_uris: list[str], extra_claims: list[str]):
        ensure_node_modules()
        self.workdir = workdir
        self.accounts_file = workdir / "accounts.json"
        self.accounts: dict[str, dict] = {}
        self._write_accounts()
        post_logout = [urljoin(uri, "/admin/login/") for uri in redirect_uris]
        clients = [
            {
                "client_id": client_id,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout,
            }
            for client_id in (CLIENT_ID, SLOW_CLIENT_ID)
        ]
        config = workdir / "provider.json"
        config.write_text(
            json.dumps(
                {
                    "accounts_file": str(self.accounts_file),
                    "clients": clients,
                    "extra_profile_claims": extra_claims,
                }
            )
        )
        # A node process once hung before listening (main thread on a futex, under heavy load,
        # next to a running Chromium): give each start a deadline and try again.
        for attempt in range(3):
            self.log = open(workdir / f"provider-{attempt}.log", "w+")  # noqa: SIM115
            self.process = subprocess.Popen(
                [NODE, str(PROVIDER_DIR / "provider.mjs"), str(config)],
                stdout=subprocess.PIPE,
                stderr=self.log,
                text=True,
            )
            line = self._first_line(seconds=STARTUP_SECONDS)
            if line.startswith("LISTENING "):
                self.issuer = line.split()[1]
                return
            self.stop()
        with open(workdir / "provider-2.log") as log:
            raise RuntimeError(f"the test provider did not start: {log.read()}")

    def _first_line(self, *, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.2)
            if ready:
                return self.process.stdout.readline()
            if self.process.poll() is not None:
                return ""
        return ""

    def _write_accounts(self) -> None:
        tmp = self.accounts_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.accounts))
        tmp.replace(self.accounts_file)

    def set_person(self, login: str, *, password: str = "pw-at-provider", **claims) -> None:
        self.accounts[login] = {"password": password, "claims": claims}
        self._write_accounts()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self.log.close()


def _form_action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match, html[:500]
    return unescape(match.group(1))


def sign_in_at_provider(
    authorization_url: str, login: str, password: str = "pw-at-provider", browser=None
) -> str:
    """Follow the provider's pages as a person would; the URL it sends the browser back to.

    `browser` is a requests.Session standing for the person's browser at the provider (its
    cookies are the provider's session); a new one when not given.
    """
    browser = browser or requests.Session()
    provider = "{0.scheme}://{0.netloc}".format(urlsplit(authorization_url))
    response = browser.get(authorization_url, allow_redirects=True, timeout=10)
    response.raise_for_status()
    if "<form" in response.text:
        response = browser.post(
            urljoin(response.url, _form_action(response.text)),
            data={"login": login, "password": password},
            allow_redirects=False,
            timeout=10,
        )
    location = response.headers.get("Location") or response.url
    # The provider redirects to itself until it sends the browser back to the relying party.
    for _ in range(10):
        location = urljoin(provider, location)
        if not location.startswith(provider):
            return location
        response = browser.get(location, allow_redirects=False, timeout=10)
        if response.status_code not in (302, 303):
            raise AssertionError(
                f"the provider answered {response.status_code}: {response.text[:300]}"
            )
        location = response.headers["Location"]
    raise AssertionError("too many redirects at the provider")
