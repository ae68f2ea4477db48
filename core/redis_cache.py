"""Django's Redis cache backend, keeping one redis client per connection pool.

Django 5.2's RedisCacheClient builds a new `redis.Redis` for every cache call,
and that constructor copies every response callback each time: a sizeable share
of a cached API page, which makes several cache calls (throttle, version, page).
The pools were already shared; here the clients are too (redis-py clients are
thread-safe, and their pools reconnect after a fork).
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class ReusingRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
