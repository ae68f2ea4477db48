"""One POST to a webhook receiver: 5 s in all, no redirects followed, the answer read up to 1 kB."""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3

from .receiver_address import Receiver

TIMEOUT_SECONDS = 5.0
ANSWER_LIMIT = 1024


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    body: str
    duration_ms: int
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(receiver: Receiver, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to the receiver's checked address (TLS still verifies the host name)."""
    timeout = urllib3.Timeout(total=TIMEOUT_SECONDS)
    if receiver.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            receiver.address,
            receiver.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=receiver.host,
            assert_hostname=receiver.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            receiver.address, receiver.port, timeout=timeout, retries=False, maxsize=1
        )
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            receiver.target,
            body=body,
            headers={**headers, "Host": receiver.host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            raw = response.read(ANSWER_LIMIT)
        finally:
            response.release_conn()
        return Answer(
            status_code=response.status,
            body=raw.decode("utf-8", errors="replace"),
            duration_ms=_ms_since(started),
        )
    except urllib3.exceptions.HTTPError as exc:
        return Answer(status_code=None, body="", duration_ms=_ms_since(started), error=_short(exc))
    finally:
        pool.close()


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
