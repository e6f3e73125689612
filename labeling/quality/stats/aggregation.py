"""One label per item: majority vote, Dawid–Skene, Bradley–Terry ranking, rubric mean/median."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import choix
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.sparse.csgraph import connected_components
from scipy.stats import norm

from ._common import (
    DEFAULT_CONFIDENCE,
    BoolArray,
    FloatArray,
    IntArray,
    Seed,
    group_median,
    int_codes,
    n_codes,
    rng_from,
    same_length,
)

_EPS = 1e-10  # floor for confusion-matrix cells and priors (as in crowd-kit)


@dataclass(frozen=True, slots=True)
class MajorityVoteResult:
    labels: IntArray  # -1 for items without any vote
    confidence: FloatArray  # share of votes for the winning label (NaN without votes)
    tied: BoolArray  # the winner was drawn among tied labels
    n_votes: IntArray


def majority_vote(
    items: ArrayLike,
    labels: ArrayLike,
    n_classes: int,
    *,
    n_items: int | None = None,
    tie_break: Literal["random", "lowest"] = "random",
    seed: Seed = 0,
) -> MajorityVoteResult:
    """Most frequent label per item; ties broken at random (seeded) or by the lowest code."""
    it = int_codes(items, "items", n_items)
    lab = int_codes(labels, "labels", n_classes)
    same_length(items=it, labels=lab)
    n = n_codes(it, n_items)
    counts = np.bincount(it * n_classes + lab, minlength=n * n_classes).reshape(n, n_classes)
    top = counts.max(axis=1, keepdims=True)
    is_top = (counts == top) & (top > 0)
    if tie_break == "random":
        winner = (is_top * (1.0 + rng_from(seed).random(counts.shape))).argmax(axis=1)
    else:
        winner = is_top.argmax(axis=1)
    n_votes = counts.sum(axis=1)
    has = n_votes > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        confidence = np.where(has, top[:, 0] / n_votes, np.nan)
    return MajorityVoteResult(
        np.where(has, winner, -1).astype(np.int64),
        confidence,
        is_top.sum(axis=1) > 1,
        n_votes.astype(np.int64),
    )


@dataclass(frozen=True, slots=True)
class DawidSkeneResult:
    labels: IntArray  # most probable class per item (-1 for items without votes or gold)
    posteriors: FloatArray  # (n_items, n_classes)
    confidence: FloatArray  # posterior probability of the chosen label
    priors: FloatArray  # (n_classes,) class prevalence
    confusion: FloatArray  # (n_workers, n_classes true, n_classes answered)
    n_iter: int
    converged: bool
    objective: float  # evidence lower bound per annotation at the last iteration


def dawid_skene(
    items: ArrayLike,
    workers: ArrayLike,
    labels: ArrayLike,
    n_classes: int,
    *,
    n_items: int | None = None,
    n_workers: int | None = None,
    gold_items: ArrayLike | None = None,
    gold_labels: ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = 1e-5,
) -> DawidSkeneResult:
    """Dawid–Skene EM with one full confusion matrix per expert; gold answers clamped.

    Initialised from the majority-vote label shares; then E-step (posterior of each item's
    true class), clamp gold items to their known class, M-step (class priors and per-expert
    confusion counts, cells floored at 1e-10 and normalised). Stops when the evidence lower
    bound per annotation improves by less than ``tol`` (``tol=-inf`` runs exactly ``max_iter``
    iterations). Schedule, floor and stopping rule are crowd-kit's ``DawidSkene``, so with the
    same ``max_iter``/``tol`` the posteriors agree with it to floating-point precision.

    Both E- and M-steps are one sparse matrix product over the items x (expert, answer)
    indicator matrix, so the cost per iteration is O(annotations x classes).
    """
    it = int_codes(items, "items", n_items)
    wk = int_codes(workers, "workers", n_workers)
    lab = int_codes(labels, "labels", n_classes)
    same_length(items=it, workers=wk, labels=lab)
    k = n_classes
    n_i = n_codes(it, n_items)
    n_w = n_codes(wk, n_workers)
    n_ann = max(it.shape[0], 1)
    gold_idx = np.zeros(0, dtype=np.int64)
    gold_onehot = np.zeros((0, k))
    if gold_items is not None or gold_labels is not None:
        if gold_items is None or gold_labels is None:
            raise ValueError("pass both gold_items and gold_labels")
        gold_idx = int_codes(gold_items, "gold_items", n_i)
        gl = int_codes(gold_labels, "gold_labels", k)
        same_length(gold_items=gold_idx, gold_labels=gl)
        gold_onehot = np.eye(k)[gl]

    # Work on the items that have answers ("rows"); the rest only get priors / gold at the end.
    n_votes_all = np.bincount(it, minlength=n_i)
    voted = np.flatnonzero(n_votes_all)
    row_of = np.full(n_i, -1, dtype=np.int64)
    row_of[voted] = np.arange(voted.shape[0])
    rows = row_of[it]
    n_votes = n_votes_all[voted].astype(np.float64)
    g_in = row_of[gold_idx] >= 0
    g_rows, g_onehot = row_of[gold_idx[g_in]], gold_onehot[g_in]
    wl = wk * k + lab
    a = sp.csr_matrix((np.ones(it.shape[0]), (rows, wl)), shape=(voted.shape[0], n_w * k))
    at = a.T  # CSC view: the M-step scatters into a small (experts x answers) output
    answered = np.bincount(wl, minlength=n_w * k) > 0  # (expert, answer) cells ever used
    answered_3d = answered.reshape(n_w, k, 1)

    def m_step(post: FloatArray) -> tuple[FloatArray, FloatArray]:
        priors = post.mean(axis=0) if post.shape[0] else np.full(k, 1.0 / k)
        cnt = (at @ post).reshape(n_w, k, k)  # [expert, answer, true class]
        cnt = np.where(answered_3d, np.maximum(cnt, _EPS), 0.0)
        total = cnt.sum(axis=1, keepdims=True)
        conf = np.divide(cnt, total, out=np.zeros_like(cnt), where=total > 0)
        return priors, conf

    def evidence(conf: FloatArray) -> FloatArray:
        """(rows, n_classes): sum over an item's answers of log P(answer | true class)."""
        log_conf = np.zeros((n_w * k, k))
        np.log(conf.reshape(n_w * k, k), out=log_conf, where=answered[:, None])
        return np.asarray(a @ log_conf)

    def objective(post: FloatArray, priors: FloatArray, ev: FloatArray) -> float:
        # crowd-kit's evidence lower bound per annotation: E_post[log P(answers, class)] with the
        # prior term counted once per annotation, plus the posterior entropy.
        log_prior = np.log(np.maximum(priors, _EPS))
        joint = np.einsum("ij,ij->", post, ev) + np.einsum("i,ij,j->", n_votes, post, log_prior)
        clipped = np.maximum(post, _EPS)
        return float(joint - np.einsum("ij,ij->", clipped, np.log(clipped))) / n_ann

    votes = np.bincount(rows * k + lab, minlength=voted.shape[0] * k).reshape(-1, k)
    post: FloatArray = votes / n_votes[:, None]
    post[g_rows] = g_onehot
    priors, conf = m_step(post)
    ev = evidence(conf)
    loss = new_loss = -np.inf
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is reported
        post = ev + np.log(np.maximum(priors, _EPS))
        post -= functools.reduce(np.maximum, post.T)[:, None]  # row max, column by column
        np.exp(post, out=post)
        post /= (post @ np.ones(k))[:, None]
        post[g_rows] = g_onehot
        priors, conf = m_step(post)
        ev = evidence(conf)
        new_loss = objective(post, priors, ev)
        if new_loss - loss < tol:
            converged = True
            break
        loss = new_loss
    posteriors = np.tile(priors, (n_i, 1))
    posteriors[voted] = post
    posteriors[gold_idx] = gold_onehot
    has_info = n_votes_all > 0
    has_info[gold_idx] = True
    label = np.where(has_info, posteriors.argmax(axis=1), -1).astype(np.int64)
    confidence = np.where(has_info, posteriors.max(axis=1), np.nan)
    return DawidSkeneResult(
        label,
        posteriors,
        confidence,
        priors,
        conf.transpose(0, 2, 1).copy(),
        n_iter,
        converged,
        new_loss,
    )


@dataclass(frozen=True, slots=True)
class BradleyTerryResult:
    scores: FloatArray  # log-strengths, centred at 0
    ci_low: FloatArray
    ci_high: FloatArray
    ranking: IntArray  # item codes, strongest first
    n_comparisons: IntArray  # comparisons each item took part in
    wins: FloatArray  # wins (ties count one half)

    def win_probability(self, i: int, j: int) -> float:
        """Model probability that item i is preferred over item j."""
        return float(1.0 / (1.0 + np.exp(self.scores[j] - self.scores[i])))


def bradley_terry(
    winners: ArrayLike,
    losers: ArrayLike,
    n_items: int,
    *,
    ties: tuple[ArrayLike, ArrayLike] | None = None,
    alpha: float = 0.01,
    ci: Literal["hessian", "bootstrap"] = "hessian",
    n_boot: int = 200,
    seed: Seed = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    max_iter: int = 500,
    tol: float = 1e-8,
) -> BradleyTerryResult:
    """Bradley–Terry strengths by choix's iterative Luce spectral ranking (``alpha`` > 0
    regularises, so an item that never lost still gets a finite score).

    Comparisons are aggregated into a wins matrix and passed to ``choix.ilsr_pairwise_dense``
    (same estimator as ``choix.ilsr_pairwise``, without a Python loop over comparisons). A tie
    counts as half a win each way. Intervals: ``"hessian"`` uses the observed Fisher
    information of the log-likelihood (pseudo-inverse, as the scores are centred; items outside
    the largest connected comparison graph get NaN); ``"bootstrap"`` resamples comparisons.
    """
    win = int_codes(winners, "winners", n_items)
    lose = int_codes(losers, "losers", n_items)
    same_length(winners=win, losers=lose)
    comp = np.bincount(win * n_items + lose, minlength=n_items * n_items).astype(float)
    comp = comp.reshape(n_items, n_items)
    if ties is not None:
        t1 = int_codes(ties[0], "ties", n_items)
        t2 = int_codes(ties[1], "ties", n_items)
        half = np.bincount(t1 * n_items + t2, minlength=n_items * n_items).reshape(n_items, -1)
        comp += 0.5 * (half + half.T)
    np.fill_diagonal(comp, 0.0)
    scores = choix.ilsr_pairwise_dense(comp, alpha=alpha, max_iter=max_iter, tol=tol)
    total = comp + comp.T
    z = norm.ppf(0.5 + confidence / 2.0)
    if ci == "hessian":
        p = 1.0 / (1.0 + np.exp(scores[None, :] - scores[:, None]))
        weight = total * p * (1.0 - p)
        lap = np.diag(weight.sum(axis=1)) - weight
        _, comp_id = connected_components(sp.csr_matrix(total > 0), directed=False)
        main = comp_id == np.bincount(comp_id).argmax()
        se = np.full(n_items, np.nan)
        idx = np.flatnonzero(main)
        if idx.size > 1:
            cov = np.linalg.pinv(lap[np.ix_(idx, idx)])
            se[idx] = np.sqrt(np.maximum(np.diag(cov), 0.0))
        low, high = scores - z * se, scores + z * se
    elif ci == "bootstrap":
        rng = rng_from(seed)
        flat = comp.ravel()
        n_total = int(round(flat.sum()))
        reps = np.full((n_boot, n_items), np.nan)
        for b in range(n_boot):  # one small dense fit per replicate, not per comparison
            mat = rng.multinomial(n_total, flat / flat.sum()).astype(float)
            try:
                reps[b] = choix.ilsr_pairwise_dense(
                    mat.reshape(n_items, n_items),
                    alpha=alpha,
                    initial_params=scores,
                    max_iter=max_iter,
                    tol=tol,
                )
            except (RuntimeError, ValueError):
                continue
        reps = reps[np.isfinite(reps).all(axis=1)]
        tail = (1.0 - confidence) / 2.0 * 100.0
        low, high = np.percentile(reps, [tail, 100.0 - tail], axis=0)
    else:
        raise ValueError(f"unknown ci method {ci!r}")
    return BradleyTerryResult(
        scores,
        low,
        high,
        np.argsort(-scores, kind="stable").astype(np.int64),
        total.sum(axis=1).round().astype(np.int64),
        comp.sum(axis=1),
    )


@dataclass(frozen=True, slots=True)
class RubricSummary:
    mean: FloatArray  # per item (NaN without scores)
    median: FloatArray
    std: FloatArray  # sample standard deviation (NaN below 2 scores)
    n_scores: IntArray


def rubric_summary(
    items: ArrayLike, scores: ArrayLike, n_items: int | None = None
) -> RubricSummary:
    """Mean, median and spread of one rubric criterion's scores per item."""
    it = int_codes(items, "items", n_items)
    sc = np.asarray(scores, dtype=np.float64)
    same_length(items=it, scores=sc)
    n = n_codes(it, n_items)
    cnt = np.bincount(it, minlength=n)
    total = np.bincount(it, weights=sc, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / cnt
        sq = np.bincount(it, weights=(sc - mean[it]) ** 2, minlength=n)
        std = np.where(cnt > 1, np.sqrt(sq / (cnt - 1)), np.nan)
    return RubricSummary(mean, group_median(it, sc, n), std, cnt.astype(np.int64))
