"""Hostile input: oversized and deeply nested bodies, wrong content types, unicode edge cases,
script/SQL payloads in free text (stored verbatim, rendered escaped), CSV formula injection
through import → export, and path tricks in uploaded file names. Every refusal is a 4xx with the
error envelope, never a 500."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from labeling import services as labeling
from labeling.imports import import_job_run
from labeling.models import ImportJob, Item
from labeling.models.jobs import JobStatus
from qualifications.models import Credential
from tests.conftest import api_as
from tests.labeling.factories import add_items, live_project
from tests.marketplace.factories import make_project
from tests.qualifications.factories import PDF_BYTES

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'><svg onload=alert(1)>'
SQL = "'; DROP TABLE accounts_user; --"
HOSTILE = SCRIPT + SQL
RAW_MARKERS = ("<script>alert", "<img src=x", "<svg onload")
MARKDOWN_XSS = (
    "# Steps\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
    "[click](javascript:alert(1)) <iframe src=//evil></iframe>"
)


def assert_escaped(html: str) -> bool:
    """No payload markup survives as markup; True when the payload is shown (escaped)."""
    for marker in RAW_MARKERS:
        assert marker not in html
    assert 'href="javascript:' not in html and "<iframe" not in html
    return "&lt;script&gt;" in html


@pytest.fixture
def lease(organization, owner, expert):
    project = live_project(organization, actor=owner, overlap=1)
    add_items(project, 3)
    return labeling.task_claim(project=project, expert=expert)


def _error(response, status):
    assert response.status_code == status, response.content[:300]
    assert "error" in response.json()
    return response.json()["error"]


# --- bodies: size, depth, content type, unicode ------------------------------------------------


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        ("[" * 10_000 + "]" * 10_000, "application/json", 400),  # RecursionError in json.loads
        (json.dumps({"response": json.loads("[" * 500 + "]" * 500)}), "application/json", 400),
        ('{"response": {"choice": "a\\u0000"}, "active_seconds": 1}', "application/json", 400),
        ('{"response": {"choice": "\\ud800"}, "active_seconds": 1}', "application/json", 400),
        ('{"response": {"choice": "a"}, "active_seconds": 1', "application/json", 400),
        ("choice=a", "text/plain", 415),
        ("<response/>", "application/xml", 415),
    ],
    ids=["deep-10000", "deep-500", "nul", "lone-surrogate", "truncated", "text-plain", "xml"],
)
def test_submit_refuses_hostile_bodies_with_4xx(lease, expert, body, content_type, status):
    client = api_as(expert)
    response = client.generic(
        "POST", f"/api/v1/tasks/{lease.pk}/submit/", body, content_type=content_type
    )
    _error(response, status)
    lease.refresh_from_db()
    assert lease.status == "leased"  # nothing half-written


def test_oversized_json_body_is_refused_not_parsed(lease, expert, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    body = json.dumps({"draft": {"text": "y" * 5_000}})
    response = api_as(expert).generic(
        "PUT", f"/api/v1/tasks/{lease.pk}/draft/", body, content_type="application/json"
    )
    # 413 from the API's JSON parser; 400 when Django reads the body first (RequestDataTooBig).
    assert response.status_code in (400, 413)
    lease.refresh_from_db()
    assert lease.draft is None


def test_unicode_edge_cases_round_trip_unchanged(expert):
    text = "RTL \u202egnp.exe\u202c · emoji 🧪👩🏽‍⚕️ · combining e\u0301 · CJK 漢字 · " + HOSTILE
    client = api_as(expert)
    assert client.patch("/api/v1/profile/", {"bio": text}, format="json").status_code == 200
    assert client.get("/api/v1/profile/").json()["bio"] == text
    _error(client.patch("/api/v1/profile/", {"bio": "a\x00b"}, format="json"), 400)
    # Form-encoded NUL reaches the serializer field, which refuses it too.
    _error(
        client.patch(
            "/api/v1/profile/", "bio=a%00b", content_type="application/x-www-form-urlencoded"
        ),
        400,
    )
    # NUL in a query parameter.
    assert client.get("/api/v1/my/annotations/?page=%00").status_code == 404


# --- free text: stored verbatim, rendered escaped; Markdown without raw HTML ----------------------


def test_project_texts_and_markdown_render_escaped_for_experts(organization, owner, expert, client):
    project = make_project(
        organization,
        status="live",
        actor=owner,
        title=HOSTILE[:120],
        summary=HOSTILE,
        instructions=MARKDOWN_XSS,
    )
    assert project.summary == HOSTILE  # stored verbatim: parameterised SQL, nothing stripped
    client.force_login(expert)
    job = client.get(reverse("marketplace:job", args=[project.pk]))
    assert job.status_code == 200 and assert_escaped(job.content.decode())
    assert assert_escaped(client.get(reverse("marketplace:jobs")).content.decode())
    add_items(project, 1)
    lease = labeling.task_claim(project=project, expert=expert)
    page = client.get(reverse("workspace_task", args=[lease.pk])).content.decode()
    assert_escaped(page)
    assert "<h1>Steps</h1>" in page or "Steps</h1>" in page  # Markdown itself still renders
    html = api_as(expert).get(f"/api/v1/jobs/{project.pk}/").json()["instructions_html"]
    assert "<script" not in html and "<img" not in html and "javascript:" not in html


def test_review_and_appeal_texts_render_escaped(
    organization, owner, reviewer, expert, staff_with_mfa, client
):
    project = live_project(organization, actor=owner, overlap=1)
    add_items(project, 2)
    lease = labeling.task_claim(project=project, expert=expert)
    annotation = labeling.annotation_submit(
        assignment_id=lease.pk,
        expert=expert,
        response={"choice": "a", "strength": 2},
        active_seconds=9,
    )
    rejected = api_as(reviewer).post(
        f"/api/v1/review/annotations/{annotation.pk}/reject/", {"reason": HOSTILE}, format="json"
    )
    assert rejected.status_code == 200, rejected.content
    appeal = api_as(expert).post(
        "/api/v1/appeals/", {"annotation": annotation.pk, "note": HOSTILE}, format="json"
    )
    assert appeal.status_code == 201, appeal.content
    api_as(owner).patch(
        f"/api/v1/organizations/{organization.pk}/", {"name": HOSTILE[:100]}, format="json"
    )

    api_as(expert).patch("/api/v1/profile/", {"bio": HOSTILE}, format="json")

    # Each page shows the payload (escaped) and none lets its markup through.
    client.force_login(expert)
    appeal_page = reverse("annotation_appeal", args=[annotation.pk])
    for url in (
        reverse("my_work"),
        appeal_page,
        reverse("qualifications:profile_step", args=["basics"]),
    ):
        assert assert_escaped(client.get(url).content.decode()), url
    client.force_login(staff_with_mfa)
    url = reverse("staff_appeal", args=[appeal.json()["id"]])
    assert assert_escaped(client.get(url).content.decode()), url
    client.force_login(owner)
    for url in (reverse("company_home"), reverse("review_queue", args=[project.pk])):
        assert assert_escaped(client.get(url).content.decode()), url


# --- imports and uploads ------------------------------------------------------------------------


def _import(owner, project, name: str, content: bytes):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return api_as(owner).post(
        f"/api/v1/projects/{project.pk}/imports/", {"file": upload}, format="multipart"
    )


def _row(external_id: str, payload=None) -> bytes:
    payload = payload or {"prompt": "Q?", "response_a": "A", "response_b": "B"}
    return json.dumps({"external_id": external_id, "payload": payload}).encode() + b"\n"


def test_csv_export_neutralises_formulas_from_an_imported_file(
    organization, owner, reviewer, expert
):
    project = live_project(organization, actor=owner, overlap=1)
    evil = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    response = _import(owner, project, "items.jsonl", b"".join(_row(e) for e in evil))
    assert response.status_code == 202, response.content
    job = import_job_run(job_id=response.json()["id"])
    assert job.status == JobStatus.SUCCEEDED, job.errors
    for _ in evil:
        lease = labeling.task_claim(project=project, expert=expert)
        labeling.annotation_submit(
            assignment_id=lease.pk,
            expert=expert,
            response={"choice": "a", "strength": 1},
            active_seconds=5,
        )
    export = api_as(reviewer).get(f"/api/v1/projects/{project.pk}/exports/annotations.csv/")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert sorted(r["external_id"] for r in rows) == sorted("'" + e for e in evil)
    for cell in (c for r in rows for c in r.values()):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_hostile_import_files_fail_cleanly(organization, owner):
    project = live_project(organization, actor=owner, overlap=1)
    deep = b'{"external_id": "d", "payload": ' + b"[" * 5000 + b"]" * 5000 + b"}\n"
    nul = _row("n", {"prompt": "a\u0000b", "response_a": "A", "response_b": "B"})
    for content in (deep, nul):
        response = _import(owner, project, "items.jsonl", content)
        assert response.status_code == 202
        job = import_job_run(job_id=response.json()["id"])
        assert job.status == JobStatus.FAILED and job.errors
    assert not Item.objects.filter(project=project).exists()
    _error(_import(owner, project, "items.exe", b"MZ"), 400)  # unknown format


def test_import_size_limit(organization, owner, settings):
    settings.PLUMBLINE_IMPORT_MAX_BYTES = 100
    project = live_project(organization, actor=owner, overlap=1)
    _error(_import(owner, project, "items.jsonl", _row("x") * 5), 400)
    assert not ImportJob.objects.filter(project=project).exists()


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "/etc/passwd.pdf", "..\\..\\boot.ini.pdf", "a\x00b.pdf"]
)
def test_uploaded_file_names_cannot_escape_private_storage(expert, organization, owner, name):
    response = api_as(expert).post(
        "/api/v1/credentials/",
        {
            "kind": "licence",
            "title": "Licence",
            "issuer": "Board",
            "evidence": SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code in (201, 400), response.content
    if response.status_code == 201:
        credential = Credential.objects.get(pk=response.json()["id"])
        shown = credential.evidence_name
        assert "/" not in shown and "\\" not in shown and "\x00" not in shown
        assert not shown.startswith(".")
        stored = Path(credential.evidence.path).resolve()
        assert stored.is_relative_to(Path(django_settings.PRIVATE_STORAGE_ROOT).resolve())
    project = live_project(organization, actor=owner, overlap=1)
    imported = _import(owner, project, name.replace(".pdf", ".jsonl"), _row("x"))
    assert imported.status_code in (202, 400), imported.content
    if imported.status_code == 202:
        job = ImportJob.objects.get(pk=imported.json()["id"])
        assert "/" not in job.file_name and "\x00" not in job.file_name
        assert (
            Path(job.file_path)
            .resolve()
            .is_relative_to(Path(django_settings.PRIVATE_STORAGE_ROOT).resolve())
        )


def test_evidence_size_limit(expert, settings):
    settings.PLUMBLINE_EVIDENCE_MAX_BYTES = 100
    response = api_as(expert).post(
        "/api/v1/credentials/",
        {
            "kind": "licence",
            "title": "Licence",
            "issuer": "Board",
            "evidence": SimpleUploadedFile("l.pdf", PDF_BYTES * 10, content_type="application/pdf"),
        },
        format="multipart",
    )
    assert _error(response, 400)["code"] == "evidence_too_large"
