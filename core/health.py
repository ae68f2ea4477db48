"""/healthz and /readyz for load balancers.

Answered before any other middleware so that they work over plain HTTP and
whatever Host header a load balancer sends (no TLS redirect, no host check).
"""

from __future__ import annotations

import functools

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


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            checks = {"database": database_ready(), "broker": broker_ready()}
            ok = all(checks.values())
            return JsonResponse(
                {"status": "ok" if ok else "unavailable", **checks}, status=200 if ok else 503
            )
        return self.get_response(request)
