"""Anomaly flags: planted speeders, straight-liners, position bias, copied text, gold drops are
flagged with their evidence; good experts are not."""

import numpy as np
import pytest

from labeling.quality.stats import (
    fast_submissions,
    gold_drop_flags,
    minhash_signatures,
    near_duplicate_text_flags,
    position_bias_flags,
    speeder_flags,
    straight_lining_flags,
)
from tests.quality.synthetic import classification, constant_confusion, symmetric_confusion

N_EXPERTS = 40


def _flagged(flags):
    return sorted(f.worker for f in flags)


def test_speeder_flagged_good_experts_not():
    rng = np.random.default_rng(0)
    workers = np.repeat(np.arange(N_EXPERTS), 60)
    durations = rng.lognormal(np.log(90), 0.5, workers.size)
    durations[workers == 7] = rng.lognormal(np.log(8), 0.4, 60)  # the speeder
    some_fast = np.flatnonzero(workers == 12)[:6]  # 10% quick ones: not a pattern
    durations[some_fast] = 10.0
    flags = speeder_flags(workers, durations)
    assert _flagged(flags) == [7]
    ev = flags[0].evidence
    assert ev["share_fast"] > 0.9 and ev["n_submissions"] == 60
    assert ev["worker_median_seconds"] < 15 and 70 < ev["project_median_seconds"] < 110
    assert "median" in flags[0].message
    assert fast_submissions(durations).sum() >= 55


def test_straight_liners_flagged_against_the_base_rate():
    # Skewed truth (70% class 0): good experts answer 0 often, which is not straight-lining.
    confusion = np.stack(
        [symmetric_confusion(0.85, 3)] * (N_EXPERTS - 2)
        + [constant_confusion(0, 3), constant_confusion(1, 3)]
    )
    data = classification(
        n_items=4000,
        n_classes=3,
        overlap=3,
        confusion=confusion,
        class_probs=np.array([0.7, 0.2, 0.1]),
        seed=3,
    )
    flags = straight_lining_flags(data.workers, data.labels, 3)
    assert _flagged(flags) == [N_EXPERTS - 2, N_EXPERTS - 1]
    by_worker = {f.worker: f.evidence for f in flags}
    assert by_worker[N_EXPERTS - 1]["label"] == 1
    assert by_worker[N_EXPERTS - 1]["share"] == 1.0
    # Good experts answer 1 at 0.2 * 0.85 + 0.8 * 0.075 = 0.23 and 0 at about 0.62.
    assert by_worker[N_EXPERTS - 1]["base_rate"] == pytest.approx(0.23, abs=0.03)
    assert by_worker[N_EXPERTS - 2]["base_rate"] == pytest.approx(0.62, abs=0.03)


def test_position_bias_flagged_good_experts_not():
    rng = np.random.default_rng(4)
    n = 80
    workers = np.repeat(np.arange(N_EXPERTS), n)
    better = rng.integers(0, 2, workers.size)  # display order randomised: truth balanced
    right = rng.random(workers.size) < 0.8
    choices = np.where(right, better, 1 - better)
    biased = workers == 21
    choices[biased] = np.where(rng.random(n) < 0.85, 0, 1)  # picks A 85% of the time
    choices[rng.random(workers.size) < 0.05] = 2  # a few ties, ignored
    flags = position_bias_flags(workers, choices)
    assert _flagged(flags) == [21]
    assert flags[0].evidence["first_rate"] > 0.75
    assert "first" in flags[0].message


WORDS = np.array(
    [
        "the",
        "model",
        "answer",
        "cites",
        "source",
        "claims",
        "evidence",
        "accurate",
        "misleading",
        "response",
        "reasoning",
        "step",
        "correct",
        "error",
        "summary",
        "detail",
        "missing",
        "tone",
        "helpful",
        "harmful",
        "code",
        "test",
        "output",
        "fails",
        "passes",
        "assumption",
        "user",
        "request",
        "context",
        "complete",
        "partial",
        "unclear",
        "policy",
        "safe",
        "risk",
    ]
)


def _text(rng, n_words=25):
    return " ".join(rng.choice(WORDS, n_words))


def test_near_duplicate_text_across_experts():
    rng = np.random.default_rng(5)
    texts, workers = [], []
    for w in range(12):
        for _ in range(15):
            texts.append(_text(rng))
            workers.append(w)
        texts.append("Looks good to me.")  # short and common: never evidence
        workers.append(w)
    originals = [i for i, w in enumerate(workers) if w == 3][:5]
    for i in originals:  # expert 9 pastes expert 3's rationales with a small edit
        texts.append(texts[i].upper().replace(" ", "  ", 1) + " ok")
        workers.append(9)
    texts.append(texts[originals[0]])  # expert 3 reuses their own text: not across experts
    workers.append(3)
    result = near_duplicate_text_flags(texts, np.array(workers))
    assert _flagged(result.flags) == [3, 9]
    ev = {f.worker: f.evidence for f in result.flags}
    assert ev[9]["partners"] == (3,) and ev[9]["n_duplicates"] == 5
    assert ev[3]["n_duplicates"] == 6  # five originals plus its own reuse, in those clusters
    assert len(result.clusters) == 5
    assert all(c.workers == (3, 9) for c in result.clusters)


def test_minhash_agreement_estimates_jaccard():
    rng = np.random.default_rng(11)

    def shingles(text):
        t = " ".join(text.lower().split())
        return {t[i : i + 5] for i in range(len(t) - 4)}

    errors = []
    for _ in range(200):
        a = list(rng.choice(WORDS, 30))
        b = list(a)
        for q in rng.choice(30, rng.integers(1, 20), replace=False):
            b[q] = rng.choice(WORDS)
        ta, tb = " ".join(a), " ".join(b)
        truth = len(shingles(ta) & shingles(tb)) / len(shingles(ta) | shingles(tb))
        sig = minhash_signatures([ta, tb], n_perm=64)
        errors.append((sig[0] == sig[1]).mean() - truth)
    assert abs(np.mean(errors)) < 0.02  # unbiased
    assert np.std(errors) < 0.08  # about sqrt(J(1-J)/64)


def test_near_duplicate_text_threshold_and_nothing_to_flag():
    rng = np.random.default_rng(6)
    texts = [_text(rng) for _ in range(60)]
    workers = np.arange(60) % 6
    assert near_duplicate_text_flags(texts, workers).flags == []
    assert near_duplicate_text_flags(["short", "short"], [0, 1]).flags == []


def test_gold_drop_flagged_steady_experts_not():
    rng = np.random.default_rng(7)
    n = 80
    workers = np.repeat(np.arange(N_EXPERTS), n)
    order = np.tile(np.arange(n), N_EXPERTS) + rng.random(workers.size)  # timestamps
    correct = rng.random(workers.size) < 0.88
    drop = (workers == 30) & (order >= n - 20)
    correct[drop] = rng.random(drop.sum()) < 0.35
    shuffle = rng.permutation(workers.size)  # input order must not matter
    flags = gold_drop_flags(workers[shuffle], correct[shuffle], order[shuffle])
    assert _flagged(flags) == [30]
    ev = flags[0].evidence
    assert ev["n_recent"] == 20 and ev["n_before"] == 60
    assert ev["accuracy_before"] - ev["accuracy_recent"] > 0.3
