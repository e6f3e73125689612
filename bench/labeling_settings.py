"""Settings of the labeling benchmark's gunicorn: the test settings, production-like where it
matters for speed: DEBUG off, persistent database connections, DRF throttles in Redis."""

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES, LOCAL_CACHE, REDIS_URL

DEBUG = False
DATABASES["default"]["CONN_MAX_AGE"] = 60
CACHES = {
    "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": REDIS_URL},
    "local": LOCAL_CACHE,
}
