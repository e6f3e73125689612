"""`make demo` runs on SQLite and kombu's filesystem broker with zero setup: migrate, load the
demo twice (idempotent), then the main pages answer 200 for the demo logins.

Everything runs in subprocesses with a clean environment (no DATABASE_URL/REDIS_URL from the
test run), against a throw-away SQLite file, so the PostgreSQL-only code paths must have their
portable fallbacks (see labeling/quality/encode.py and friends).
"""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TASK_TYPES = {"pairwise", "rubric", "ranking", "classification", "trajectory", "free_text"}
DEMO_EMAILS = [
    "owner@acme.example",
    "owner@globex.example",
    "dr.ada@experts.example",
    "lena.law@experts.example",
    "staff@plumbline.example",
    "auditor@plumbline.example",
]
COUNTED_TABLES = [
    "accounts_user",
    "marketplace_project",
    "labeling_item",
    "labeling_annotation",
    "labeling_qualitysnapshot",
    "payments_journalentry",
    "payments_posting",
    "payments_funding",
    "payments_payout",
]

# Runs inside the demo environment: the pages through Django's test client (real allauth login
# form, real middleware), plus the other PostgreSQL-only paths the demo can reach.
PAGES_SCRIPT = r"""
import io, json, django
django.setup()
from django.db import transaction
from django.test import Client
from accounts.models import Organization
from marketplace.models import Project

out = {}

def login(email):
    client = Client(HTTP_HOST="127.0.0.1")
    response = client.post(
        "/accounts/login/", {"login": email, "password": "plumbline-demo"}
    )
    out[f"login {email}"] = response.status_code
    return client

anonymous = Client(HTTP_HOST="127.0.0.1")
out["/"] = anonymous.get("/").status_code
health = anonymous.get("/healthz")
out["/healthz"] = health.status_code
out["healthz body"] = health.json()

project = Project.objects.get(organization__slug="acme-ai", task_type="pairwise", status="live")
owner = login("owner@acme.example")
for url in (f"/company/projects/{project.pk}/quality/", "/company/spend/"):
    out[url] = owner.get(url).status_code

expert = login("dr.ada@experts.example")
for url in ("/jobs/", "/expert/earnings/"):
    out[url] = expert.get(url).status_code

auditor = login("auditor@plumbline.example")
for url in ("/staff/pay-audit/", "/staff/pay-audit/ledger/", "/staff/quality/"):
    out[url] = auditor.get(url).status_code

# Exports (annotations.jsonl is built by PostgreSQL there), imports (COPY there) and the
# company review record (PERCENTILE_CONT there).
from labeling.exports.annotations import annotations_jsonl
from labeling.imports.pipeline import copy_spool, new_spool, validate_file
from labeling.models import Item
from labeling.selectors.exports import ExportFilters
from labeling.selectors.review import organization_review_record

lines = list(annotations_jsonl(project=project, filters=ExportFilters()))
out["jsonl lines"] = len(lines)
out["jsonl first"] = json.loads(lines[0]) if lines else None

rows = "".join(
    json.dumps({"external_id": f"sqlite-{i}\tx", "payload": {
        "prompt": f"Q{i}\\ with a backslash", "response_a": "A", "response_b": "B"}}) + "\n"
    for i in range(3)
).encode()
spool = new_spool()
report = validate_file(project=project, f=io.BytesIO(rows), file_format="jsonl", spool=spool)
out["import errors"] = report.errors
with transaction.atomic():
    copy_spool(spool)
out["imported"] = sorted(
    Item.objects.filter(project=project, external_id__startswith="sqlite-")
    .values_list("external_id", "payload__prompt")
)
record = organization_review_record(organization=Organization.objects.get(slug="acme-ai"))
out["review record"] = [record.reviewed_count, record.median_review_seconds]
print("RESULT " + json.dumps(out, default=str))
"""


def _env(tmp: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_RESULT_BACKEND": f"file://{tmp / 'results'}",
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp / "celerybeat-schedule"),
        "PLUMBLINE_BROKER_DIR": str(tmp / "broker"),
        "PLUMBLINE_MEDIA_ROOT": str(tmp / "media"),
        "PLUMBLINE_PRIVATE_ROOT": str(tmp / "private"),
        "EMAIL_FILE_PATH": str(tmp / "mail"),
    }
    (tmp / "results").mkdir()
    return env


def _run(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"{args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED_TABLES}  # noqa: S608


def test_demo_migrates_loads_twice_and_serves_on_sqlite(tmp_path):
    env = _env(tmp_path)
    db = tmp_path / "demo.sqlite3"
    _run(env, "manage.py", "migrate", "--noinput", "-v", "0")

    first = _run(env, "manage.py", "load_demo")
    for email in DEMO_EMAILS:
        assert email in first, first
    assert "plumbline-demo" in first
    after_first = _counts(db)

    second = _run(env, "manage.py", "load_demo")
    for email in DEMO_EMAILS:
        assert email in second, second
    assert _counts(db) == after_first, "load_demo is not idempotent"

    with sqlite3.connect(db) as conn:
        live = conn.execute(
            "SELECT p.id, p.task_type, o.slug FROM marketplace_project p "
            "JOIN accounts_organization o ON o.id = p.organization_id WHERE p.status = 'live'"
        ).fetchall()
        assert {task_type for _, task_type, _ in live} >= TASK_TYPES
        demo_live = [pid for pid, _, slug in live if slug in {"acme-ai", "globex-labs"}]
        without_snapshot = conn.execute(
            f"SELECT id FROM marketplace_project WHERE id IN ({','.join('?' * len(demo_live))}) "  # noqa: S608
            "AND id NOT IN (SELECT project_id FROM labeling_qualitysnapshot)",
            demo_live,
        ).fetchall()
        assert without_snapshot == []
        annotated = conn.execute(
            "SELECT count(DISTINCT project_id), count(*) FROM labeling_annotation"
        ).fetchone()
        assert annotated[0] >= len(TASK_TYPES) and annotated[1] > 500
        kinds = dict(conn.execute("SELECT kind, count(*) FROM payments_journalentry GROUP BY kind"))
        assert kinds.get("earning", 0) > 0
        assert kinds.get("funding_received", 0) > 0 and kinds.get("escrow_allocation", 0) > 0
        drafts = conn.execute(
            "SELECT count(*) FROM marketplace_project WHERE status = 'draft'"
        ).fetchone()[0]
        assert drafts >= 1  # the one to fund with "Pay with a test card"

    output = _run(env, "-c", PAGES_SCRIPT)
    result = json.loads(output.split("RESULT ", 1)[1])
    statuses = {k: v for k, v in result.items() if k.startswith("/") or k.startswith("login")}
    expected = {k: (302 if k.startswith("login") else 200) for k in statuses}
    assert statuses == expected, result
    assert result["healthz body"] == {"status": "ok", "database": "ok", "broker": "ok"}
    assert result["jsonl lines"] > 0
    first_line = result["jsonl first"]
    assert isinstance(first_line["response"], dict) and "T" in first_line["submitted_at"]
    assert result["import errors"] == []
    assert result["imported"] == [[f"sqlite-{i}\tx", f"Q{i}\\ with a backslash"] for i in range(3)]
    assert result["review record"][0] > 0
