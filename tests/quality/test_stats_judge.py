"""LLM-as-judge calibration: kappa against the consensus, the alt-test (against a direct port of
the paper's procedure), Benjamini–Yekutieli (against statsmodels), swapped-pair position bias."""

import numpy as np
import pytest
from scipy.stats import ttest_1samp
from statsmodels.stats.multitest import multipletests

from labeling.quality.stats import (
    AltTestResult,
    Estimate,
    NotEnoughData,
    alternative_annotator_test,
    benjamini_yekutieli,
    judge_calibration,
    majority_vote,
    swap_consistency,
)
from tests.quality.synthetic import classification, symmetric_confusion

N_ITEMS = 400


@pytest.fixture(scope="module")
def panel():
    """8 experts (accuracy 0.8), 4 per item, 3 classes."""
    confusion = np.stack([symmetric_confusion(0.8, 3)] * 8)
    return classification(n_items=N_ITEMS, n_classes=3, overlap=4, confusion=confusion, seed=10)


def _judge(panel, accuracy, seed):
    rng = np.random.default_rng(seed)
    right = rng.random(N_ITEMS) < accuracy
    wrong = (panel.truth + rng.integers(1, 3, N_ITEMS)) % 3
    return np.arange(N_ITEMS), np.where(right, panel.truth, wrong)


def _calibrate(panel, judge_labels, **kw):
    return judge_calibration(
        panel.items, panel.workers, panel.labels, np.arange(N_ITEMS), judge_labels, 3, **kw
    )


def test_judge_copying_the_consensus_has_kappa_one(panel):
    consensus = majority_vote(panel.items, panel.labels, 3, seed=0).labels
    result = _calibrate(panel, consensus, n_boot=300)
    assert isinstance(result.kappa, Estimate)
    assert result.kappa.value == pytest.approx(1.0)
    assert result.agreement.value == pytest.approx(1.0)
    off_diagonal = result.confusion - np.diag(np.diag(result.confusion))
    assert off_diagonal.sum() == 0
    assert result.confusion.sum() == result.kappa.n_items < N_ITEMS  # tied items left out


def test_random_judge_has_kappa_zero(panel):
    rng = np.random.default_rng(3)
    result = _calibrate(panel, rng.integers(0, 3, N_ITEMS), n_boot=300)
    assert abs(result.kappa.value) < 0.08
    assert result.kappa.ci_low < 0 < result.kappa.ci_high
    assert isinstance(result.alt_test, AltTestResult)
    assert not result.alt_test.passed
    assert not result.usable
    assert "fails the alternative annotator test" in result.reasons[0]


def test_strong_judge_is_usable_and_the_verdict_says_so(panel):
    _, labels = _judge(panel, 0.97, seed=1)
    result = _calibrate(panel, labels, n_boot=300)
    assert result.alt_test.passed and result.alt_test.winning_rate >= 0.5
    assert result.expert_ceiling == pytest.approx(0.49, abs=0.08)  # 0.8-accurate experts
    assert result.kappa.ci_low >= result.expert_ceiling
    assert result.usable and result.reasons == ()
    text = result.verdict("gpt-x", "factuality")
    assert text.startswith("judge gpt-x on 'factuality': κ=")
    assert "experts among themselves" in text
    assert f"passes the test for {result.alt_test.n_wins} of 8 experts" in text
    assert text.endswith(": usable")


def test_weak_judge_is_not_usable(panel):
    _, labels = _judge(panel, 0.6, seed=2)
    result = _calibrate(panel, labels, n_boot=200)
    assert not result.usable
    assert "not usable" in result.verdict("small-judge", "factuality")


def test_kappa_rule_can_fail_even_when_the_alt_test_passes(panel):
    _, labels = _judge(panel, 0.97, seed=1)
    result = _calibrate(panel, labels, n_boot=200, epsilon=0.2, min_items=10)
    strict = judge_calibration(
        panel.items, panel.workers, panel.labels, np.arange(N_ITEMS), labels, 3,
        consensus=np.where(np.arange(N_ITEMS) % 2 == 0, (panel.truth + 1) % 3, panel.truth),
        n_boot=200,
    )  # fmt: skip
    assert result.usable
    assert strict.alt_test.passed and not strict.usable
    assert "below the experts'" in strict.reasons[0]


# --- the alt-test against a direct port of the published procedure -------------------------


def _reference_alt_test(humans, llm, epsilon, q, min_humans, min_instances, scoring):
    """Loop implementation following Calderon, Reichart & Dror (2025), Algorithm 1."""

    def score(pred, anns):
        if scoring == "accuracy":
            return float(np.mean([pred == a for a in anns]))
        return -float(np.sqrt(np.mean([(pred - a) ** 2 for a in anns])))

    h_set = {}
    for h, anns in humans.items():
        for i in anns:
            h_set.setdefault(i, []).append(h)
    keep = {i for i, hs in h_set.items() if len(hs) >= min_humans and i in llm}
    p_values, rhos, tested = [], [], []
    for h in sorted(humans):
        instances = [i for i in humans[h] if i in keep]
        if len(instances) < min_instances:
            continue
        w_f, w_h = [], []
        for i in instances:
            rest = [humans[o][i] for o in h_set[i] if o != h]
            s_h, s_f = score(humans[h][i], rest), score(llm[i], rest)
            w_f.append(1 if s_f >= s_h else 0)
            w_h.append(1 if s_h >= s_f else 0)
        d = [a - b for a, b in zip(w_h, w_f, strict=True)]
        p_values.append(ttest_1samp(d, epsilon, alternative="less").pvalue)
        rhos.append(np.mean(w_f))
        tested.append(h)
    p = np.array(p_values)
    order = np.argsort(p)
    m = len(p)
    thresholds = np.arange(1, m + 1) / m * q / np.sum(1.0 / np.arange(1, m + 1))
    max_i = -1
    for k in range(m):
        if p[order[k]] <= thresholds[k]:
            max_i = k
    rejected = np.zeros(m, bool)
    rejected[order[: max_i + 1]] = True
    return tested, p, rejected, float(np.mean(rejected)), float(np.mean(rhos))


@pytest.mark.parametrize("scoring", ["accuracy", "neg_rmse"])
@pytest.mark.parametrize(("accuracy", "min_humans"), [(0.97, 3), (0.85, 2), (0.7, 3)])
def test_alt_test_equals_reference_procedure(panel, scoring, accuracy, min_humans):
    ji, jl = _judge(panel, accuracy, seed=5)
    keep = np.random.default_rng(0).random(panel.items.size) > 0.15  # uneven overlap
    items, workers, labels = panel.items[keep], panel.workers[keep], panel.labels[keep]
    humans = {}
    for i, w, lab in zip(items, workers, labels, strict=True):
        humans.setdefault(int(w), {})[int(i)] = int(lab)
    llm = {int(i): int(lab) for i, lab in zip(ji, jl, strict=True)}
    tested, p, rejected, omega, rho = _reference_alt_test(
        humans, llm, 0.2, 0.05, min_humans, 30, scoring
    )
    ours = alternative_annotator_test(
        items, workers, labels, ji, jl,
        n_classes=3, scoring=scoring, min_experts_per_item=min_humans,
    )  # fmt: skip
    np.testing.assert_array_equal(ours.experts, tested)
    np.testing.assert_allclose(ours.p_values, p, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.wins, rejected)
    assert ours.winning_rate == pytest.approx(omega)
    assert ours.advantage_probability == pytest.approx(rho)
    assert ours.passed == (omega >= 0.5)


def test_alt_test_needs_three_experts_per_item(panel):
    two_per_item = np.r_[True, np.diff(panel.items) != 0]
    two_per_item |= np.r_[False, two_per_item[:-1]]
    sub = two_per_item  # the first two annotations of every item
    result = alternative_annotator_test(
        panel.items[sub], panel.workers[sub], panel.labels[sub], *_judge(panel, 0.9, seed=0)
    )
    assert isinstance(result, NotEnoughData)


def test_benjamini_yekutieli_equals_statsmodels():
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = np.r_[rng.uniform(0, 0.01, rng.integers(0, 6)), rng.uniform(0, 1, rng.integers(1, 9))]
        expected = multipletests(p, alpha=0.05, method="fdr_by")[0]
        np.testing.assert_array_equal(benjamini_yekutieli(p, 0.05), expected)
    assert benjamini_yekutieli([np.nan, 0.0001], 0.05).tolist() == [False, True]


# --- position bias from swapped pairs -----------------------------------------------------


def _swapped_verdicts(rng, n, noise, bias):
    better = rng.integers(0, 2, n)  # position of the better response in the original order
    original = better.copy()
    swapped = 1 - better
    noisy = rng.random(n) < noise  # honest noise: random position each time
    original[noisy] = rng.integers(0, 2, noisy.sum())
    swapped[noisy] = rng.integers(0, 2, noisy.sum())
    lazy = rng.random(n) < bias  # position bias: "A" whatever is shown
    original[lazy] = 0
    swapped[lazy] = 0
    return original, swapped


def test_swapped_verdicts_reveal_planted_position_bias():
    rng = np.random.default_rng(8)
    original, swapped = _swapped_verdicts(rng, 400, noise=0.2, bias=0.3)
    result = swap_consistency(original, swapped)
    assert result.biased and result.direction == "first"
    assert result.same_position.value == pytest.approx(0.3 + 0.7 * 0.2 / 2, abs=0.06)
    assert result.first_share > 0.8
    assert result.consistency.ci_low < result.consistency.value < result.consistency.ci_high


def test_noisy_but_unbiased_judge_is_not_flagged():
    rng = np.random.default_rng(9)
    original, swapped = _swapped_verdicts(rng, 400, noise=0.4, bias=0.0)
    result = swap_consistency(original, swapped)
    assert not result.biased and result.direction is None
    assert result.same_position.value == pytest.approx(0.2, abs=0.06)
    ties = swap_consistency(np.full(30, 2), np.full(30, 2))
    assert ties.consistency.value == 1.0 and not ties.biased
    assert isinstance(swap_consistency([0, 1], [1, 0]).consistency, NotEnoughData)
