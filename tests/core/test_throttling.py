"""API rate limits: a counter per user and fixed window, in Redis (production) or locmem."""

import pytest
from django.core.cache import caches
from django.test import override_settings

from core.api import throttling
from tests.conftest import api_as

pytestmark = pytest.mark.django_db

REDIS_CACHE = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": None}}


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    if request.param == "redis":
        config = {"default": {**REDIS_CACHE["default"], "LOCATION": settings.REDIS_URL}}
        with override_settings(CACHES=config):
            caches["default"].clear()
            yield request.param
            caches["default"].clear()
    else:
        yield request.param


@pytest.fixture
def three_a_minute(monkeypatch):
    monkeypatch.setattr(
        throttling.UserRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "100/min"}
    )
    clock = {"now": 1_000_040.0}  # 20 s into a minute window (windows start at 1_000_020)
    monkeypatch.setattr(throttling.time, "time", lambda: clock["now"])
    return clock


def test_the_fourth_request_in_a_window_is_refused_until_the_next_window(
    cache_backend, three_a_minute, expert, other_expert
):
    client = api_as(expert)
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) == 40  # the window ends 40 s later

    # Another user has a counter of their own.
    assert api_as(other_expert).get("/api/v1/me/").status_code == 200

    three_a_minute["now"] += 40  # next window
    assert client.get("/api/v1/me/").status_code == 200


def test_redis_counters_expire_with_their_window(three_a_minute, expert, settings):
    config = {"default": {**REDIS_CACHE["default"], "LOCATION": settings.REDIS_URL}}
    with override_settings(CACHES=config):
        cache = caches["default"]
        cache.clear()
        api_as(expert).get("/api/v1/me/")
        client = cache._cache.get_client(write=True)
        keys = client.keys("*throttle_user*")
        assert len(keys) == 1
        assert 0 < client.ttl(keys[0]) <= 61
        cache.clear()
