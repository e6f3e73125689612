"""Items import: all-or-nothing files with line-numbered error reports, refused re-imports,
JSONL / JSON array / CSV, the API (with a real worker), the command and the page."""

import io
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from core.exceptions import ValidationFailed
from labeling.imports import import_job_create_from_path, import_job_run
from labeling.imports.readers import read_json_array
from labeling.models import ImportJob, Item
from tests.conftest import api_as
from tests.labeling.factories import add_items, live_project
from tests.worker import running_worker

pytestmark = pytest.mark.django_db


def row(i, **extra):
    data = {
        "external_id": f"q-{i}",
        "payload": {"prompt": f"Question {i}?", "response_a": "Yes.", "response_b": "No."},
    }
    data.update(extra)
    return data


def jsonl(rows) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows).encode(
        "utf-8"
    )


def run_import(project, tmp_path, content: bytes, name: str = "items.jsonl", fmt=None):
    path = tmp_path / name
    path.write_bytes(content)
    job = import_job_create_from_path(project=project, path=path, file_format=fmt)
    return import_job_run(job_id=job.pk)


@pytest.fixture
def project(organization, owner):
    return live_project(organization)


def test_valid_file_imports_items_and_gold_items(project, tmp_path):
    gold = row(2, gold_answer={"choice": "a", "strength": 2})
    job = run_import(project, tmp_path, jsonl([row(0, priority=5), row(1), gold]))
    assert job.status == "succeeded", job.errors
    assert (job.items_created, job.gold_created, job.rows_total) == (2, 1, 3)
    items = {i.external_id: i for i in Item.objects.filter(project=project)}
    assert items["q-0"].priority == 5 and items["q-0"].open_slots == project.overlap
    assert items["q-0"].payload["prompt"] == "Question 0?"
    assert items["q-0"].import_job_id == job.pk
    assert items["q-2"].is_gold and items["q-2"].open_slots == 0
    assert items["q-2"].gold_answer == {"choice": "a", "strength": 2}


def test_one_bad_row_among_ten_thousand_imports_nothing_and_reports_its_line(project, tmp_path):
    rows = [row(i) for i in range(10_000)]
    del rows[7_530]["payload"]["response_b"]  # line 7,531
    job = run_import(project, tmp_path, jsonl(rows))
    assert job.status == "failed"
    assert job.errors == [{"line": 7531, "field": "/payload/response_b", "message": "Required."}]
    assert job.rows_processed == 10_000
    assert not Item.objects.filter(project=project).exists()


def test_reimporting_the_same_external_ids_is_refused_not_duplicated(project, tmp_path):
    content = jsonl([row(i) for i in range(5)])
    assert run_import(project, tmp_path, content).status == "succeeded"
    again = run_import(project, tmp_path, jsonl([row(10), row(3), row(4)]))
    assert again.status == "failed"
    assert [(e["line"], e["field"]) for e in again.errors] == [
        (2, "/external_id"),
        (3, "/external_id"),
    ]
    assert "already exists" in again.errors[0]["message"]
    assert Item.objects.filter(project=project).count() == 5


@pytest.mark.parametrize(
    ("lines", "bad_line", "field", "message"),
    [
        ([row(0), '{"external_id": "q-1", "payload": {', row(2)], 2, "", "Invalid JSON"),
        ([row(0), {"payload": row(1)["payload"]}], 2, "/external_id", "Required"),
        ([row(0), {"external_id": "q-1"}], 2, "/payload", "Required"),
        ([row(0), row(1, priority="high")], 2, "/priority", "integer"),
        (
            [
                row(0),
                {
                    "external_id": "q-1",
                    "payload": {"prompt": "Q", "response_a": 1, "response_b": "B"},
                },
            ],
            2,
            "/payload/response_a",
            "string",
        ),
        ([row(0), {"external_id": 7, "payload": row(1)["payload"]}], 2, "/external_id", "string"),
        ([row(0), row(1), row(0)], 3, "/external_id", "Duplicate"),
        ([row(0), row(1, gold_answer={"choice": "c"})], 2, "/gold_answer", "Gold answer"),
        ([row(0), row(1, colour="red")], 2, "/colour", "Unknown field"),
        ([row(0), "[1, 2]"], 2, "", "object"),
        (
            [row(0), '{"external_id": "q-1", "payload": {"prompt": NaN}}'],
            2,
            "",
            "NaN is not allowed",
        ),
        (
            [
                row(0),
                '{"external_id": "q-1", "payload": {"prompt": "a\\ud800", "response_a": '
                '"A", "response_b": "B"}}',
            ],
            2,
            "/payload",
            "surrogate",
        ),
    ],
    ids=[
        "bad-json",
        "missing-id",
        "missing-payload",
        "wrong-type-priority",
        "wrong-type-payload",
        "wrong-type-id",
        "duplicate-in-file",
        "bad-gold-answer",
        "unknown-field",
        "not-an-object",
        "nan",
        "lone-surrogate",
    ],
)
def test_each_kind_of_bad_row_fails_the_file(project, tmp_path, lines, bad_line, field, message):
    job = run_import(project, tmp_path, jsonl(lines))
    assert job.status == "failed"
    assert job.errors[0]["line"] == bad_line
    assert job.errors[0]["field"].startswith(field)
    assert message in job.errors[0]["message"]
    assert not Item.objects.filter(project=project).exists()


def test_values_survive_the_import_exactly(project, tmp_path):
    """Whichever JSON parser and writer a row goes through (orjson, or the standard library
    for what orjson refuses), what is stored is what the file said."""
    payloads = {
        "q-0": {
            "prompt": 'Tab\there, "quotes", back\\slash\nnew line',
            "response_a": "é ✓ 🙂",
            "response_b": "B",
            "n": 1.5e-7,
            "big": 2**70,
            "neg": -(2**63),
            "nested": [None],
        },
        "q-1": {"prompt": "Q", "response_a": "A", "response_b": "B", "f": 0.1, "e": 1e16},
    }
    content = jsonl([{"external_id": k, "payload": v} for k, v in payloads.items()])
    job = run_import(project, tmp_path, content)
    assert job.status == "succeeded", job.errors
    for item in Item.objects.filter(project=project):
        assert item.payload == payloads[item.external_id]


def test_invalid_utf8_is_reported_with_its_line(project, tmp_path):
    content = jsonl([row(0), row(1)]) + b'{"external_id": "q-2", "payload": "\xff\xfe"}\n'
    job = run_import(project, tmp_path, content)
    assert job.status == "failed"
    assert job.errors[0]["line"] == 3 and "UTF-8" in job.errors[0]["message"]
    assert not Item.objects.exists()


def test_report_stops_at_the_first_fifty_errors(project, tmp_path):
    rows = [{"external_id": f"x-{i}", "payload": {}} for i in range(200)]
    job = run_import(project, tmp_path, jsonl(rows))
    assert job.status == "failed"
    assert len(job.errors) == 50
    assert job.errors[0]["line"] == 1


def test_gold_answer_is_checked_against_the_response_schema(project, tmp_path):
    missing_strength = row(0, gold_answer={"choice": "a"})
    job = run_import(project, tmp_path, jsonl([missing_strength]))
    assert job.status == "failed" and job.errors[0]["field"].startswith("/gold_answer")


def test_payload_requirements_follow_the_task_type(organization, tmp_path):
    project = live_project(
        organization,
        task_type="classification",
        task_config={
            "labels": [{"key": "ok", "label": "OK"}, {"key": "bad", "label": "Bad"}],
            "multi": False,
            "allow_none": False,
        },
    )
    job = run_import(
        project,
        tmp_path,
        jsonl(
            [
                {"external_id": "c-1", "payload": {"text": "hi"}},
                {"external_id": "c-2", "payload": {"t": "x"}},
            ]
        ),
    )
    assert job.status == "failed"
    assert job.errors == [{"line": 2, "field": "/payload/text", "message": "Required."}]


def test_a_file_over_the_size_limit_is_refused(project, tmp_path, settings):
    settings.PLUMBLINE_IMPORT_MAX_BYTES = 100
    path = tmp_path / "big.jsonl"
    path.write_bytes(jsonl([row(i) for i in range(10)]))
    with pytest.raises(ValidationFailed) as exc:
        import_job_create_from_path(project=project, path=path)
    assert "limit" in exc.value.fields["file"][0]


def test_json_array_rows_and_error_lines(project, tmp_path):
    good = json.dumps([row(0), row(1, gold_answer={"choice": "b", "strength": 1})], indent=2)
    job = run_import(project, tmp_path, good.encode(), name="items.json")
    assert job.status == "succeeded", job.errors
    assert (job.items_created, job.gold_created) == (1, 1)

    text = (
        '[\n  {"external_id": "a", "payload": {"prompt": "P", "response_a": "x", '
        '"response_b": "y"}},\n\n  {"external_id": "b",\n   "payload": {"prompt": "P"}}\n]\n'
    )
    job = run_import(project, tmp_path, text.encode(), name="more.json")
    assert job.status == "failed"
    assert job.errors[0]["line"] == 4  # where the bad element starts


def test_json_array_syntax_error_reports_its_line_and_small_chunks_parse_alike():
    text = '[\n{"a": 1},\n{"b": 2}\n,\n{"c": [1, 2,\n 3]}\n]'
    rows = list(read_json_array(io.BytesIO(text.encode()), chunk_size=3))
    assert [(r.line, r.data) for r in rows] == [(2, {"a": 1}), (3, {"b": 2}), (5, {"c": [1, 2, 3]})]
    broken = '[\n{"a": 1},\n{"b": }\n]'
    last = list(read_json_array(io.BytesIO(broken.encode()), chunk_size=4))[-1]
    assert last.fatal and last.line == 3 and "Invalid JSON" in last.error


def test_csv_with_one_column_per_payload_key(project, tmp_path):
    content = (
        b"external_id,priority,gold_answer,prompt,response_a,response_b\n"
        b'c-1,2,,"What is\nthe dose?",Ten,Twenty\n'
        b'c-2,,"{""choice"": ""a"", ""strength"": 3}",Q2,=SUM(A1),B\n'
    )
    job = run_import(project, tmp_path, content, name="items.csv")
    assert job.status == "succeeded", job.errors
    first = Item.objects.get(project=project, external_id="c-1")
    assert first.payload == {
        "prompt": "What is\nthe dose?",
        "response_a": "Ten",
        "response_b": "Twenty",
    }
    assert first.priority == 2
    assert Item.objects.get(project=project, external_id="c-2").is_gold


def test_csv_with_a_payload_json_column_and_a_bad_row(project, tmp_path):
    payload = json.dumps(row(0)["payload"]).replace('"', '""')
    content = (
        "external_id,payload\n"
        f'p-1,"{payload}"\n'
        'p-2,"{\n""prompt"": ""multi-line cell""}"\n'
        f'p-3,"{payload}"\n'
        'p-4,"{bad"\n'
    ).encode()
    job = run_import(project, tmp_path, content, name="items.csv")
    assert job.status == "failed"
    # p-2 (line 3) lacks response_a and response_b; p-4 starts on line 6, after the 2-line cell.
    assert [e["line"] for e in job.errors] == [3, 3, 6]
    assert not Item.objects.exists()


def test_concurrent_import_of_the_same_ids_fails_cleanly(project, tmp_path, monkeypatch):
    from labeling.imports import services as import_services

    real_copy = import_services.copy_spool

    def racing_copy(spool):
        add_items(project, 1, start=0)  # another import commits "item-0" first
        real_copy(spool)

    monkeypatch.setattr(import_services, "copy_spool", racing_copy)
    job = run_import(project, tmp_path, jsonl([row(1), {**row(2), "external_id": "item-0"}]))
    assert job.status == "failed"
    assert "another import" in job.errors[0]["message"]
    assert not Item.objects.filter(external_id="q-1").exists()


def test_running_a_finished_job_again_changes_nothing(project, tmp_path):
    job = run_import(project, tmp_path, jsonl([row(0)]))
    assert import_job_run(job_id=job.pk).status == "succeeded"
    assert Item.objects.filter(project=project).count() == 1


# --- API ---------------------------------------------------------------------------------------


def upload(content: bytes, name: str = "items.jsonl"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def imports_url(project):
    return reverse("api-project-imports", args=[project.pk])


@pytest.mark.parametrize("who", ["viewer", "reviewer"])
def test_viewers_and_reviewers_cannot_import(project, request, who):
    user = request.getfixturevalue(who)
    response = api_as(user).post(
        imports_url(project), {"file": upload(jsonl([row(0)]))}, format="multipart"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["other_owner", "expert"])
def test_outsiders_do_not_see_the_project(project, request, who):
    user = request.getfixturevalue(who)
    response = api_as(user).post(
        imports_url(project), {"file": upload(jsonl([row(0)]))}, format="multipart"
    )
    assert response.status_code == 404


def test_upload_over_the_limit_is_a_400(project, manager, settings):
    settings.PLUMBLINE_IMPORT_MAX_BYTES = 10
    response = api_as(manager).post(
        imports_url(project), {"file": upload(jsonl([row(0)]))}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["file"]


def test_unknown_format_is_a_400(project, manager):
    response = api_as(manager).post(
        imports_url(project), {"file": upload(b"x", "items.txt")}, format="multipart"
    )
    assert response.status_code == 400


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_upload_runs_as_a_job_on_a_real_worker_with_progress(organization, manager, settings):
    project = live_project(organization)
    rows = [row(i) for i in range(12_000)] + [
        row(99_999, gold_answer={"choice": "a", "strength": 1})
    ]
    with running_worker() as worker:
        settings.PLUMBLINE_LABELING_IO_QUEUE = worker.queue
        client = api_as(manager)
        response = client.post(
            imports_url(project), {"file": upload(jsonl(rows))}, format="multipart"
        )
        assert response.status_code == 202, response.content
        job_id = response.json()["id"]
        assert response.json()["status"] == "queued"
        url = reverse("api-project-import", args=[project.pk, job_id])
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            body = client.get(url).json()
            if body["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.3)
    assert body["status"] == "succeeded", body
    assert body["rows_processed"] == body["rows_total"] == 12_001
    assert (body["items_created"], body["gold_created"]) == (12_000, 1)
    assert Item.objects.filter(project=project).count() == 12_001
    job = ImportJob.objects.get(pk=job_id)
    assert str(job.file_path).startswith(str(settings.PRIVATE_STORAGE_ROOT / "imports"))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_bad_file_fails_on_the_worker_with_its_report(organization, manager, settings):
    project = live_project(organization)
    with running_worker() as worker:
        settings.PLUMBLINE_LABELING_IO_QUEUE = worker.queue
        client = api_as(manager)
        response = client.post(
            imports_url(project), {"file": upload(jsonl([row(0), "{oops"]))}, format="multipart"
        )
        url = reverse("api-project-import", args=[project.pk, response.json()["id"]])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            body = client.get(url).json()
            if body["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.3)
    assert body["status"] == "failed"
    assert body["errors"][0]["line"] == 2
    assert not Item.objects.filter(project=project).exists()


# --- command and page --------------------------------------------------------------------------


def test_management_command_imports_and_prints_the_report(project, tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_bytes(jsonl([row(i) for i in range(3)]))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_items", project.pk, str(path), stdout=out, stderr=err)
    assert "3 rows imported" in out.getvalue()
    assert "3/3 rows" in err.getvalue()
    assert Item.objects.filter(project=project).count() == 3


def test_management_command_prints_errors_and_fails(project, tmp_path):
    path = tmp_path / "items.csv"
    path.write_bytes(b"external_id,prompt,response_a,response_b\nz-1,Q,A,B\nz-1,Q,A,B\n")
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import_items", project.pk, str(path), "--no-progress", stdout=out)
    assert "line 3 /external_id: Duplicate" in out.getvalue()
    assert not Item.objects.exists()


def test_import_page_shows_the_form_and_the_error_report(project, manager, client, tmp_path):
    run_import(project, tmp_path, jsonl([row(0), row(0)]))
    client.force_login(manager)
    response = client.get(reverse("company_project_imports", args=[project.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "Line 2" in html and "Duplicate" in html


def test_import_page_upload_queues_a_job(
    project, manager, client, django_capture_on_commit_callbacks, monkeypatch
):
    from labeling.imports import services as import_services

    queued = []
    monkeypatch.setattr(import_services, "_enqueue", queued.append)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("company_project_imports", args=[project.pk]), {"file": upload(jsonl([row(0)]))}
        )
    assert response.status_code == 302
    job = ImportJob.objects.get(project=project)
    assert queued == [job.pk]
    row_url = reverse("company_import_job_row", args=[project.pk, job.pk])
    fragment = client.get(row_url).content.decode()
    assert 'hx-trigger="every 2s"' in fragment


def test_reviewers_do_not_get_the_import_page(project, reviewer, client):
    client.force_login(reviewer)
    response = client.get(reverse("company_project_imports", args=[project.pk]))
    assert response.status_code == 403


def test_a_crash_while_validating_alongside_the_copy_inserts_nothing(
    project, tmp_path, monkeypatch
):
    # Into an empty project validation runs in a thread feeding the COPY (ValidationStream);
    # a crash there, after several chunks were copied, must still leave nothing behind.
    from labeling.imports import pipeline

    real_check = pipeline.payload_errors
    seen = []

    def crashing_check(task_type, config, payload):
        seen.append(1)
        if len(seen) == 7_000:
            raise RuntimeError("boom")
        return real_check(task_type, config, payload)

    monkeypatch.setattr(pipeline, "payload_errors", crashing_check)
    job = run_import(project, tmp_path, jsonl(row(i) for i in range(10_000)))
    assert job.status == "failed"
    assert job.errors == [{"line": None, "field": "", "message": "Internal error while reading."}]
    assert not Item.objects.filter(project=project).exists()
