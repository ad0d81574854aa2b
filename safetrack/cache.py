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
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _unavailable(operation: str) -> None:
    logger.warning("cache unavailable (%s): answered as a miss", operation, exc_info=True)


class TolerantRedisCache(RedisCache):
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
