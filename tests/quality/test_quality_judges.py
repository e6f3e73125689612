"""Judge-verdict upload (all or nothing, errors by line) and the calibration report."""

import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.exceptions import ValidationFailed
from demo.seed.labeling import judge_jsonl_pairwise, populate_project
from labeling.models import Annotation, JudgeVerdict
from labeling.quality import services
from tests.conftest import api_as
from tests.factories import ExpertFactory
from tests.labeling.factories import live_project
from tests.quality.test_quality_snapshot import compute, pairwise_project

pytestmark = pytest.mark.django_db


def verdict(choice):
    return {"choice": choice, "strength": 2, "criteria": {"safety": choice, "clarity": choice}}


def consensus_jsonl(project, judge="copycat"):
    """A judge that copies the experts' majority on every regular item."""
    lines = []
    for item in project.items.filter(is_gold=False):
        choices = list(
            Annotation.objects.filter(item=item).values_list("response__choice", flat=True)
        )
        values, counts = np.unique(choices, return_counts=True)
        top = values[counts.argmax()]
        lines.append(
            {"external_id": item.external_id, "judge": judge, "verdict": verdict(str(top))}
        )
    return "\n".join(json.dumps(x) for x in lines).encode()


def test_a_bad_line_rejects_the_whole_file_with_line_numbers(organization, manager):
    project, _, items = pairwise_project(organization, n_items=10, n_gold=0, n_experts=4)
    good = json.dumps({"external_id": items[0].external_id, "judge": "j", "verdict": verdict("a")})
    lines = [
        good,
        "{not json",
        json.dumps({"external_id": "nope", "judge": "j", "verdict": verdict("a")}),
        json.dumps(
            {"external_id": items[1].external_id, "judge": "j", "verdict": {"choice": "maybe"}}
        ),
        "",
        json.dumps({"external_id": items[2].external_id, "verdict": verdict("b")}),
    ]
    upload = SimpleUploadedFile("v.jsonl", "\n".join(lines).encode())
    response = api_as(manager).post(
        reverse("api-project-quality-judges", args=[project.pk]),
        {"file": upload},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"line 2", "line 3", "line 4", "line 6"}
    assert "Not valid JSON" in fields["line 2"][0]
    assert "nope" in fields["line 3"][0]
    assert "/choice" in fields["line 4"][0]
    assert "judge" in fields["line 6"][0]
    assert not JudgeVerdict.objects.exists()

    upload = SimpleUploadedFile("v.jsonl", good.encode())
    response = api_as(manager).post(
        reverse("api-project-quality-judges", args=[project.pk]),
        {"file": upload},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["n_verdicts"] == 1 and response.json()["judges"] == ["j"]


def test_a_judge_that_copies_the_consensus_is_usable_because_it_passes_the_test(
    organization, owner
):
    project, _, _ = pairwise_project(organization)
    services.judge_verdicts_import(
        project=project, user=owner, content=consensus_jsonl(project), recompute=False
    )
    snapshot = compute(project)
    judge = snapshot.data["judges"][0]
    overall = judge["criteria"][0]
    assert overall["key"] == "overall"
    assert overall["kappa"]["value"] > 0.95
    assert overall["alt_test"]["passed"] is True
    assert overall["usable"] is True
    assert overall["verdict"].startswith("judge copycat on 'Overall preference': κ=")
    assert overall["verdict"].endswith(": usable")
    assert sum(map(sum, overall["confusion"])) == overall["n_verdicts"]

    # The report API and page show it.
    body = api_as(owner).get(reverse("api-project-quality-judge-report", args=[project.pk])).json()
    assert body["judges"][0]["name"] == "copycat"


def test_high_kappa_without_the_alternative_annotator_test_is_not_usable(organization, owner):
    """Overlap 2: the test needs three experts per item, so even a perfect copy is not
    declared usable."""
    project = live_project(
        organization,
        task_type="pairwise",
        overlap=2,
        task_config={
            "allow_tie": True,
            "strength": True,
            "criteria": [],
            "rationale": "optional",
            "rationale_max_length": 2000,
        },
    )
    experts = [ExpertFactory() for _ in range(5)]
    populate_project(project, experts, n_items=80, n_gold=0, seed=9)
    lines = []
    for item in project.items.all():
        choices = list(
            Annotation.objects.filter(item=item).values_list("response__choice", flat=True)
        )
        lines.append(
            {
                "external_id": item.external_id,
                "judge": "copycat",
                "verdict": {"choice": choices[0], "strength": 2},
            }
        )
    services.judge_verdicts_import(
        project=project,
        user=owner,
        content="\n".join(json.dumps(x) for x in lines).encode(),
        recompute=False,
    )
    overall = compute(project).data["judges"][0]["criteria"][0]
    assert overall["kappa"]["value"] > 0.7
    assert "not_enough" in overall["alt_test"]
    assert overall["usable"] is False and "not usable" in overall["verdict"]


def test_swapped_verdicts_reveal_a_position_biased_judge(organization, owner):
    project, _, items = pairwise_project(organization)
    services.judge_verdicts_import(
        project=project, user=owner, content=judge_jsonl_pairwise(items), recompute=False
    )
    judges = {j["name"]: j for j in compute(project).data["judges"]}
    biased = judges["first-position-judge"]["criteria"][0]
    careful = judges["careful-judge"]["criteria"][0]
    assert biased["swap"]["biased"] is True and biased["swap"]["direction"] == "first"
    assert biased["swap"]["position_bias_rate"]["value"] > 0.4
    assert "position bias" in biased["verdict"] and biased["usable"] is False
    assert careful["swap"]["biased"] is False
    assert careful["swap"]["consistency"]["value"] > 0.85


def test_swapped_verdicts_are_refused_outside_pairwise(organization, owner):
    project = live_project(
        organization,
        task_type="classification",
        task_config={
            "labels": [{"key": "x", "label": "X"}, {"key": "y", "label": "Y"}],
            "multi": False,
            "allow_none": False,
        },
    )
    populate_project  # noqa: B018 - classification items need no annotations here
    from labeling.models import Item

    Item.objects.create(project=project, external_id="t1", payload={"text": "hi"}, open_slots=1)
    line = json.dumps(
        {
            "external_id": "t1",
            "judge": "j",
            "verdict": {"label": "x"},
            "swapped_verdict": {"label": "y"},
        }
    )
    with pytest.raises(ValidationFailed) as exc:
        services.judge_verdicts_import(
            project=project, user=owner, content=line.encode(), recompute=False
        )
    assert "only for pairwise" in exc.value.fields["line 1"][0]
