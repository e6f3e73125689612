"""Gold performance: per-expert accuracy on hidden gold items, and the gold items most missed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import beta, norm

from ._common import (
    DEFAULT_CONFIDENCE,
    MIN_GOLD_ITEMS,
    EstimateTable,
    FloatArray,
    IntArray,
    int_codes,
    n_codes,
    same_length,
)


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for binomial proportions (vectorized; NaN where n == 0).

    centre = (p + z^2/2n) / (1 + z^2/n), half-width = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n).
    """
    k = np.asarray(successes, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    z = norm.ppf(0.5 + confidence / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        denom = 1.0 + z**2 / m
        centre = (p + z**2 / (2.0 * m)) / denom
        half = z * np.sqrt(p * (1.0 - p) / m + z**2 / (4.0 * m**2)) / denom
    low = np.where(m > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(m > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def prob_below(
    successes: ArrayLike, n: ArrayLike, threshold: float, prior: tuple[float, float] = (1.0, 1.0)
) -> FloatArray:
    """Posterior probability that the true accuracy is below ``threshold``.

    Beta(a, b) prior (default Beta(1, 1), uniform), so the posterior is
    Beta(a + successes, b + failures) and the answer is its CDF at ``threshold``.
    """
    k = np.asarray(successes, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    return np.asarray(beta.cdf(threshold, prior[0] + k, prior[1] + m - k), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class GoldAccuracy:
    """Per-expert accuracy on gold with Wilson intervals (``accuracy.get(expert)``)."""

    accuracy: EstimateTable
    n_correct: IntArray
    p_below_threshold: FloatArray  # P(accuracy < threshold | answers), Beta(1, 1) prior
    threshold: float


def gold_accuracy(
    workers: ArrayLike,
    correct: ArrayLike,
    *,
    n_workers: int | None = None,
    threshold: float = 0.7,
    min_items: int = MIN_GOLD_ITEMS,
    confidence: float = DEFAULT_CONFIDENCE,
) -> GoldAccuracy:
    """Accuracy of each expert on the gold items they answered.

    ``correct[k]`` says whether gold answer k matched the gold label (for multi-answer gold,
    the caller decides what counts as a match). Experts with fewer than ``min_items`` gold
    answers get "not enough data"; ``p_below_threshold`` is reported for everyone.
    """
    wk = int_codes(workers, "workers", n_workers)
    ok = np.asarray(correct, dtype=bool)
    same_length(workers=wk, correct=ok)
    n_w = n_codes(wk, n_workers)
    n = np.bincount(wk, minlength=n_w).astype(np.int64)
    k = np.bincount(wk, weights=ok, minlength=n_w).round().astype(np.int64)
    low, high = wilson_interval(k, n, confidence)
    enough = n >= min_items
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = np.where(enough, k / n, np.nan)
    table = EstimateTable(
        np.arange(n_w, dtype=np.int64),
        acc,
        np.where(enough, low, np.nan),
        np.where(enough, high, np.nan),
        n,
        enough,
        min_items,
        "gold accuracy",
    )
    return GoldAccuracy(table, k, prob_below(k, n, threshold), threshold)


@dataclass(frozen=True, slots=True)
class MissedGold:
    item: int
    n_answers: int
    n_missed: int
    miss_rate: float
    ci_low: float  # Wilson interval of the miss rate
    ci_high: float
    most_common_wrong: int | None  # the wrong answer given most often (if answers were passed)


def most_missed_gold(
    gold_items: ArrayLike,
    correct: ArrayLike,
    *,
    answers: ArrayLike | None = None,
    n_classes: int | None = None,
    top: int = 10,
    min_answers: int = 3,
    confidence: float = DEFAULT_CONFIDENCE,
) -> list[MissedGold]:
    """Gold items ranked by miss rate (then by the lower interval bound, then by volume).

    A gold item that many strong experts miss is more often a wrong or ambiguous gold answer
    than a hard question; the most common wrong answer helps to tell.
    """
    it = int_codes(gold_items, "gold_items")
    ok = np.asarray(correct, dtype=bool)
    same_length(gold_items=it, correct=ok)
    n_i = n_codes(it, None)
    n = np.bincount(it, minlength=n_i)
    missed = np.bincount(it, weights=~ok, minlength=n_i).round().astype(np.int64)
    low, high = wilson_interval(missed, n, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = missed / n
    wrong_mode = np.full(n_i, -1, dtype=np.int64)
    if answers is not None:
        ans = int_codes(answers, "answers", n_classes)
        same_length(gold_items=it, answers=ans)
        k = n_codes(ans, n_classes)
        bad = ~ok
        wrong = np.bincount(it[bad] * k + ans[bad], minlength=n_i * k).reshape(n_i, k)
        wrong_mode = np.where(wrong.max(axis=1) > 0, wrong.argmax(axis=1), -1)
    cand = np.flatnonzero((n >= min_answers) & (missed > 0))
    order = cand[np.lexsort((-n[cand], -low[cand], -rate[cand]))][:top]
    return [
        MissedGold(
            int(i),
            int(n[i]),
            int(missed[i]),
            float(rate[i]),
            float(low[i]),
            float(high[i]),
            int(wrong_mode[i]) if wrong_mode[i] >= 0 else None,
        )
        for i in order
    ]
