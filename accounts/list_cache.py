"""Cached pages of the accounts API list, and the version number that retires them.

A page of the list costs Django's rendering and, filtered and ordered by
health, most of its time in PostgreSQL; the same pages are asked for over and
over by other systems between two nightly computations. So a page is kept in
the shared cache under a key made of everything its content depends on: the
caller's scope (which verticals), the health day, the host and scheme (they
are in the `next`/`previous` links), the query string, and a version number.

The version is bumped after every commit that changes what a page shows
(accounts, verticals, people's usernames, computed statuses): writers call
`changed()`, model signals cover ORM saves and deletes (accounts.apps). It is
bumped on commit, never before: a reader that ran between a bump and the
commit could otherwise store the old rows under the new version.

Only a cache that every process shares (CACHE_URL, Redis) makes this right
across gunicorn workers and Celery workers, so it is off without one
(settings.API_LIST_CACHE_SECONDS); the timeout bounds how long a write that
bypassed `changed()` could go unseen.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "frontline:account-list:version"
PAGE_KEY_PREFIX = "frontline:account-list:page:"


def enabled() -> bool:
    return settings.API_LIST_CACHE_SECONDS > 0


def changed() -> None:
    """Retire every cached page once the current transaction commits (at once outside one)."""
    if enabled():
        transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (first write, or the cache was flushed)
        _start_version()


def _start_version() -> int:
    # A fresh, never-used number: pages kept under an evicted version must not come back.
    cache.add(VERSION_KEY, time.time_ns(), timeout=None)
    return cache.get(VERSION_KEY)


def current_version() -> int:
    version = cache.get(VERSION_KEY)
    return version if version is not None else _start_version()


def page_key(request, *, scope: list[int] | None, health_day: str) -> str:
    """The cache key of this request's page for a caller who sees `scope` (None: every vertical).

    `health_day` names what decides the list's health day without reading it:
    the date asked for, or "the latest up to <yesterday>" - under one version
    the latest computed day cannot move, so a hit costs no query for it.
    """
    query = sorted(
        (name, value) for name, values in request.query_params.lists() for value in values
    )
    parts = (
        current_version(),
        "all" if scope is None else ",".join(map(str, scope)),
        health_day,
        request.scheme,
        request.get_host(),
        repr(query),
    )
    digest = hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()
    return PAGE_KEY_PREFIX + digest


def get_page(key: str):
    return cache.get(key)


def store_page(key: str, data) -> None:
    cache.set(key, data, timeout=settings.API_LIST_CACHE_SECONDS)
