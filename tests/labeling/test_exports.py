"""Exports: every format of a pairwise project parses line by line with its documented fields;
filters; gold only for the company; CSV formula injection; permissions; async jobs on a real
worker with a permission-checked download; the exports page."""

import csv
import io
import json
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from labeling.models import Annotation, Assignment, ExpertProjectStats, ExportJob, Item
from tests.conftest import api_as
from tests.factories import ExpertFactory
from tests.labeling.factories import live_project
from tests.worker import running_worker

pytestmark = pytest.mark.django_db

PAIR_FORMATS = {
    "trl.jsonl": {"prompt", "chosen", "rejected", "metadata"},
    "trl_conversational.jsonl": {"prompt", "chosen", "rejected", "metadata"},
    "hh_rlhf.jsonl": {"chosen", "rejected", "metadata"},
    "openai_preference.jsonl": {"input", "preferred_output", "non_preferred_output", "metadata"},
    "kto.jsonl": {"prompt", "completion", "label", "metadata"},
}
ALL_PAIRWISE_FORMATS = {
    "annotations.jsonl": {
        "annotation_id",
        "item_id",
        "external_id",
        "expert",
        "response",
        "active_seconds",
        "submitted_at",
        "review_status",
        "auto_accepted",
        "is_gold",
        "gold_answer",
        "gold_correct",
    },
    "items.jsonl": {
        "item_id",
        "external_id",
        "payload",
        "is_gold",
        "gold_answer",
        "annotations",
        "aggregate",
    },
    **PAIR_FORMATS,
}
METADATA_KEYS = {
    "item_id",
    "external_id",
    "is_gold",
    "strength",
    "agreement",
    "annotators",
    "votes",
}


def annotate(item, expert, response, *, status="accepted", seconds=60, when=None):
    now = timezone.now()
    assignment = Assignment.objects.create(
        project=item.project,
        item=item,
        expert=expert,
        status=Assignment.Status.SUBMITTED,
        is_gold=item.is_gold,
        lease_expires_at=now,
        finished_at=now,
    )
    return Annotation.objects.create(
        assignment=assignment,
        project=item.project,
        item=item,
        expert=expert,
        response=response,
        active_seconds=seconds,
        review_status=status,
        review_due_at=now + timedelta(days=7),
        submitted_at=when or now,
    )


def item(project, external_id, prompt, a="Answer A", b="Answer B", **extra):
    return Item.objects.create(
        project=project,
        external_id=external_id,
        open_slots=0,
        payload={"prompt": prompt, "response_a": a, "response_b": b},
        **extra,
    )


@pytest.fixture
def experts(db):
    return [ExpertFactory(email=f"e{i}@example.com") for i in range(3)]


@pytest.fixture
def pairwise(organization, owner, experts):
    """item-0: a, a, b → A preferred (2/3). item-1 (chat prompt): b, b → B (1.0).
    item-2: tie, tie, a → no pair. item-3: a, b → no pair. gold-0: a, with its answer."""
    project = live_project(organization)
    e0, e1, e2 = experts
    i0 = item(project, "item-0", "What is 2+2?", a="4", b="5")
    annotate(i0, e0, {"choice": "a", "strength": 3})
    annotate(i0, e1, {"choice": "a", "strength": 1})
    annotate(i0, e2, {"choice": "b", "strength": 2}, status="rejected")
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"}]
    i1 = item(project, "item-1", chat, a="Hello there, how can I help?", b="Hi!")
    annotate(i1, e0, {"choice": "b", "strength": 2})
    annotate(i1, e1, {"choice": "b", "strength": 2}, status="pending")
    i2 = item(project, "item-2", "Tie?")
    annotate(i2, e0, {"choice": "tie", "strength": 1})
    annotate(i2, e1, {"choice": "tie", "strength": 1})
    annotate(i2, e2, {"choice": "a", "strength": 1})
    i3 = item(project, "item-3", "Split?")
    annotate(i3, e0, {"choice": "a", "strength": 1})
    annotate(i3, e1, {"choice": "b", "strength": 1})
    gold = item(
        project,
        "gold-0",
        "Gold?",
        a="Right",
        b="Wrong",
        is_gold=True,
        gold_answer={"choice": "a", "strength": 2},
    )
    annotate(gold, e2, {"choice": "a", "strength": 2})
    return project


def export(user, project, fmt, **params):
    url = reverse("api-project-export-download", args=[project.pk, fmt])
    return api_as(user).get(url, params)


def lines_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    assert body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


@pytest.mark.parametrize("fmt", sorted(ALL_PAIRWISE_FORMATS))
def test_every_pairwise_format_parses_line_by_line_with_its_fields(pairwise, reviewer, fmt):
    response = export(reviewer, pairwise, fmt)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="project-{pairwise.pk}-{fmt}"'
    )
    records = lines_of(response)
    assert records
    for record in records:
        assert set(record) == ALL_PAIRWISE_FORMATS[fmt]
        if "metadata" in record:
            assert set(record["metadata"]) == METADATA_KEYS


def test_pair_records_aggregate_per_item_and_skip_ties(pairwise, reviewer):
    records = lines_of(export(reviewer, pairwise, "trl.jsonl"))
    by_id = {r["metadata"]["external_id"]: r for r in records}
    assert set(by_id) == {"item-0", "item-1", "gold-0"}  # item-2 tie, item-3 split
    first = by_id["item-0"]
    assert (first["prompt"], first["chosen"], first["rejected"]) == ("What is 2+2?", "4", "5")
    assert first["metadata"]["agreement"] == pytest.approx(0.6667)
    assert first["metadata"]["strength"] == 2.0  # mean of the majority's 3 and 1
    assert len(first["metadata"]["annotators"]) == 3
    assert first["metadata"]["votes"] == {"a": 2, "b": 1, "tie": 0}
    chat = by_id["item-1"]
    assert chat["chosen"] == "Hi!"
    assert chat["prompt"] == "System: Be brief.\n\nUser: Hi?"
    assert by_id["gold-0"]["metadata"]["is_gold"] is True


def test_conversational_formats_use_role_content_messages(pairwise, reviewer):
    conv = {
        r["metadata"]["external_id"]: r
        for r in lines_of(export(reviewer, pairwise, "trl_conversational.jsonl"))
    }
    assert conv["item-0"]["prompt"] == [{"role": "user", "content": "What is 2+2?"}]
    assert conv["item-0"]["chosen"] == [{"role": "assistant", "content": "4"}]
    assert conv["item-1"]["prompt"][0] == {"role": "system", "content": "Be brief."}
    openai = {
        r["metadata"]["external_id"]: r
        for r in lines_of(export(reviewer, pairwise, "openai_preference.jsonl"))
    }
    assert openai["item-0"]["input"] == {"messages": [{"role": "user", "content": "What is 2+2?"}]}
    assert openai["item-0"]["preferred_output"] == [{"role": "assistant", "content": "4"}]
    assert openai["item-0"]["non_preferred_output"] == [{"role": "assistant", "content": "5"}]


def test_hh_rlhf_transcripts(pairwise, reviewer):
    hh = {
        r["metadata"]["external_id"]: r
        for r in lines_of(export(reviewer, pairwise, "hh_rlhf.jsonl"))
    }
    assert hh["item-0"]["chosen"] == "\n\nHuman: What is 2+2?\n\nAssistant: 4"
    assert hh["item-0"]["rejected"] == "\n\nHuman: What is 2+2?\n\nAssistant: 5"
    assert hh["item-1"]["chosen"] == "\n\nHuman: Be brief.\n\nHuman: Hi?\n\nAssistant: Hi!"


def test_kto_has_two_rows_per_pair(pairwise, reviewer):
    rows = lines_of(export(reviewer, pairwise, "kto.jsonl"))
    assert len(rows) == 6
    first, second = rows[0], rows[1]
    assert (first["completion"], first["label"]) == ("4", True)
    assert (second["completion"], second["label"]) == ("5", False)
    assert first["prompt"] == second["prompt"] == "What is 2+2?"


def test_metadata_can_be_left_out(pairwise, reviewer):
    for record in lines_of(export(reviewer, pairwise, "openai_preference.jsonl", metadata="0")):
        assert set(record) == {"input", "preferred_output", "non_preferred_output"}


def test_raw_annotations_carry_pseudonym_time_review_and_gold(pairwise, reviewer, experts):
    rows = lines_of(export(reviewer, pairwise, "annotations.jsonl"))
    assert len(rows) == Annotation.objects.filter(project=pairwise).count() == 11
    gold = next(r for r in rows if r["external_id"] == "gold-0")
    assert gold["is_gold"] is True and gold["gold_answer"] == {"choice": "a", "strength": 2}
    assert gold["expert"] == experts[2].expert_profile.pseudonym
    assert gold["active_seconds"] == 60 and gold["review_status"] == "accepted"
    assert "@" not in json.dumps(rows)  # pseudonyms, never e-mail addresses


def test_items_export_has_one_row_per_item_with_all_responses(pairwise, reviewer):
    rows = lines_of(export(reviewer, pairwise, "items.jsonl"))
    assert [r["external_id"] for r in rows] == ["item-0", "item-1", "item-2", "item-3", "gold-0"]
    assert [a["response"]["choice"] for a in rows[0]["annotations"]] == ["a", "a", "b"]
    assert rows[0]["payload"]["response_a"] == "4"
    assert rows[0]["aggregate"] is None  # no quality snapshot computed yet


def test_items_export_carries_the_aggregated_label_and_confidence(pairwise, reviewer):
    from labeling.quality.services import quality_snapshot_compute

    quality_snapshot_compute(project_id=pairwise.pk, n_boot=0)
    rows = lines_of(export(reviewer, pairwise, "items.jsonl"))
    first = rows[0]["aggregate"]
    assert first["label"]["choice"] == "a"  # two of three experts chose A
    assert first["majority"]
    assert 0.5 < first["confidence"] <= 1.0
    # Rejected work does not count towards the consensus.
    counted = Annotation.objects.filter(item__external_id="item-0", item__project=pairwise).exclude(
        review_status="rejected"
    )
    assert first["n_annotations"] == counted.count()
    assert first["method"]


def test_filters_accepted_only_suspended_and_dates(pairwise, reviewer, experts):
    accepted = lines_of(export(reviewer, pairwise, "annotations.jsonl", accepted_only="1"))
    assert {r["review_status"] for r in accepted} == {"accepted"}
    assert len(accepted) == 9

    ExpertProjectStats.objects.create(
        project=pairwise, expert=experts[2], suspended_at=timezone.now()
    )
    kept = lines_of(export(reviewer, pairwise, "annotations.jsonl", exclude_suspended="1"))
    assert experts[2].expert_profile.pseudonym not in {r["expert"] for r in kept}
    assert len(kept) == 8

    old = Annotation.objects.filter(project=pairwise).order_by("id").first()
    Annotation.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=40))
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    recent = lines_of(export(reviewer, pairwise, "annotations.jsonl", since=since))
    assert old.pk not in {r["annotation_id"] for r in recent} and len(recent) == 10
    until = (timezone.now() - timedelta(days=30)).date().isoformat()
    early = lines_of(export(reviewer, pairwise, "annotations.jsonl", until=until))
    assert [r["annotation_id"] for r in early] == [old.pk]
    assert export(reviewer, pairwise, "annotations.jsonl", since="last week").status_code == 400


def test_csv_export_neutralises_formula_injection(organization, owner, reviewer, experts):
    project = live_project(organization)
    evil = item(project, '=HYPERLINK("http://x")', "P")
    annotate(evil, experts[0], {"choice": "a", "strength": 1})
    plus = item(project, "+1+1", "P")
    annotate(plus, experts[1], {"choice": "b", "strength": 2})
    profile = experts[1].expert_profile
    profile.pseudonym = "@SUM(1)"
    profile.save()
    response = export(reviewer, project, "annotations.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2
    assert rows[0]["external_id"] == '\'=HYPERLINK("http://x")'
    assert rows[1]["external_id"] == "'+1+1"
    assert rows[1]["expert"] == "'@SUM(1)"
    for cell in (c for r in rows for c in r.values()):
        assert not cell.startswith(("=", "+", "-", "@"))
    assert json.loads(rows[0]["response"]) == {"choice": "a", "strength": 1}


def test_rankings_export_for_a_ranking_project(organization, owner, reviewer, experts):
    project = live_project(
        organization,
        task_type="ranking",
        task_config={
            "k": 3,
            "allow_ties": False,
            "rationale": "none",
            "rationale_max_length": 2000,
        },
    )
    it = Item.objects.create(
        project=project,
        external_id="r-1",
        open_slots=0,
        payload={"prompt": "Rank", "responses": ["x", "y", "z"]},
    )
    annotate(it, experts[0], {"ranks": [2, 3, 1]})
    rows = lines_of(export(reviewer, project, "rankings.jsonl"))
    assert rows[0]["order"] == [2, 0, 1] and rows[0]["responses"] == ["x", "y", "z"]
    assert export(reviewer, project, "trl.jsonl").status_code == 400
    assert export(reviewer, project, "nope.jsonl").status_code == 400


def test_pairwise_project_has_no_rankings_export(pairwise, reviewer):
    assert export(reviewer, pairwise, "rankings.jsonl").status_code == 400


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("expert", 404),
        ("other_owner", 404),
        ("viewer", 403),
        ("reviewer", 200),
        ("manager", 200),
        ("owner", 200),
    ],
)
def test_who_may_export(pairwise, request, who, code):
    user = request.getfixturevalue(who)
    assert export(user, pairwise, "annotations.jsonl").status_code == code
    url = reverse("api-project-export-jobs", args=[pairwise.pk])
    response = api_as(user).post(url, {"format": "annotations.jsonl"}, format="json")
    assert response.status_code == (202 if code == 200 else code)


def test_an_expert_who_annotated_still_cannot_export(pairwise, experts):
    assert export(experts[0], pairwise, "annotations.jsonl").status_code == 404


def test_large_sync_exports_are_sent_to_a_job(pairwise, reviewer, settings):
    settings.PLUMBLINE_EXPORT_SYNC_MAX_ROWS = 3
    response = export(reviewer, pairwise, "annotations.jsonl")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "export_too_large"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_async_export_job_on_a_real_worker_and_download(
    organization, owner, reviewer, other_owner, settings, experts
):
    project = live_project(organization)
    for i in range(30):
        it = item(project, f"item-{i}", f"Q{i}?")
        annotate(it, experts[0], {"choice": "a", "strength": 3})
        annotate(it, experts[1], {"choice": "b" if i % 3 == 0 else "a", "strength": 1})
    client = api_as(reviewer)
    with running_worker() as worker:
        settings.PLUMBLINE_LABELING_IO_QUEUE = worker.queue
        response = client.post(
            reverse("api-project-export-jobs", args=[project.pk]),
            {"format": "openai_preference.jsonl", "filters": {"accepted_only": True}},
            format="json",
        )
        assert response.status_code == 202, response.content
        job_id = response.json()["id"]
        url = reverse("api-project-export-job", args=[project.pk, job_id])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            body = client.get(url).json()
            if body["status"] in ("succeeded", "failed"):
                break
            time.sleep(0.3)
    assert body["status"] == "succeeded", body
    assert body["rows_written"] == 20  # every third item is a 1–1 split: no pair
    assert body["filters"]["accepted_only"] is True
    download = reverse("api-project-export-job-download", args=[project.pk, job_id])
    response = client.get(download)
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 20
    assert all(set(json.loads(line)) == PAIR_FORMATS["openai_preference.jsonl"] for line in lines)
    assert api_as(other_owner).get(download).status_code == 404
    job = ExportJob.objects.get(pk=job_id)
    assert job.file_path.startswith(str(settings.PRIVATE_STORAGE_ROOT / "exports"))


def test_running_an_export_job_twice_writes_it_once(pairwise, reviewer):
    from labeling.exports.services import export_job_run
    from labeling.selectors.exports import ExportFilters

    job = ExportJob.objects.create(
        project=pairwise,
        requested_by=reviewer,
        export_format="annotations.csv",
        filters=ExportFilters().as_dict(),
    )
    first = export_job_run(job_id=job.pk)
    assert first.status == "succeeded" and first.rows_written == 11
    assert export_job_run(job_id=job.pk).finished_at == first.finished_at


def test_export_job_download_is_refused_until_ready(pairwise, reviewer):
    job = ExportJob.objects.create(
        project=pairwise, requested_by=reviewer, export_format="trl.jsonl"
    )
    url = reverse("api-project-export-job-download", args=[pairwise.pk, job.pk])
    assert api_as(reviewer).get(url).status_code == 409


def test_exports_page_lists_formats_and_starts_jobs(
    pairwise, reviewer, client, monkeypatch, django_capture_on_commit_callbacks
):
    from labeling.exports import services as export_services

    queued = []
    monkeypatch.setattr(export_services, "_enqueue", queued.append)
    client.force_login(reviewer)
    page = client.get(
        reverse("company_project_exports", args=[pairwise.pk]), {"accepted_only": "1"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "trl_conversational.jsonl" in html and "rankings.jsonl" not in html
    assert "accepted_only=1" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("company_project_exports", args=[pairwise.pk]),
            {"format": "kto.jsonl", "accepted_only": "1"},
        )
    assert response.status_code == 302
    job = ExportJob.objects.get(project=pairwise)
    assert queued == [job.pk] and job.filters["accepted_only"] is True
    row = client.get(reverse("company_export_job_row", args=[pairwise.pk, job.pk]))
    assert 'hx-trigger="every 2s"' in row.content.decode()


def test_viewers_do_not_get_the_exports_page(pairwise, viewer, client):
    client.force_login(viewer)
    assert client.get(reverse("company_project_exports", args=[pairwise.pk])).status_code == 403
