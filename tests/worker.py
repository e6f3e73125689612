"""Run a real Celery worker process against the test Redis and the test database.

Used by tests that need the whole path: producer -> Redis -> worker process -> result.
Tests that let the worker read rows must use `transactional_db` so the rows are committed.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def worker_env() -> dict[str, str]:
    db = connection.settings_dict
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    # Point the worker at pytest-django's test database, not the configured one.
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{user}@"
    env["DATABASE_URL"] = (
        f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )
    return env


class WorkerProcess:
    def __init__(self, queue: str, concurrency: int = 1, pool: str = "prefork"):
        self.queue = queue
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        self.log_path = ROOT / "var" / f"worker-{queue}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "-Q",
            queue,
            "-n",
            self.name,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "WorkerProcess":
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            env=worker_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Celery worker exited early:\n{self.log_path.read_text()}")
            if "ready." in self.log_path.read_text():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Celery worker did not become ready:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool children."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()


@contextmanager
def running_worker(queue: str | None = None, **kwargs):
    worker = WorkerProcess(queue or f"test-{uuid.uuid4().hex[:8]}", **kwargs).start()
    try:
        yield worker
    finally:
        worker.stop()
