"""core.redis_cache: Django's Redis cache with one client per pool, on the real Redis (CI)."""

from __future__ import annotations

import os
import uuid

import pytest

from core.redis_cache import RedisCache

BROKER_URL = os.environ.get("FRONTLINE_TEST_BROKER_URL", "")

pytestmark = pytest.mark.skipif(not BROKER_URL, reason="FRONTLINE_TEST_BROKER_URL is not set")


@pytest.fixture
def cache():
    backend = RedisCache(BROKER_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield backend
    backend.delete_many(["version", "page"])


def test_it_behaves_as_djangos_backend(cache):
    assert cache.get("version") is None
    with pytest.raises(ValueError):
        cache.incr("version")
    assert cache.add("version", 41, timeout=None)
    assert not cache.add("version", 7)
    assert cache.incr("version") == 42
    cache.set("page", {"results": [1, 2]}, timeout=60)
    assert cache.get_many(["version", "page"]) == {"version": 42, "page": {"results": [1, 2]}}


def test_calls_share_one_client(cache):
    cache.set("page", 1)
    client = cache._cache.get_client(write=True)
    cache.get("page")
    assert cache._cache.get_client() is client
