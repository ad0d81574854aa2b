"""The shared cache on Redis keeps one client per connection pool instead of building one per call
(safetrack.cache.ReusedRedisCacheClient), and still stores and reads what it is given."""

import os

import pytest
from django.core.cache import caches
from django.test import override_settings

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="needs the environment's Redis")


@pytest.fixture
def shared_cache():
    settings = {"default": {"BACKEND": "safetrack.cache.TolerantRedisCache", "LOCATION": REDIS_URL}}
    with override_settings(CACHES=settings):
        caches["default"].close()
        yield caches["default"]
        caches["default"].delete("st-test-client-reuse")
    caches["default"].close()


def test_every_cache_call_reuses_the_same_redis_client_and_still_round_trips(shared_cache):
    client = shared_cache._cache

    assert shared_cache.add("st-test-client-reuse", 1, 30) is True
    assert shared_cache.incr("st-test-client-reuse") == 2
    assert shared_cache.get("st-test-client-reuse") == 2
    assert client.get_client(write=True) is client.get_client(write=False)
    assert len(client._clients) == 1
