"""Shared helpers of the benchmarks: a throw-away PostgreSQL database and Django set up on it."""

from __future__ import annotations

import math
import os
import sys
from urllib.parse import urlparse, urlunparse


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _admin_url(db_url: str) -> tuple[str, str]:
    parts = urlparse(db_url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing to manage database {name!r}")
    return urlunparse(parts._replace(path="/postgres")), name


def create_database(db_url: str) -> None:
    """Drop (if present) and create the benchmark database."""
    import psycopg

    admin, name = _admin_url(db_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"created database {name}")


def drop_database(db_url: str) -> None:
    import psycopg

    admin, name = _admin_url(db_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    log(f"dropped database {name}")


def django_setup(db_url: str, redis_url: str) -> None:
    """Django on the benchmark database, with the Redis cache DRF's throttles use."""
    os.environ["DATABASE_URL"] = db_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    from django.conf import settings

    settings.CACHES = {
        "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": redis_url},
        "local": settings.LOCAL_CACHE,
    }
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    import django

    django.setup()


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
