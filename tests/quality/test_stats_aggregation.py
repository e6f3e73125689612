"""Aggregation: majority vote, Dawid–Skene (against crowd-kit), Bradley–Terry (against choix)."""

import choix
import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene
from scipy.stats import spearmanr

from labeling.quality.stats import bradley_terry, dawid_skene, majority_vote, rubric_summary
from tests.quality.synthetic import classification, mixed_experts, pairwise_comparisons

pytestmark = pytest.mark.filterwarnings("ignore:The (inplace|copy) keyword")


def _frame(data):
    return pd.DataFrame({"task": data.items, "worker": data.workers, "label": data.labels})


def _crowdkit_probas(model, n_classes):
    return model.probas_.sort_index()[list(range(n_classes))].to_numpy()


@pytest.fixture(scope="module")
def noisy():
    """10 good experts, 4 bad ones (2 spammers answering class 0, 2 answering at random)."""
    confusion = mixed_experts(n_good=10, n_bad=4, n_classes=3, seed=0)
    return classification(n_items=3000, n_classes=3, overlap=3, confusion=confusion, seed=1)


@pytest.mark.parametrize("n_iter", [1, 5, 20])
def test_dawid_skene_posteriors_equal_crowdkit_step_by_step(noisy, n_iter):
    theirs = DawidSkene(n_iter=n_iter, tol=-np.inf).fit(_frame(noisy))
    ours = dawid_skene(noisy.items, noisy.workers, noisy.labels, 3, max_iter=n_iter, tol=-np.inf)
    assert ours.n_iter == n_iter
    np.testing.assert_allclose(ours.posteriors, _crowdkit_probas(theirs, 3), rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dawid_skene_predictions_identical_to_crowdkit_defaults(seed):
    confusion = mixed_experts(n_good=12, n_bad=4, n_classes=4, seed=seed)
    data = classification(n_items=2000, n_classes=4, overlap=3, confusion=confusion, seed=seed)
    theirs = DawidSkene().fit(_frame(data))  # n_iter=100, tol=1e-5
    ours = dawid_skene(data.items, data.workers, data.labels, 4)
    assert ours.n_iter == len(theirs.loss_history_)
    assert ours.objective == pytest.approx(theirs.loss_history_[-1], abs=1e-9)
    np.testing.assert_array_equal(ours.labels, theirs.labels_.sort_index().to_numpy())


def test_dawid_skene_gold_clamping_equals_crowdkit_true_labels(noisy):
    gold = np.arange(0, 3000, 10)
    theirs = DawidSkene().fit(_frame(noisy), true_labels=pd.Series(noisy.truth[gold], index=gold))
    ours = dawid_skene(
        noisy.items,
        noisy.workers,
        noisy.labels,
        3,
        gold_items=gold,
        gold_labels=noisy.truth[gold],
    )
    np.testing.assert_allclose(ours.posteriors, _crowdkit_probas(theirs, 3), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(ours.labels[gold], noisy.truth[gold])
    assert np.all(ours.confidence[gold] == 1.0)


def test_dawid_skene_beats_majority_vote_with_bad_experts(noisy):
    mv = majority_vote(noisy.items, noisy.labels, 3, seed=0)
    ds = dawid_skene(noisy.items, noisy.workers, noisy.labels, 3)
    acc_mv = np.mean(mv.labels == noisy.truth)
    acc_ds = np.mean(ds.labels == noisy.truth)
    assert acc_ds > acc_mv + 0.03, (acc_ds, acc_mv)
    # Gold answers as known labels help further on the non-gold items.
    gold = np.arange(0, 3000, 5)
    with_gold = dawid_skene(
        noisy.items, noisy.workers, noisy.labels, 3, gold_items=gold, gold_labels=noisy.truth[gold]
    )
    rest = np.setdiff1d(np.arange(3000), gold)
    assert np.mean(with_gold.labels[rest] == noisy.truth[rest]) >= np.mean(
        ds.labels[rest] == noisy.truth[rest]
    )
    # Planted accuracies are recovered from the confusion matrices.
    est_acc = np.einsum("wkk->wk", ds.confusion).mean(axis=1)
    true_acc = np.einsum("wkk->wk", noisy.confusion).mean(axis=1)
    assert np.abs(est_acc[:10] - true_acc[:10]).max() < 0.06
    # Posterior confidence is calibrated-ish: confident items are mostly right.
    sure = ds.confidence > 0.95
    assert np.mean(ds.labels[sure] == noisy.truth[sure]) > 0.93


def test_dawid_skene_items_without_votes_and_validation():
    result = dawid_skene([0, 0, 2], [0, 1, 0], [1, 1, 0], 2, n_items=4)
    assert result.labels[1] == -1 and result.labels[3] == -1
    assert np.isnan(result.confidence[1])
    with pytest.raises(ValueError):
        dawid_skene([0, 1], [0, 1], [0, 5], 2)
    with pytest.raises(ValueError):
        dawid_skene([0, 1], [0], [0, 1], 2)


def test_majority_vote_ties_and_confidence():
    items = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    labels = np.array([1, 1, 0, 0, 1, 2, 2, 0, 0])
    lowest = majority_vote(items, labels, 3, n_items=4, tie_break="lowest")
    np.testing.assert_array_equal(lowest.labels, [1, 0, 0, -1])
    np.testing.assert_array_equal(lowest.tied, [False, True, True, False])
    np.testing.assert_allclose(lowest.confidence[:3], [2 / 3, 1 / 2, 1 / 2])
    draws = {int(majority_vote(items, labels, 3, seed=s).labels[1]) for s in range(30)}
    assert draws == {0, 1}
    same = majority_vote(items, labels, 3, seed=4)
    np.testing.assert_array_equal(same.labels, majority_vote(items, labels, 3, seed=4).labels)


def test_bradley_terry_equals_choix_and_ranks_planted_strengths():
    rng = np.random.default_rng(0)
    strengths = rng.normal(0, 1.2, 15)
    winners, losers = pairwise_comparisons(strengths, 4000, seed=1)
    result = bradley_terry(winners, losers, 15, alpha=0.01)
    reference = choix.ilsr_pairwise(
        15, list(zip(winners, losers, strict=True)), alpha=0.01, max_iter=500, tol=1e-8
    )
    np.testing.assert_allclose(result.scores, reference, atol=1e-9)
    assert spearmanr(result.scores, strengths).statistic >= 0.95
    np.testing.assert_array_equal(result.ranking, np.argsort(-result.scores))
    centred = strengths - strengths.mean()
    covered = (result.ci_low <= centred) & (centred <= result.ci_high)
    assert covered.mean() >= 0.8
    assert result.n_comparisons.sum() == 2 * 4000
    assert result.wins.sum() == 4000


def test_bradley_terry_bootstrap_intervals_agree_with_hessian():
    strengths = np.linspace(-1.5, 1.5, 6)
    winners, losers = pairwise_comparisons(strengths, 1500, seed=3)
    hessian = bradley_terry(winners, losers, 6)
    boot = bradley_terry(winners, losers, 6, ci="bootstrap", n_boot=150, seed=0)
    np.testing.assert_allclose(boot.scores, hessian.scores)
    width_h = hessian.ci_high - hessian.ci_low
    width_b = boot.ci_high - boot.ci_low
    np.testing.assert_allclose(width_b, width_h, rtol=0.35)


def test_bradley_terry_ties_unbeaten_and_disconnected_items():
    # Item 0 never loses; item 3 is never compared. alpha > 0 keeps every score finite.
    winners = np.array([0, 0, 0, 1, 1, 2])
    losers = np.array([1, 2, 1, 2, 2, 1])
    result = bradley_terry(winners, losers, 4, ties=(np.array([1]), np.array([2])))
    assert np.all(np.isfinite(result.scores))
    assert result.ranking[0] == 0
    assert np.isnan(result.ci_low[3])
    assert result.wins[1] == pytest.approx(2.5)
    assert 0.5 < result.win_probability(0, 2) < 1.0


def test_rubric_summary_per_item():
    rng = np.random.default_rng(0)
    items = rng.integers(0, 30, 400)
    scores = rng.integers(1, 8, 400).astype(float)
    summary = rubric_summary(items, scores, n_items=31)
    for i in range(30):
        s = scores[items == i]
        assert summary.mean[i] == pytest.approx(s.mean())
        assert summary.median[i] == pytest.approx(np.median(s))
        assert summary.n_scores[i] == s.size
        if s.size > 1:
            assert summary.std[i] == pytest.approx(s.std(ddof=1))
    assert np.isnan(summary.mean[30]) and summary.n_scores[30] == 0
