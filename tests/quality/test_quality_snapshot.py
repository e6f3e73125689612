"""Quality snapshots: computed by a Celery worker, read (never computed) by pages and the API;
planted anomalies are flagged with evidence, careful experts are not."""

import time

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.seed.labeling import populate_project
from labeling.models import QualityFlag, QualitySnapshot
from labeling.quality import selectors, services
from marketplace.models import ProjectStatus
from tests.conftest import api_as
from tests.factories import ExpertFactory
from tests.labeling.factories import live_project

PAIRWISE_CONFIG = {
    "allow_tie": True,
    "strength": True,
    "rationale": "optional",
    "rationale_max_length": 2000,
    "criteria": [
        {"key": "safety", "label": "Clinical safety"},
        {"key": "clarity", "label": "Clarity"},
    ],
}


def pairwise_project(organization, *, n_items=120, n_gold=10, n_experts=10, seed=3):
    project = live_project(
        organization, task_type="pairwise", task_config=PAIRWISE_CONFIG, overlap=3
    )
    experts = [ExpertFactory() for _ in range(n_experts)]
    items = populate_project(
        project,
        experts,
        n_items=n_items,
        n_gold=n_gold,
        seed=seed,
        speeder=experts[-1],
        biased=experts[-2],
    )
    return project, experts, items


def compute(project):
    return services.quality_snapshot_compute(project_id=project.pk, n_boot=200)


@pytest.mark.django_db(transaction=True)
def test_the_beat_sweep_queues_a_snapshot_that_a_real_worker_computes(organization):
    from tests.worker import running_worker

    project, _, _ = pairwise_project(organization, n_items=40, n_gold=5, n_experts=6)
    assert selectors.quality_projects_dirty() == [project.pk]
    with running_worker() as worker:
        settings.PLUMBLINE_QUALITY_QUEUE = worker.queue
        try:
            assert services.quality_snapshots_sweep() == [project.pk]
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not QualitySnapshot.objects.exists():
                time.sleep(0.3)
        finally:
            del settings.PLUMBLINE_QUALITY_QUEUE
    snapshot = QualitySnapshot.objects.get(project=project)
    assert snapshot.n_annotations == 40 * 3 + 5 * 6
    assert snapshot.data["criteria"][0]["key"] == "overall"
    assert "value" in snapshot.data["criteria"][0]["alpha"]
    # Nothing new since: the sweep finds nothing to do.
    assert selectors.quality_projects_dirty() == []


@pytest.mark.django_db
def test_planted_speeder_and_position_biased_expert_are_flagged_with_evidence(organization):
    project, experts, _ = pairwise_project(organization)
    compute(project)
    flags = {(f.expert_id, f.kind): f for f in QualityFlag.objects.filter(project=project)}
    speeder, biased = experts[-1], experts[-2]
    assert set(flags) == {(speeder.pk, "speeder"), (biased.pk, "position_bias")}
    ev = flags[(speeder.pk, "speeder")].evidence
    assert ev["share_fast"] > 0.9 and ev["worker_median_seconds"] < ev["project_median_seconds"]
    ev = flags[(biased.pk, "position_bias")].evidence
    assert ev["first_rate"] > 0.8 and ev["n_comparisons"] >= 20
    assert all(f.status == QualityFlag.Status.OPEN for f in flags.values())
    # A second computation refreshes the open flags instead of duplicating them.
    compute(project)
    assert QualityFlag.objects.filter(project=project).count() == 2


@pytest.mark.django_db
def test_a_flag_opens_a_review_and_suspends_nobody(organization, manager):
    from labeling.models import ExpertProjectStats

    project, experts, _ = pairwise_project(organization)
    compute(project)
    flag = QualityFlag.objects.get(project=project, kind="speeder")
    assert not ExpertProjectStats.objects.filter(
        project=project, suspended_at__isnull=False
    ).exists()
    url = reverse("api-project-quality-flag-review", args=[project.pk, flag.pk])
    response = api_as(manager).post(
        url, {"status": "dismissed", "note": "new to the tool"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "dismissed"
    compute(project)  # the same pattern is not raised again right after a review
    assert not QualityFlag.objects.filter(project=project, kind="speeder", status="open").exists()


@pytest.mark.django_db
def test_aggregated_labels_reach_exports_with_confidence(organization):
    project, _, items = pairwise_project(organization, n_items=30, n_gold=5, n_experts=6)
    compute(project)
    labels = list(selectors.aggregated_labels_for_export(project=project))
    assert len(labels) == 35
    assert [x.item_id for x in labels] == sorted(x.item_id for x in labels)
    first = labels[0]
    assert first.label["choice"] in {"a", "b", "tie"}
    assert set(first.label["criteria"]) == {"safety", "clarity"}
    assert 0 < first.confidence <= 1 and first.method == "dawid_skene"
    assert first.n_annotations == 3


@pytest.mark.django_db
def test_dashboard_and_api_read_the_snapshot_in_constant_queries_without_computing(
    organization, owner, client, monkeypatch
):
    small, _, _ = pairwise_project(organization, n_items=20, n_gold=5, n_experts=6, seed=1)
    large, _, _ = pairwise_project(organization, n_items=150, n_gold=10, n_experts=10, seed=2)
    compute(small)
    compute(large)

    def boom(*args, **kwargs):
        raise AssertionError("a page computed statistics")

    monkeypatch.setattr("labeling.quality.compute.snapshot_compute", boom)
    monkeypatch.setattr("labeling.quality.services.snapshot_compute", boom)
    monkeypatch.setattr("labeling.quality.services.project_data_load", boom)
    client.force_login(owner)
    counts = []
    for project in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("quality_dashboard", args=[project.pk]))
        assert response.status_code == 200
        body = response.content.decode()
        assert body.count("<svg") >= 5 and 'role="img"' in body and "style=" not in body
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[0] <= 12, counts
    api = api_as(owner)
    for name in (
        "api-project-quality",
        "api-project-quality-experts",
        "api-project-quality-gold",
        "api-project-quality-judge-report",
    ):
        response = api.get(reverse(name, args=[large.pk]))
        assert response.status_code == 200, (name, response.content)
    body = api.get(reverse("api-project-quality", args=[large.pk])).json()
    assert body["criteria"][0]["alpha"]["n_items"] > 100
    assert body["ranking"][0]["entities"][0]["name"] == "medassist-v2"


@pytest.mark.django_db
def test_dashboard_before_any_snapshot_says_so(organization, owner, client):
    project = live_project(organization)
    assert project.status == ProjectStatus.LIVE
    client.force_login(owner)
    response = client.get(reverse("quality_dashboard", args=[project.pk]))
    assert response.status_code == 200
    assert b"No quality figures yet" in response.content
