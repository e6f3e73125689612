"""Benchmark of the labeling import and export pipelines against PostgreSQL.

    python bench/labeling_io.py           # full: import 1M items, export 1M annotations
    python bench/labeling_io.py --quick   # 20,000 of each (under a minute)

Uses its own database (plumbline_bench_io on the server of DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/plumbline), created and migrated at the start and dropped at
the end (--keep to keep it). The import is timed end to end through the real job runner
(validation in a thread streaming into one COPY transaction) on a generated JSONL file of
pairwise items. Annotations are then generated in SQL (two experts on each of the first half of
the items) and each export format is run in a fresh subprocess that writes the file through the
real writer; the child reports its row rate, CPU (its own and its PostgreSQL backend's), its
peak RSS (VmHWM) and its RSS growth over the export.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "plumbline_bench_io"
EXPORT_FORMATS = ("annotations.jsonl", "annotations.csv", "trl.jsonl")


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    """Peak RSS of this process image (VmHWM). Not ru_maxrss: on Linux that survives fork and
    exec, so a child would report its parent's peak."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pg_backend_cpu() -> float:
    """CPU seconds used so far by this process's PostgreSQL backend (same machine: /proc)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_url() -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/plumbline")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + BENCH_DB))


def admin_exec(sql: str) -> None:
    import psycopg

    parts = urlsplit(bench_url())
    with psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(sql)


def setup_django() -> None:
    os.environ["DATABASE_URL"] = bench_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


# --- parent ------------------------------------------------------------------------------------


def make_project():
    from accounts.models import Membership, Organization, Role, User
    from marketplace import services

    org = Organization.objects.create(name="Bench Co", slug=f"bench-{int(time.time())}")
    owner = User.objects.create_user(
        email=f"owner-{org.slug}@bench.example", password="x", kind=User.Kind.COMPANY
    )
    Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
    project = services.project_create(
        organization=org,
        actor=owner,
        data={
            "title": "Bench pairwise",
            "summary": "Benchmark",
            "task_type": "pairwise",
            "instructions": "Pick the better answer.",
            "pay_per_task_minor": 500,
            "estimated_minutes": 10,
            "item_count": 100,
            "overlap": 2,
            "currency": "USD",
        },
    )
    project = services.project_mark_funded(project=project, actor=None)
    return services.project_transition(project=project, actor=owner, to_status="live"), owner


def write_items_file(path: Path, n: int) -> int:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            gold = ', "gold_answer": {"choice": "a", "strength": 2}' if i % 1000 == 999 else ""
            f.write(
                f'{{"external_id": "item-{i:07d}", "priority": {i % 3}, "payload": '
                f'{{"prompt": "Question number {i}: what is the safest first step?", '
                f'"response_a": "Answer A to question {i}, careful and complete.", '
                f'"response_b": "Answer B to question {i}, quick and partial."}}{gold}}}\n'
            )
    return path.stat().st_size


def bench_import(project, owner, n: int, tmp: Path) -> dict:
    from labeling.imports import import_job_create_from_path, import_job_run
    from labeling.models import Item

    path = tmp / "items.jsonl"
    size = write_items_file(path, n)
    job = import_job_create_from_path(project=project, path=path, user=owner)
    pg_cpu = _pg_backend_cpu()
    cpu = time.process_time()
    started = time.perf_counter()
    job = import_job_run(job_id=job.pk)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    pg_cpu = _pg_backend_cpu() - pg_cpu
    if job.status != "succeeded":
        raise SystemExit(f"import failed: {job.errors[:3]}")
    assert Item.objects.filter(project=project).count() == n
    return {
        "items": n,
        "file_mb": round(size / 2**20, 1),
        "seconds": round(seconds, 2),
        "items_per_s": round(n / seconds),
        "python_cpu_s": round(cpu, 2),
        "postgres_cpu_s": round(pg_cpu, 2),
        # The rate if the two took turns on one core (less sensitive to other load).
        "items_per_cpu_s": round(n / max(cpu + pg_cpu, 1e-9)),
        # Into an empty project validation (Python) and COPY (PostgreSQL) overlap: with a core
        # each, the slower of the two sets the rate.
        "items_per_s_overlapped": round(n / max(cpu, pg_cpu, 1e-9)),
    }


def _insert_select(model, values: dict[str, str], source_sql: str, params: list) -> None:
    """INSERT INTO <model table> SELECT ... where `values` gives SQL expressions for some
    columns; every other column gets NULL or its model default (robust to new columns)."""
    from django.db import connection

    columns, exprs, defaults = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in values:
            exprs.append(values[field.column])
        elif field.null:
            exprs.append("NULL")
        else:
            exprs.append("%s")
            defaults.append(field.get_db_prep_save(field.get_default(), connection))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(exprs)} {source_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, defaults + params)


def make_annotations(project, n: int) -> int:
    """n annotations: two experts on each of the first n/2 items (3 experts in rotation)."""
    from django.db import connection

    from accounts.models import ExpertProfile, User
    from labeling.models import Annotation, Assignment

    experts = []
    for i in range(3):
        user = User.objects.create_user(
            email=f"expert{i}-{project.pk}@bench.example", password="x", kind=User.Kind.EXPERT
        )
        ExpertProfile.objects.create(user=user, pseudonym=f"bench-{project.pk}-{i}")
        experts.append(user.pk)
    half = n // 2
    for slot in range(2):
        _insert_select(
            Assignment,
            {
                "project_id": "i.project_id",
                "item_id": "i.id",
                "expert_id": f"(ARRAY[{','.join(map(str, experts))}])[(i.id + {slot}) %% 3 + 1]",
                "status": "'submitted'",
                "is_gold": "i.is_gold",
                "leased_at": "now()",
                "lease_expires_at": "now()",
                "finished_at": "now()",
            },
            "FROM (SELECT * FROM labeling_item WHERE project_id = %s ORDER BY id LIMIT %s) i",
            [project.pk, half],
        )
    _insert_select(
        Annotation,
        {
            "assignment_id": "a.id",
            "project_id": "a.project_id",
            "item_id": "a.item_id",
            "expert_id": "a.expert_id",
            "response": "jsonb_build_object('choice', CASE WHEN a.id %% 4 = 0 THEN 'b' ELSE 'a' "
            "END, 'strength', 1 + a.id %% 3, 'rationale', 'Reason ' || a.id)",
            "active_seconds": "30 + a.id %% 300",
            "submitted_at": "now() - (a.id %% 1000) * interval '1 minute'",
            "review_status": "'accepted'",
            "auto_accepted": "false",
            "review_due_at": "now() + interval '7 days'",
            "rejection_reason": "''",
        },
        "FROM labeling_assignment a WHERE a.project_id = %s",
        [project.pk],
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE labeling_annotation")
        cursor.execute("ANALYZE labeling_item")
    return Annotation.objects.filter(project=project).count()


def run_export_child(project_id: int, fmt: str, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--export-child", str(project_id), fmt, str(out)]
    env = dict(os.environ)
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"export child failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def export_child(project_id: int, fmt_name: str, out: Path) -> None:
    setup_django()
    from labeling.exports.registry import EXPORT_FORMATS
    from labeling.exports.services import export_write
    from labeling.selectors.exports import ExportFilters
    from marketplace.models import Project

    project = Project.objects.get(pk=project_id)
    fmt = EXPORT_FORMATS[fmt_name]
    before = _rss_mb()
    pg_cpu = _pg_backend_cpu()
    cpu = time.process_time()
    started = time.perf_counter()
    with open(out, "wb") as f:
        rows = export_write(project=project, fmt=fmt, filters=ExportFilters(), out=f)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    pg_cpu = _pg_backend_cpu() - pg_cpu
    peak = _peak_mb()
    print(
        json.dumps(
            {
                "format": fmt_name,
                "rows": rows,
                "seconds": round(seconds, 2),
                "rows_per_s": round(rows / seconds),
                "python_cpu_s": round(cpu, 2),
                "postgres_cpu_s": round(pg_cpu, 2),
                "rows_per_cpu_s": round(rows / max(cpu + pg_cpu, 1e-9)),
                "file_mb": round(out.stat().st_size / 2**20, 1),
                "rss_before_mb": round(before, 1),
                "peak_rss_mb": round(peak, 1),
                "rss_growth_mb": round(peak - before, 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 items / annotations")
    parser.add_argument("--items", type=int, help="items to import (default 1,000,000)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--export-child", nargs=3, metavar=("PROJECT", "FORMAT", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.export_child:
        project_id, fmt, out = args.export_child
        export_child(int(project_id), fmt, Path(out))
        return

    n = args.items or (20_000 if args.quick else 1_000_000)
    admin_exec(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    admin_exec(f"CREATE DATABASE {BENCH_DB}")
    try:
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        project, owner = make_project()
        with tempfile.TemporaryDirectory(prefix="plumbline-bench-") as tmp_dir:
            tmp = Path(tmp_dir)
            print(f"importing {n:,} items ...", flush=True)
            imported = bench_import(project, owner, n, tmp)
            print(json.dumps(imported), flush=True)
            print(f"generating {n:,} annotations ...", flush=True)
            annotations = make_annotations(project, n)
            connection.close()
            exports = []
            for fmt in EXPORT_FORMATS:
                print(f"exporting {fmt} ...", flush=True)
                result = run_export_child(project.pk, fmt, tmp / fmt)
                print(json.dumps(result), flush=True)
                exports.append(result)
        main_export = exports[0]
        summary = {
            "benchmark": "labeling_io",
            "items_imported": n,
            "import_seconds": imported["seconds"],
            "import_items_per_s": imported["items_per_s"],
            "import_file_mb": imported["file_mb"],
            "import_items_per_cpu_s": imported["items_per_cpu_s"],
            "import_items_per_s_overlapped": imported["items_per_s_overlapped"],
            "annotations": annotations,
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
            "export_format": main_export["format"],
            "export_rows_per_s": main_export["rows_per_s"],
            "export_rows_per_cpu_s": main_export["rows_per_cpu_s"],
            "export_peak_rss_mb": main_export["peak_rss_mb"],
            "export_rss_growth_mb": main_export["rss_growth_mb"],
            "exports": {
                e["format"]: {
                    k: e[k]
                    for k in (
                        "rows",
                        "rows_per_s",
                        "rows_per_cpu_s",
                        "peak_rss_mb",
                        "rss_growth_mb",
                        "file_mb",
                    )
                }
                for e in exports
            },
        }
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin_exec(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
