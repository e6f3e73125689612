"""The quality loader reads the same codes through both of its paths: PostgreSQL's server-side
cursor with JSON operators, and the ORM + Python fallback the SQLite demo uses. Both run here on
PostgreSQL over the same rows, including answers of the wrong JSON type."""

import numpy as np
import pytest

from demo.seed.labeling import populate_project
from demo.seed.marketplace import PROJECTS
from labeling.models import Annotation
from labeling.quality import encode
from tests.factories import ExpertFactory
from tests.labeling.factories import live_project

CONFIGS = {spec["task_type"]: spec["task_config"] for _, spec in PROJECTS}
# Answers a client could send that the decoders must treat identically (mostly: missing).
ODD_RESPONSES = [
    {},
    {"choice": 1, "criteria": ["a"], "ranks": {"0": 1}, "label": True, "labels": "urgent"},
    {"criteria": {"safety": None}, "scores": {"accuracy": {"score": "3"}}, "ranks": [1.0, "2"]},
    {"scores": {"accuracy": 4.0, "tone": {"nope": 1}}, "labels": {"urgent": 1}, "steps": "x"},
    {"task_success": ["success"], "steps": [{"step": 0, "rating": 9}, {"step": "1"}]},
    {"labels": ["urgent", 3, None], "text": 12},
]


def _load_both(project, monkeypatch):
    fast = encode.project_data_load(project, chunk_size=37)
    with monkeypatch.context() as m:
        m.setattr(encode, "connection", type("Vendor", (), {"vendor": "sqlite"})())
        portable = encode.project_data_load(project, chunk_size=37)
    return fast, portable


def _assert_same(a, b):
    # The PostgreSQL cursor has no ORDER BY: compare annotations sorted by (item, expert).
    oa = np.lexsort((a.ann_expert, a.ann_item))
    ob = np.lexsort((b.ann_expert, b.ann_item))
    inv_b = np.argsort(ob)
    assert a.n_annotations == b.n_annotations > 0
    assert a.last_annotation_id == b.last_annotation_id
    for name in ("ann_item", "ann_expert", "ann_seconds", "ann_time", "ann_gold_correct"):
        np.testing.assert_allclose(getattr(a, name)[oa], getattr(b, name)[ob], err_msg=name)
    assert a.codes.keys() == b.codes.keys()
    for key in a.codes:
        np.testing.assert_array_equal(a.codes[key][oa], b.codes[key][ob], err_msg=key)
    rank_a = np.argsort(oa)
    for key, (ann, sub, code) in a.multi.items():
        ann_b, sub_b, code_b = b.multi[key]
        left = sorted(zip(rank_a[ann].tolist(), sub.tolist(), code.tolist(), strict=True))
        right = sorted(zip(inv_b[ann_b].tolist(), sub_b.tolist(), code_b.tolist(), strict=True))
        assert left == right, key
    left = sorted(zip(rank_a[a.text_ann].tolist(), a.texts, strict=True))
    right = sorted(zip(inv_b[b.text_ann].tolist(), b.texts, strict=True))
    assert left == right
    for k in range(4):
        assert len(a.comparisons[k]) == len(b.comparisons[k])


@pytest.mark.django_db
@pytest.mark.parametrize("task_type", sorted(CONFIGS))
def test_postgres_and_portable_loaders_decode_identically(task_type, organization, monkeypatch):
    project = live_project(
        organization, task_type=task_type, task_config=CONFIGS[task_type], overlap=2
    )
    experts = [ExpertFactory() for _ in range(4)]
    populate_project(project, experts, n_items=12, n_gold=3, seed=7)
    for annotation, response in zip(
        Annotation.objects.filter(project=project).order_by("id"), ODD_RESPONSES, strict=False
    ):
        annotation.response = response
        annotation.save(update_fields=["response"])
    fast, portable = _load_both(project, monkeypatch)
    assert [s.key for s in fast.specs] == [s.key for s in portable.specs]
    _assert_same(fast, portable)
    # The JSON columns are decoded on PostgreSQL too (Django loads jsonb as text).
    if task_type == "trajectory":
        assert fast.multi["step_rating"][0].size > 0
    if task_type == "free_text":
        assert sum(bool(t) for t in fast.texts) > len(ODD_RESPONSES)


def test_python_readers_follow_the_jsonb_operators():
    assert encode._text("a") == "a"
    assert encode._text(3) == "3"
    assert encode._text(3.0) == "3.0"
    assert encode._text(True) == "true"
    assert encode._text(None) is None
    assert encode._text({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert encode._get([1], "a") is None
    assert encode._at({"0": 1}, 0) is None
    assert encode._at([5, 6], 1) == 6
    assert encode._at([5], 3) is None
    assert encode._has(["x", 1], "x") and not encode._has(["1"], "y")
    assert encode._has({"x": None}, "x") and encode._has("x", "x") and not encode._has(None, "x")
