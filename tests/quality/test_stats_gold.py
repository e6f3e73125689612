"""Gold performance: Wilson intervals, beta posteriors, most-missed gold items."""

import numpy as np
import pytest
from scipy.stats import beta
from statsmodels.stats.proportion import proportion_confint

from labeling.quality.stats import (
    Estimate,
    NotEnoughData,
    gold_accuracy,
    most_missed_gold,
    prob_below,
    wilson_interval,
)


def test_wilson_equals_statsmodels():
    k = np.array([0, 1, 5, 17, 20, 49, 50])
    n = np.array([10, 10, 12, 20, 20, 50, 50])
    low, high = wilson_interval(k, n, 0.95)
    ref_low, ref_high = proportion_confint(k, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(low, ref_low, atol=1e-12)
    np.testing.assert_allclose(high, ref_high, atol=1e-12)
    low90, _ = wilson_interval(k, n, 0.90)
    assert np.all(low90 >= low)
    empty_low, _ = wilson_interval([0], [0])
    assert np.isnan(empty_low[0])


def test_prob_below_is_the_beta_posterior():
    # Beta(1, 1) prior, 18 of 20 right: posterior Beta(19, 3).
    assert prob_below(18, 20, 0.7) == pytest.approx(beta.cdf(0.7, 19, 3))
    assert prob_below(2, 20, 0.7) > 0.99
    assert prob_below(0, 0, 0.7) == pytest.approx(0.7)  # the prior alone


def test_gold_accuracy_per_expert():
    rng = np.random.default_rng(0)
    planted = np.array([0.95, 0.9, 0.6, 0.4])
    workers = np.repeat(np.arange(4), 200)
    correct = rng.random(800) < planted[workers]
    workers = np.r_[workers, [4, 4, 4]]  # expert 4: only three gold answers
    correct = np.r_[correct, [True, True, False]]
    result = gold_accuracy(workers, correct, threshold=0.7, min_items=5)
    for w in range(4):
        est = result.accuracy.get(w)
        assert isinstance(est, Estimate)
        assert est.ci_low <= planted[w] <= est.ci_high
        assert est.n_items == 200
    assert isinstance(result.accuracy.get(4), NotEnoughData)
    assert result.accuracy.get(4).n_items == 3
    assert result.p_below_threshold[0] < 0.01 and result.p_below_threshold[3] > 0.99
    assert result.n_correct[4] == 2


def test_most_missed_gold_ranks_the_bad_gold_item_first():
    rng = np.random.default_rng(1)
    items = rng.integers(0, 50, 3000)
    correct = rng.random(3000) < 0.9
    answers = np.where(correct, 0, rng.integers(1, 4, 3000))
    bad = items == 17  # wrong gold answer: most experts "miss" it, nearly all answering 2
    correct[bad] = rng.random(bad.sum()) < 0.15
    answers[bad] = np.where(correct[bad], 0, 2)
    missed = most_missed_gold(items, correct, answers=answers, n_classes=4, top=5)
    assert len(missed) == 5
    assert missed[0].item == 17
    assert missed[0].most_common_wrong == 2
    assert missed[0].miss_rate > 0.7
    assert missed[0].ci_low < missed[0].miss_rate < missed[0].ci_high
    rates = [m.miss_rate for m in missed]
    assert rates == sorted(rates, reverse=True)
    assert most_missed_gold([0, 0, 1], [True, True, False], min_answers=3) == []
