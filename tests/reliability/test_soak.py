"""A short soak (bench/soak.py, about 45 s of load) on real services: gunicorn, a Celery worker,
PostgreSQL, Redis and localstripe. The script checks its invariants itself; this test runs it as
a subprocess and asserts on the JSON it prints last."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
LOAD_SECONDS = 45

pytestmark = pytest.mark.worker


def _soak_env() -> dict[str, str]:
    """The suite's PostgreSQL server with a database name of the soak's own (pid-suffixed, so
    parallel runs never share one) and the suite's Redis host: bench/soak.py picks its own
    Redis database number (11) there."""
    db = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/plumbline"))
    name = f"{db.path.lstrip('/') or 'plumbline'}_soak_{os.getpid()}"
    return {
        **os.environ,
        "DATABASE_URL": db._replace(path=f"/{name}").geturl(),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        "PYTHONPATH": str(ROOT),
    }


def test_marketplace_keeps_its_invariants_under_a_short_soak():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--duration", str(LOAD_SECONDS)],
        cwd=ROOT,
        env=_soak_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = result.stdout.strip().splitlines()
    assert lines, f"no output (exit {result.returncode}):\n{result.stderr[-4000:]}"
    report = json.loads(lines[-1])
    context = f"{json.dumps(report['checks'])}\n{result.stderr[-3000:]}"

    assert report["five_xx"] == 0, context
    assert report["transport_errors"] == 0, context
    assert report["double_assignments"] == 0, report["double_detail"]
    assert report["leaked_leases"] == 0, report["lease_detail"]
    # Leases walked away from did expire, and the expiry task gave their slots back.
    assert report["lease_detail"]["assignments_by_status"].get("expired", 0) > 0, report[
        "lease_detail"
    ]
    assert report["earned_exactly_once"], report["earnings"]
    assert report["ledger_balanced"], report["ledger"]
    assert report["transfers_match"], report["transfers"]
    # The load really ran: work was done, reviewed, earned and paid out through Stripe.
    assert report["cycles"] > 0 and report["earnings"]["accepted_annotations"] > 0, context
    assert report["transfers"]["transfers"] > 0, report["transfers"]
    assert report["jobs"]["imports_succeeded"] > 0 and report["jobs"]["exports_succeeded"] > 0
    assert report["ok"] is True and result.returncode == 0, context
