"""Settings for `make test`: PostgreSQL and Redis from DATABASE_URL / REDIS_URL, never SQLite."""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "test-secret-key-not-for-production-use-0123456789abcdef"
)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/plumbline")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("EMAIL_URL", "memorymail://")

from .base import *  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "10000/min", "user": "100000/min"}
PRIVATE_STORAGE_ROOT = BASE_DIR / "var" / "test-private"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# One test database per test run (pid-suffixed), so parallel runs on one server never collide.
DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
PLUMBLINE_WEBHOOKS_ALLOW_PRIVATE = True  # labeling webhooks: local receivers in tests
