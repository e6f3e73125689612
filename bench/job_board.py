"""Job-board latency benchmark.

Builds a PostgreSQL database with many experts and live projects, then times
GET /api/v1/jobs/ (through Django's test Client, the full middleware and DRF stack, session auth,
throttling in Redis) for one expert who holds several qualifications.

    python bench/job_board.py            # 100,000 experts, 10,000 live projects
    python bench/job_board.py --quick    # 5,000 experts, 1,000 live projects (< 1 minute)

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/plumbline_bench) names a database the
script creates and drops (--keep leaves it). REDIS_URL (default redis://127.0.0.1:6379/14) is the
cache used by DRF's throttles. The last line printed is one JSON object with p50_ms, p95_ms and
the sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/plumbline_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--experts", type=int)
    parser.add_argument("--projects", type=int)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on a database left by --keep (skips creating and building it)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    experts = args.experts or (5_000 if args.quick else 100_000)
    projects = args.projects or (1_000 if args.quick else 10_000)
    requests = max(args.requests, 200)

    from bench._common import create_database, django_setup, drop_database, log, percentile

    db_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    if not args.reuse:
        create_database(db_url)
    try:
        django_setup(db_url, os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"))
        if args.reuse:
            from accounts.models import User
            from marketplace.models import Project

            me = User.objects.get(email="bench.me@bench.example")
            experts = User.objects.filter(kind="expert").count() - 1
            projects = Project.objects.filter(status="live").count()
        else:
            from django.core.management import call_command

            t0 = time.perf_counter()
            call_command("migrate", verbosity=0)
            log(f"migrated in {time.perf_counter() - t0:.1f}s")
            rng = random.Random(args.seed)
            t0 = time.perf_counter()
            me = build(rng, experts=experts, projects=projects)
            log(
                f"built {experts:,} experts and {projects:,} live projects in "
                f"{time.perf_counter() - t0:.1f}s"
            )
        result = measure(me, requests=requests, warmup=args.warmup)
        result.update(
            experts=experts,
            live_projects=projects,
            requests=requests,
            p50_ms=round(percentile(result.pop("samples"), 50), 2),
        )
        result["p95_ms"] = round(result.pop("p95"), 2)
        log(
            f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms "
            f"({result['eligible_projects']:,} projects on this expert's board)"
        )
        ordered = {
            k: result[k]
            for k in (
                "p50_ms",
                "p95_ms",
                "experts",
                "live_projects",
                "eligible_projects",
                "requests",
                "queries_per_request",
                "filtered_p95_ms",
            )
        }
        print(json.dumps(ordered))
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            drop_database(db_url)


# --- data ----------------------------------------------------------------------------------

DOMAIN_WEIGHTS = [
    ("cardiology", 3),
    ("oncology", 2),
    ("radiology", 2),
    ("general-practice", 2),
    ("medicine", 2),
    ("contract-law", 3),
    ("criminal-law", 2),
    ("intellectual-property", 1),
    ("law", 2),
    ("python", 4),
    ("javascript", 3),
    ("security-engineering", 1),
    ("software-engineering", 2),
    ("mathematics", 2),
    ("finance", 2),
    ("chemistry", 1),
    ("biology", 1),
    ("physics", 1),
    ("translation-en-de", 1),
    ("ai-safety", 2),
]
LANGS = ["en"] * 6 + ["de", "fr", "es", "zh", "hi", "pt"]
COUNTRIES = ["US", "GB", "DE", "FR", "IN", "KE", "BR", "CA", "NG", "ES", "CN", "JP"]
BATCH = 10_000


def build(rng: random.Random, *, experts: int, projects: int):
    from allauth.account.models import EmailAddress  # noqa: F401  (app registry warm)
    from django.db import connection

    from accounts.models import ExpertProfile, Membership, Organization, User
    from marketplace.models import (
        Project,
        ProjectCountry,
        ProjectDomainRequirement,
        ProjectLanguage,
    )
    from marketplace.money import effective_hourly_minor
    from marketplace.services import requirement_mirrors_refresh
    from marketplace.task_types import task_type
    from qualifications.models import Domain, ExpertLanguage, Qualification

    domains = {d.slug: d.pk for d in Domain.objects.all()}
    slugs = [s for s, _ in DOMAIN_WEIGHTS if s in domains]
    weights = [w for s, w in DOMAIN_WEIGHTS if s in domains]

    # Experts: users, profiles, 1–3 qualifications, 1–2 languages each.
    users = [
        User(email=f"expert{i}@bench.example", password="!", kind="expert", name="")
        for i in range(experts)
    ]
    User.objects.bulk_create(users, batch_size=BATCH)
    ids = list(User.objects.filter(kind="expert").order_by("pk").values_list("pk", flat=True))
    ExpertProfile.objects.bulk_create(
        [
            ExpertProfile(
                user_id=uid,
                pseudonym=f"ex-{uid:08x}",
                country=rng.choice(COUNTRIES),
                weekly_availability_hours=rng.choice([None, 5, 10, 20, 40]),
            )
            for uid in ids
        ],
        batch_size=BATCH,
    )
    profiles = dict(ExpertProfile.objects.values_list("user_id", "pk"))
    quals, langs = [], []
    for uid in ids:
        for slug in set(rng.choices(slugs, weights, k=rng.randint(1, 3))):
            quals.append(
                Qualification(
                    expert_id=uid,
                    domain_id=domains[slug],
                    level=rng.choice([1, 1, 2, 2, 3]),
                    source="staff",
                )
            )
        for code in set(rng.choices(LANGS, k=rng.randint(1, 2))):
            langs.append(
                ExpertLanguage(profile_id=profiles[uid], language=code, proficiency="professional")
            )
    Qualification.objects.bulk_create(quals, batch_size=BATCH)
    ExpertLanguage.objects.bulk_create(langs, batch_size=BATCH)

    # The expert we measure: several qualifications, two languages.
    me = User.objects.create(email="bench.me@bench.example", password="!", kind="expert")
    profile = ExpertProfile.objects.create(
        user=me, pseudonym="ex-benchme", country="DE", weekly_availability_hours=20
    )
    for slug, level in [
        ("cardiology", 2),
        ("python", 3),
        ("contract-law", 1),
        ("mathematics", 2),
        ("ai-safety", 1),
    ]:
        Qualification.objects.create(
            expert=me, domain_id=domains[slug], level=level, source="staff"
        )
    for code in ("en", "de"):
        ExpertLanguage.objects.create(profile=profile, language=code, proficiency="native")

    # Companies and live projects.
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Company {i}", slug=f"company-{i}") for i in range(200)]
    )
    owner = User.objects.create(email="owner@bench.example", password="!", kind="company")
    Membership.objects.bulk_create(
        [Membership(organization=o, user=owner, role="owner") for o in orgs]
    )
    schemas = {}
    types = ["pairwise", "ranking", "rubric", "classification", "free_text", "trajectory"]
    for key in types:
        kind = task_type(key)
        config = kind.default_config()
        schemas[key] = (config, kind.response_schema(config))
    rows = []
    for _ in range(projects):
        key = rng.choice(types)
        minutes = rng.choice([3, 5, 8, 10, 15, 20, 30])
        hourly = rng.randint(1500, 9000)
        pay = -(-hourly * minutes // 60)
        rows.append(
            Project(
                organization=rng.choice(orgs),
                title=f"Bench project {len(rows)}",
                task_type=key,
                task_config=schemas[key][0],
                response_schema=schemas[key][1],
                status="live",
                pay_per_task_minor=pay,
                estimated_minutes=minutes,
                effective_hourly_minor=effective_hourly_minor(
                    pay_per_task_minor=pay, estimated_minutes=minutes
                ),
                item_count=rng.randint(50, 5000),
                overlap=rng.randint(1, 3),
                instructions="Bench instructions.",
                summary="Bench.",
            )
        )
    created = Project.objects.bulk_create(rows, batch_size=BATCH)
    reqs, plangs, countries = [], [], []
    for p in created:
        for slug in set(rng.choices(slugs, weights, k=rng.choice([0, 1, 1, 1, 2]))):
            reqs.append(
                ProjectDomainRequirement(
                    project_id=p.pk, domain_id=domains[slug], min_level=rng.choice([1, 1, 2, 2, 3])
                )
            )
        if rng.random() < 0.3:
            plangs.append(ProjectLanguage(project_id=p.pk, language=rng.choice(LANGS)))
        roll = rng.random()
        if roll < 0.1:
            countries.append(
                ProjectCountry(project_id=p.pk, country=rng.choice(COUNTRIES), mode="deny")
            )
        elif roll < 0.15:
            for c in rng.sample(COUNTRIES, 4):
                countries.append(ProjectCountry(project_id=p.pk, country=c, mode="allow"))
    ProjectDomainRequirement.objects.bulk_create(reqs, batch_size=BATCH)
    ProjectLanguage.objects.bulk_create(plangs, batch_size=BATCH)
    ProjectCountry.objects.bulk_create(countries, batch_size=BATCH)
    requirement_mirrors_refresh(project_ids=[p.pk for p in created])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE") if connection.get_autocommit() else cursor.execute(
            "ANALYZE"
        )
    return me


# --- measurement ---------------------------------------------------------------------------------


def _time(client, url: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.content[:500]
    return samples


def measure(me, *, requests: int, warmup: int) -> dict:
    from django.db import connection
    from django.test import Client

    from bench._common import percentile
    from qualifications.models import Domain

    client = Client()
    client.force_login(me)
    url = "/api/v1/jobs/"
    first = client.get(url).json()
    _time(client, url, warmup)
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    samples = _time(client, url, requests)
    medicine = Domain.objects.get(slug="medicine").pk
    filtered = _time(client, f"{url}?domain={medicine}&min_hourly=30", max(requests // 2, 100))
    return {
        "samples": samples,
        "p95": percentile(samples, 95),
        "filtered_p95_ms": round(percentile(filtered, 95), 2),
        "eligible_projects": first["count"],
        "queries_per_request": len(executed),
        "mean_ms": statistics.fmean(samples),
    }


if __name__ == "__main__":
    main()
