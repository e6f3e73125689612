"""Retiring a bad gold item removes it from every expert's gold record at once."""

import pytest
from django.urls import reverse

from labeling.models import ExpertProjectStats, Item
from tests.conftest import api_as
from tests.quality.test_quality_snapshot import compute, pairwise_project

pytestmark = pytest.mark.django_db


def test_retiring_a_gold_item_everyone_misses_rescores_and_it_tops_the_missed_list(
    organization, manager
):
    project, experts, items = pairwise_project(organization)
    bad = next(i for i in items if i.is_gold)
    # The gold answer is wrong: nobody's answer can match it.
    Item.objects.filter(pk=bad.pk).update(gold_answer={"choice": "tie", "strength": 2})
    from labeling.models import Annotation

    Annotation.objects.filter(item=bad).update(gold_correct=False)
    from django.db import transaction

    from labeling.quality.services import gold_rescore

    with transaction.atomic():
        gold_rescore(project=project)
    before = {
        s.expert_id: (s.gold_seen, s.gold_correct)
        for s in ExpertProjectStats.objects.filter(project=project)
    }
    snapshot = compute(project)
    assert snapshot.data["gold"]["most_missed"][0]["item_id"] == bad.pk

    url = reverse("api-project-quality-gold-retire", args=[project.pk, bad.pk])
    response = api_as(manager).post(url, {"retire": True, "reason": "wrong answer"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["gold_retired"] is True
    after = {
        s.expert_id: (s.gold_seen, s.gold_correct, s.trust_lower)
        for s in ExpertProjectStats.objects.filter(project=project)
    }
    for expert in experts:
        seen, correct = before[expert.pk]
        assert after[expert.pk][:2] == (seen - 1, correct)
        assert after[expert.pk][2] is not None
    snapshot = compute(project)
    assert snapshot.data["gold"]["coverage"]["retired_gold_items"] == 1
    assert all(m["item_id"] != bad.pk for m in snapshot.data["gold"]["most_missed"])

    # Retiring twice is refused; restoring puts it back into the records.
    assert api_as(manager).post(url, {"retire": True}, format="json").status_code == 409
    assert api_as(manager).post(url, {"retire": False}, format="json").status_code == 200
    restored = {
        s.expert_id: (s.gold_seen, s.gold_correct)
        for s in ExpertProjectStats.objects.filter(project=project)
    }
    assert restored == before
