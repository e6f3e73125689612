"""Helpers for the fault-injection and backup tests: an admin connection to the test database
(to hold locks and terminate backends), polling, and a throw-away Redis server."""

import shutil
import socket
import subprocess
import time
from contextlib import closing

import psycopg
import pytest
import redis
from django.db import connection


def dsn(dbname: str | None = None) -> str:
    """A libpq connection string for the test database (or another one on the same server)."""
    db = connection.settings_dict
    parts = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
        "dbname": dbname or db["NAME"],
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


@pytest.fixture
def admin(transactional_db):
    """A second, independent connection to the test database (psycopg, not Django): it holds
    locks in an open transaction and terminates other backends, as an operator or a failover
    would."""
    conn = psycopg.connect(dsn())
    try:
        yield conn
    finally:
        conn.close()


def wait_until(predicate, *, timeout: float = 30.0, step: float = 0.02):
    """Poll until `predicate()` is truthy; returns its value (or the last falsy one)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def blocked_by(admin) -> list[int]:
    """Backends of the test database waiting on a lock that `admin` holds."""
    with psycopg.connect(dsn(), autocommit=True) as probe:
        rows = probe.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND %s = ANY(pg_blocking_pids(pid))",
            [admin.info.backend_pid],
        ).fetchall()
    return [pid for (pid,) in rows]


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayRedis:
    """A `redis-server` without persistence on a free port: a restart loses every queued
    message, as a crashed or replaced Redis without AOF/RDB does."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "ThrowawayRedis":
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (apt-get install redis-server)"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        assert wait_until(up, timeout=10, step=0.05), "redis-server did not start"
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def size(self, queue: str) -> int:
        return redis.Redis(port=self.port).llen(queue)


@pytest.fixture
def throwaway_redis(tmp_path):
    server = ThrowawayRedis(tmp_path).start()
    yield server
    server.kill()
