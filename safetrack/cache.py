"""The shared cache on Redis, tolerant of Redis being down.

Rate limits, the dashboard's cached trends and the sweeper's timer lock live in this cache. When Redis
is unreachable a crew member must still be able to file (the report goes to PostgreSQL and the outbox;
escalation catches up after), so a cache error is logged and answered as a miss: `get` gives the default,
`add` answers True as if the key had been missing (so a single-use token or a lock never refuses a
crew member because Redis is away), `set` stores nothing, `incr` raises ValueError as for a missing key
(django-ratelimit then fails open, RATELIMIT_FAIL_OPEN)."""

import logging
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _unavailable(operation: str) -> None:
    logger.warning("cache unavailable (%s): answered as a miss", operation, exc_info=True)


class ReusedRedisCacheClient(RedisCacheClient):
    """Django's client builds a new `redis.Redis` for every cache call (redis-py 8's constructor fills its
    response-callback tables: ~0.1 ms of CPU each, two or three per filing); one per connection pool is
    enough (a `redis.Redis` is safe to share between threads: each command takes a pool connection)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class TolerantRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedRedisCacheClient

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except RedisError:
            _unavailable("get")
            return default

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except RedisError:
            _unavailable("add")
            return True

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except RedisError:
            _unavailable("set")

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except RedisError:
            _unavailable("delete")
            return False

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except RedisError as exc:
            _unavailable("incr")
            raise ValueError("cache unavailable") from exc
