"""With Redis unreachable, nothing a crew member does is refused because of the cache: limits are waived,
single-use tokens are accepted, and the cache answers as a miss (safetrack.cache)."""

import pytest
from django.core.cache import caches
from django.test import RequestFactory, override_settings
from django_ratelimit.core import is_ratelimited

from incidents.forms.anonymous import started_token_spend

# Port 1 on the loopback refuses every connection at once: Redis is down.
DOWN = {"default": {"BACKEND": "safetrack.cache.TolerantRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}


@pytest.fixture
def redis_down():
    with override_settings(CACHES=DOWN):
        caches["default"].close()
        yield caches["default"]
    caches["default"].close()


def test_the_cache_answers_a_miss_while_redis_is_down(redis_down):
    assert redis_down.get("anything", "fallback") == "fallback"
    assert redis_down.add("lock", "1") is True
    redis_down.set("key", "value")  # stores nothing, raises nothing
    assert redis_down.delete("key") is False
    with pytest.raises(ValueError):
        redis_down.incr("counter")


def test_a_member_is_never_rate_limited_while_redis_is_down(redis_down, django_user_model):
    request = RequestFactory().post("/reports/new/")
    request.user = django_user_model(pk=1, email="crew@example.com")
    for _ in range(20):
        assert not is_ratelimited(request, group="report-file", key="user", rate="10/m", increment=True)


def test_an_anonymous_start_token_is_accepted_while_redis_is_down(redis_down):
    assert started_token_spend("a-token") is True
