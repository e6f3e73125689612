"""API rate limits counted in fixed windows: one counter per client and window.

DRF's SimpleRateThrottle keeps a log of every request's time per client and reads, trims,
pickles and writes the whole log back on every request: its cost grows with the rate allowed
(1,200 entries at 1200/min). A fixed window costs one counter increment. The price is the
usual one of fixed windows: a client may send up to twice the rate across a window boundary.
"""

from __future__ import annotations

import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling


def _incr(key: str, ttl: int) -> int:
    """Increment the counter under `key`, created with a lifetime of `ttl` seconds."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        # One round trip: INCR and EXPIRE in a pipeline on the cache's own Redis connection.
        # (Django's cache.incr takes two round trips and refuses a missing key.)
        full_key = cache.make_key(key)
        client = cache._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, ttl, nx=True)
        return int(pipe.execute()[0])
    if cache.add(key, 1, ttl):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, ttl)
        return 1


class FixedWindowMixin:
    """allow_request/wait of a SimpleRateThrottle, counted per fixed window."""

    rate: str | None
    num_requests: int
    duration: int

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        count = _incr(f"{self.key}:{window}", self.duration + 1)
        self.now = now
        return count <= self.num_requests

    def wait(self) -> float | None:
        return max(0.0, self.window_ends_at - self.now)


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    pass
