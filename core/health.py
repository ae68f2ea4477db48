"""/healthz and /readyz for load balancers.

Answered before any other middleware so that they work over plain HTTP and
whatever Host header a load balancer sends (no TLS redirect, no host check).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def database_ready() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


@functools.cache
def _broker_client(url: str):
    """One client (and connection pool) per process: probes come several times a second."""
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def broker_ready() -> bool:
    if not settings.CELERY_BROKER_URL:
        return True
    try:
        return bool(_broker_client(settings.CELERY_BROKER_URL).ping())
    except Exception:
        return False


# Numbers /readyz reports beside its checks, registered by the apps that own them (metrics:
# `recompute_failures`). They are reported, never a reason to leave the load balancer's rotation.
READINESS_REPORTS: dict[str, Callable[[], int]] = {}


def register_readiness_report(name: str, count: Callable[[], int]) -> None:
    READINESS_REPORTS[name] = count


def readiness_reports() -> dict[str, int | None]:
    """Each registered number; None where the database cannot say."""
    reports: dict[str, int | None] = {}
    for name, count in READINESS_REPORTS.items():
        try:
            reports[name] = count()
        except Exception:
            reports[name] = None
    return reports


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            checks = {"database": database_ready(), "broker": broker_ready()}
            ok = all(checks.values())
            reports = (
                readiness_reports() if checks["database"] else dict.fromkeys(READINESS_REPORTS)
            )
            return JsonResponse(
                {"status": "ok" if ok else "unavailable", **checks, **reports},
                status=200 if ok else 503,
            )
        return self.get_response(request)
